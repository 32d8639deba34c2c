package io.voyager.bdk.xds.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The held-books bound of every delta stream ({@code --held-books-limit}): at most {@code books}
 * books' on-demand route configurations per Envoy (0: no bound), and the counters of evictions and
 * of reloads (an evicted book's cluster sent again: its next request paid one ADS round trip).
 */
record HeldBooksLimit(int books, Counter evictions, Counter reloads) {
  static final String EVICTIONS = "bdk.xds.held.books.evictions";
  static final String RELOADS = "bdk.xds.held.books.reloads";
  static final HeldBooksLimit OFF = new HeldBooksLimit(0, Counter.builder(EVICTIONS).register(new SimpleMeterRegistry()),
      Counter.builder(RELOADS).register(new SimpleMeterRegistry()));

  HeldBooksLimit {
    if (books < 0) {
      throw new IllegalArgumentException("held-books-limit: must be 0 (off) or more, got " + books);
    }
  }

  /** {@code books} per Envoy (0: off), evictions and reloads counted in {@code registry}. */
  static HeldBooksLimit of(int books, MeterRegistry registry) {
    return new HeldBooksLimit(books, Counter.builder(EVICTIONS)
        .description("Books evicted from an Envoy by the held-books bound (scope moved, cluster removed)")
        .register(registry), Counter.builder(RELOADS)
        .description("Evicted books an Envoy loaded again (their cluster sent back on the book's next fetch)")
        .register(registry));
  }
}
