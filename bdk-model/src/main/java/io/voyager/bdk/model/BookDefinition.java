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

/** A book's descriptor: schema, capabilities, runtime and integrations. Lives in the {@code bdk} namespace. */
@Group(BookDefinition.GROUP)
@Version(BookDefinition.VERSION)
@Kind("BookDefinition")
@Plural("bookdefinitions")
@Singular("bookdefinition")
@ShortNames("bookdef")
@AdditionalPrinterColumn(name = "Book", jsonPath = ".spec.name", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Version", jsonPath = ".spec.version", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Runtime", jsonPath = ".spec.runtime.language", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class BookDefinition extends CustomResource<BookDefinitionSpec, BookDefinitionStatus> implements Namespaced {
  public static final String GROUP = "bdk.voyager.io";
  public static final String VERSION = "v1";
}
