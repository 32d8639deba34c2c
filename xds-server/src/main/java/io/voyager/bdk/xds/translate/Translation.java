package io.voyager.bdk.xds.translate;

import io.voyager.bdk.xds.ir.BookTranslation;
import java.util.List;

/** Result of a translation: the Envoy resources and what happened to each book (accepted or why not). */
public record Translation(XdsResources resources, List<BookTranslation> books) {
  public Translation {
    books = List.copyOf(books);
  }
}
