package io.voyager.bdk.xds.translate;

import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.model.KeyedSequence;
import java.util.List;

/**
 * Result of a translation: the Envoy resources and what happened to each book (accepted or why
 * not), the books in the order of their keys ({@code namespace/name}, as strings).
 */
public record Translation(XdsResources resources, List<BookTranslation> books) {
  public Translation {
    books = KeyedSequence.immutable(books);
  }

  /** Book {@code namespace/name}'s result, or null when the translation has none: a binary search by key. */
  public BookTranslation book(String namespace, String name) {
    String key = namespace + "/" + name;
    int low = 0;
    int high = books.size() - 1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      BookTranslation t = books.get(mid);
      int c = (t.namespace() + "/" + t.name()).compareTo(key);
      if (c < 0) {
        low = mid + 1;
      } else if (c > 0) {
        high = mid - 1;
      } else {
        return t;
      }
    }
    return null;
  }
}
