package io.voyager.bdk.library;

import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** The orders lists are served in, and the keys page tokens carry. */
final class SortKeys {
  private SortKeys() {}

  /** Books: by name, then version by semver precedence, then book id. */
  record BookKey(String name, String version, String bookId) {
    static final Comparator<BookKey> ORDER =
        Comparator.comparing(BookKey::name)
            .thenComparing(BookKey::version, SemanticVersion.TEXT_ORDER)
            .thenComparing(BookKey::bookId);

    static BookKey of(BookDefinition d) {
      return new BookKey(nz(d.getSpec() == null ? null : d.getSpec().name()),
          nz(d.getSpec() == null ? null : d.getSpec().version()),
          label(d.getMetadata().getLabels(), BdkLabels.BOOK_ID));
    }

    List<String> parts() {
      return List.of(name, version, bookId);
    }

    static BookKey fromParts(List<String> p) {
      return new BookKey(p.get(0), p.get(1), p.get(2));
    }
  }

  /** Instances: grouped by book, then by creation time, then instance id. */
  record InstanceKey(String bookId, String createdAt, String instanceId) {
    static final Comparator<InstanceKey> ORDER =
        Comparator.comparing(InstanceKey::bookId)
            .thenComparing(InstanceKey::createdAt)
            .thenComparing(InstanceKey::instanceId);

    static InstanceKey of(BookInstanceDefinition d) {
      Map<String, String> a = d.getMetadata().getAnnotations();
      String created = a == null ? null : a.get(BdkLabels.CREATED_AT);
      return new InstanceKey(
          label(d.getMetadata().getLabels(), BdkLabels.BOOK_ID),
          nz(created != null ? created : d.getMetadata().getCreationTimestamp()),
          label(d.getMetadata().getLabels(), BdkLabels.INSTANCE_ID));
    }

    /** Sorts before every instance of {@code bookId}. */
    static InstanceKey first(String bookId) {
      return new InstanceKey(bookId, "", "");
    }

    /** Sorts after every instance of {@code bookId} ("\uffff" follows any created_at we write). */
    static InstanceKey last(String bookId) {
      return new InstanceKey(bookId, "\uffff", "");
    }

    List<String> parts() {
      return List.of(bookId, createdAt, instanceId);
    }

    static InstanceKey fromParts(List<String> p) {
      return new InstanceKey(p.get(0), p.get(1), p.get(2));
    }
  }

  static String label(Map<String, String> labels, String key) {
    return labels == null ? "" : nz(labels.get(key));
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
