package io.voyager.bdk.xds.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The held-books bound of every delta stream ({@code --held-books-limit}): at most {@code books}
 * books' on-demand route configurations per Envoy (0: no bound), and the counter of evictions.
 */
record HeldBooksLimit(int books, Counter evictions) {
  static final String EVICTIONS = "bdk.xds.held.books.evictions";
  static final HeldBooksLimit OFF = new HeldBooksLimit(0, Counter.builder(EVICTIONS).register(new SimpleMeterRegistry()));

  HeldBooksLimit {
    if (books < 0) {
      throw new IllegalArgumentException("held-books-limit: must be 0 (off) or more, got " + books);
    }
  }

  /** {@code books} per Envoy (0: off), evictions counted in {@code registry}. */
  static HeldBooksLimit of(int books, MeterRegistry registry) {
    return new HeldBooksLimit(books, Counter.builder(EVICTIONS)
        .description("Books evicted from an Envoy by the held-books bound (scope moved, cluster removed)")
        .register(registry));
  }
}
