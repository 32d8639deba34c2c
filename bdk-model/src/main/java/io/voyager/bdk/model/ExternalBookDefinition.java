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
 * A book instance as seen from the customer namespace: its external integrations (webhooks the
 * gateway routes to it, APIs it calls), networking, resources and scaling.
 */
@Group(ExternalBookDefinition.GROUP)
@Version(ExternalBookDefinition.VERSION)
@Kind("ExternalBookDefinition")
@Plural("externalbookdefinitions")
@Singular("externalbookdefinition")
@ShortNames("extbook")
@AdditionalPrinterColumn(name = "Book Type", jsonPath = ".spec.bookType", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Version", jsonPath = ".spec.version", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.ready_replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class ExternalBookDefinition
    extends CustomResource<ExternalBookDefinitionSpec, ExternalBookDefinitionStatus> implements Namespaced {
  public static final String GROUP = "books.voyager.io";
  public static final String VERSION = "v1";
}
