package io.voyager.bdk.library;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps DeleteBook and CreateInstance from both succeeding for the same book, with no lock service:
 * only the API server's linearizable writes (optimistic concurrency on resourceVersion) and direct
 * reads, never the informer cache.
 *
 * <p>DeleteBook: (M) write the {@link DeletionMark} conditioned on the book's resourceVersion,
 * (L) list the book's instances from the API server, refuse and remove the mark if any is live,
 * else (D) delete the book conditioned on the resourceVersion M produced. CreateInstance: (W) write
 * the instance (and its Secret), then (R) read the book from the API server; if it is gone or
 * freshly marked, delete what W wrote and refuse; if the mark is stale, (X) remove it conditioned
 * on R's resourceVersion, or refuse when that fails.
 *
 * <p>Why every interleaving ends with the delete refused or the create rolled back: suppose D
 * succeeded. Its precondition means the book did not change between M and D, so it carried the
 * mark throughout and no X succeeded in between. If W came before L, L saw the instance and the
 * delete was refused, a contradiction. So L, and thus M, came before W, and W before R. Then R
 * ran either between M and D (and saw the mark, unchanged) or after D (and saw no book). A
 * fresh mark or no book rolls the create back. A stale mark leads to X, conditioned on what R saw
 * after M; had it succeeded, the book would have changed and D's precondition failed. So X failed,
 * and after a failed X the create reads again (R) and rolls back if it still cannot keep the
 * instance after {@link #ATTEMPTS} reads. Both calls may be refused (the create saw the mark of a
 * delete that then found its instance); the callers may retry.
 *
 * <p>Staleness only decides who is refused, never safety: a mark older than {@link
 * DeletionMark#STALE_AFTER} no longer refuses creates (the create clears it) and the next
 * DeleteBook marks the book afresh, so a crashed delete blocks nothing for long.
 */
final class BookDeletionGuard {
  private static final Logger log = LoggerFactory.getLogger(BookDeletionGuard.class);
  static final int ATTEMPTS = 3;

  private final BookRepository books;
  private final InstanceRepository instances;
  private final Clock clock;
  private final DeletionCheckpoints checkpoints;

  BookDeletionGuard(BookRepository books, InstanceRepository instances, Clock clock, DeletionCheckpoints checkpoints) {
    this.books = books;
    this.instances = instances;
    this.clock = clock;
    this.checkpoints = checkpoints;
  }

  /**
   * Deletes {@code cached} (the book as the cache has it) unless the API server holds an instance
   * of it: FAILED_PRECONDITION then, and the mark is removed. NOT_FOUND when it is already gone;
   * ABORTED when the book kept changing under the delete.
   */
  void delete(BookDefinition cached) {
    String bookId = bookId(cached);
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      BookDefinition current = sameBookOnServer(cached).orElseThrow(() -> noBook(bookId));
      Optional<BookDefinition> marked = books.replaceIfUnchanged(DeletionMark.marked(current, clock.instant()));
      if (marked.isEmpty()) {
        log.info("event=book_delete_retry book_id={} step=mark attempt={}", bookId, attempt);
        continue;
      }
      if (instances.anyLiveOfBookOnServer(bookId)) {
        unmark(marked.get());
        throw ApiException.failedPrecondition("book_id",
            "book_id: book " + bookId + " still has instances; delete them first");
      }
      checkpoints.beforeBookDelete(bookId);
      if (books.deleteIfUnchanged(marked.get())) {
        return;
      }
      log.info("event=book_delete_retry book_id={} step=delete attempt={}", bookId, attempt);
      if (attempt == ATTEMPTS) {
        unmark(marked.get());
      }
    }
    throw ApiException.aborted("book_id", "book_id: book " + bookId + " changed while it was being deleted; try again");
  }

  /** Up front, before an instance is written: refuses when the cached book is being deleted. */
  void refuseIfDeleting(BookDefinition cached) {
    if (DeletionMark.isFresh(cached, clock.instant())) {
      throw beingDeleted(bookId(cached));
    }
    checkpoints.beforeInstanceWrite(bookId(cached));
  }

  /**
   * After {@code created} (an instance of {@code cached}) was written: keeps it only if the API
   * server shows the book standing and not being deleted; otherwise deletes the instance and its
   * credentials Secret and answers NOT_FOUND (book gone), FAILED_PRECONDITION (being deleted) or
   * ABORTED (the book kept changing).
   */
  void confirmCreated(BookDefinition cached, BookInstanceDefinition created) {
    confirmWritten(cached, created, this::deleteCreated, "created");
  }

  /**
   * After {@code moved} was written as an instance of {@code cached} by an upgrade (it was an
   * instance of another version before): the same check as {@link #confirmCreated} — the written
   * instance carries the book's id label, which is what DeleteBook lists — and {@code undo} puts
   * it back on its former book when the book is gone or being deleted.
   */
  void confirmUpgraded(BookDefinition cached, BookInstanceDefinition moved, Consumer<BookInstanceDefinition> undo) {
    confirmWritten(cached, moved, undo, "upgraded");
  }

  private void confirmWritten(BookDefinition cached, BookInstanceDefinition written, Consumer<BookInstanceDefinition> undo,
      String doing) {
    String bookId = bookId(cached);
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Optional<BookDefinition> current = sameBookOnServer(cached);
      if (current.isEmpty()) {
        throw rolledBack(written, undo, noBook(bookId));
      }
      if (DeletionMark.of(current.get()).isEmpty()) {
        return;
      }
      if (DeletionMark.isFresh(current.get(), clock.instant())) {
        throw rolledBack(written, undo, beingDeleted(bookId));
      }
      if (books.replaceIfUnchanged(DeletionMark.unmarked(current.get())).isPresent()) {
        log.info("event=stale_deletion_mark_cleared book_id={} mark={}", bookId, DeletionMark.of(current.get()).orElse(""));
        return;
      }
    }
    throw rolledBack(written, undo, ApiException.aborted("book_id",
        "book_id: book " + bookId + " changed while the instance was being " + doing + "; try again"));
  }

  /** Removes this delete's mark; leaves a mark another delete has since written. Best effort. */
  private void unmark(BookDefinition marked) {
    String ours = DeletionMark.of(marked).orElse("");
    BookDefinition target = marked;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (books.replaceIfUnchanged(DeletionMark.unmarked(target)).isPresent()) {
        books.awaitCached(bookId(marked), b -> DeletionMark.of(b).filter(ours::equals).isEmpty());
        return;
      }
      Optional<BookDefinition> current = sameBookOnServer(marked);
      if (current.isEmpty() || !DeletionMark.of(current.get()).filter(ours::equals).isPresent()) {
        return;
      }
      target = current.get();
    }
    log.warn("event=deletion_mark_left book_id={} stale_after_s={}", bookId(marked), DeletionMark.STALE_AFTER.toSeconds());
  }

  /** The API server's copy of {@code book}: same name and uid (a recreated book is another book). */
  private Optional<BookDefinition> sameBookOnServer(BookDefinition book) {
    return books.readFromServer(book.getMetadata().getName())
        .filter(b -> Objects.equals(b.getMetadata().getUid(), book.getMetadata().getUid()));
  }

  private void deleteCreated(BookInstanceDefinition created) {
    instances.delete(created);
  }

  private ApiException rolledBack(BookInstanceDefinition written, Consumer<BookInstanceDefinition> undo, ApiException answer) {
    try {
      undo.accept(written);
    } catch (KubernetesClientException e) {
      log.warn("event=instance_rollback_failed resource={} code={}", written.getMetadata().getName(), e.getCode());
      throw e;
    }
    log.info("event=instance_rolled_back resource={} reason=\"{}\"", written.getMetadata().getName(), answer.getMessage());
    return answer;
  }

  private static String bookId(BookDefinition book) {
    return SortKeys.label(book.getMetadata().getLabels(), BdkLabels.BOOK_ID);
  }

  private static ApiException noBook(String bookId) {
    return ApiException.notFound("book_id", "book_id: no book with id " + RequestValidator.quoted(bookId));
  }

  private static ApiException beingDeleted(String bookId) {
    return ApiException.failedPrecondition("book_id", "book_id: book " + bookId + " is being deleted");
  }
}
