package io.voyager.bdk.library;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.voyager.bdk.model.BookDefinition;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The "being deleted" mark DeleteBook puts on a BookDefinition before it looks for instances: an
 * annotation holding when the delete began. Pure functions on books; the writes are the caller's.
 *
 * <p>A mark younger than {@link #STALE_AFTER} means a delete is in flight. An older one (or one
 * that does not parse) is what a delete that crashed midway left behind: it no longer refuses
 * instances, and the next DeleteBook simply marks the book again.
 */
final class DeletionMark {
  /** Annotation key; its value is the RFC 3339 instant the delete began. */
  static final String ANNOTATION = "bdk.voyager.io/deleting-since";
  /**
   * How long a mark counts as a delete in flight. A delete is four API calls (read, mark, list,
   * delete), each bounded by the client's request timeout, so a live delete finishes well within
   * this; a slower one stays safe (see {@link BookDeletionGuard}), it is only refused.
   */
  static final Duration STALE_AFTER = Duration.ofSeconds(60);

  private DeletionMark() {}

  /** The mark's value on {@code book}, if it carries one. */
  static Optional<String> of(BookDefinition book) {
    Map<String, String> annotations = book.getMetadata().getAnnotations();
    return Optional.ofNullable(annotations == null ? null : annotations.get(ANNOTATION));
  }

  /** Whether {@code book} carries a mark that still means a delete is in flight at {@code now}. */
  static boolean isFresh(BookDefinition book, Instant now) {
    return of(book).flatMap(DeletionMark::since).map(since -> now.isBefore(since.plus(STALE_AFTER))).orElse(false);
  }

  /** A copy of {@code book} marked as being deleted since {@code now} (same resourceVersion). */
  static BookDefinition marked(BookDefinition book, Instant now) {
    return withAnnotations(book, a -> a.put(ANNOTATION, now.toString()));
  }

  /** A copy of {@code book} without the mark (same resourceVersion). */
  static BookDefinition unmarked(BookDefinition book) {
    return withAnnotations(book, a -> a.remove(ANNOTATION));
  }

  private static Optional<Instant> since(String value) {
    try {
      return Optional.of(Instant.parse(value));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static BookDefinition withAnnotations(BookDefinition book, Consumer<Map<String, String>> edit) {
    Map<String, String> annotations = book.getMetadata().getAnnotations() == null
        ? new HashMap<>() : new HashMap<>(book.getMetadata().getAnnotations());
    edit.accept(annotations);
    BookDefinition copy = new BookDefinition();
    copy.setMetadata(new ObjectMetaBuilder(book.getMetadata()).withAnnotations(annotations).build());
    copy.setSpec(book.getSpec());
    copy.setStatus(book.getStatus());
    return copy;
  }
}
