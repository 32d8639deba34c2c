package io.voyager.bdk.xds.watch;

import java.util.function.Supplier;

/**
 * Serializes this process's read-modify-write cycles on one ExternalBookDefinition's status. The
 * xds-server has two writers of its conditions ({@link StatusWriter}: WebhooksRouted and the paths;
 * the NACK write-back: Accepted), each on its own thread; both write under optimistic locking, which
 * a real API server enforces across replicas, but the fabric8 mock server the local stack runs on
 * accepts a stale status PUT — so within one process they also take the book's lock. Striped:
 * bounded memory whatever the number of books.
 */
public final class BookStatusLocks {
  private static final int STRIPES = 64;
  private final Object[] stripes = new Object[STRIPES];

  public BookStatusLocks() {
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
  }

  /** Runs {@code body} holding the lock of book {@code namespace/name}. */
  public <T> T withBook(String namespace, String name, Supplier<T> body) {
    Object stripe = stripes[Math.floorMod((namespace + '/' + name).hashCode(), STRIPES)];
    synchronized (stripe) {
      return body.get();
    }
  }
}
