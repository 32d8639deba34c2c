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

/** One customer's instance of a book. Lives in the {@code bdk} namespace; its workloads live in the customer's. */
@Group(BookDefinition.GROUP)
@Version(BookDefinition.VERSION)
@Kind("BookInstanceDefinition")
@Plural("bookinstancedefinitions")
@Singular("bookinstancedefinition")
@ShortNames("bookinst")
@AdditionalPrinterColumn(name = "Book", jsonPath = ".spec.bookRef.name", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Customer", jsonPath = ".spec.customer.namespace", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Type", jsonPath = ".spec.deployment.type", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.deployment_status.ready_replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class BookInstanceDefinition
    extends CustomResource<BookInstanceDefinitionSpec, BookInstanceDefinitionStatus> implements Namespaced {}
