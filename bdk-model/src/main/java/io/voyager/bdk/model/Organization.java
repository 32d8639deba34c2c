package io.voyager.bdk.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A tenant of the platform: the organization id a caller's token names, the customer namespaces
 * its instances may use, and its quotas. Lives in the {@code bdk} namespace and is managed by the
 * platform's operators (kubectl or GitOps); the library authorizes every call by it and the
 * book-controller keeps each listed namespace's ResourceQuota, LimitRange, Pod Security labels and
 * default-deny NetworkPolicy in line with it.
 */
@Group(BookDefinition.GROUP)
@Version(BookDefinition.VERSION)
@Kind("Organization")
@Plural("organizations")
@Singular("organization")
@ShortNames("bdkorg")
@AdditionalPrinterColumn(name = "Organization ID", jsonPath = ".spec.organization_id", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Namespaces", jsonPath = ".spec.namespaces", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Max Instances", jsonPath = ".spec.quotas.max_instances", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class Organization extends CustomResource<OrganizationSpec, OrganizationStatus> implements Namespaced {}
