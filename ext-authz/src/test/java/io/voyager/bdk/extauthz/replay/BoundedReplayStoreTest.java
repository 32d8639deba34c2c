package io.voyager.bdk.extauthz.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.voyager.bdk.extauthz.TestTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/** The replay memory: replays by any key, bytes bounded, one endpoint never evicting another's entries. */
class BoundedReplayStoreTest {
  static final Duration WINDOW = Duration.ofMinutes(10);
  static final long ENDPOINT_MINIMUM = BoundedReplayStore.ENDPOINT_OVERHEAD_BYTES + BoundedReplayStore.MIN_TABLE_BYTES;

  final TestTime time = new TestTime(Instant.parse("2025-06-01T12:00:00Z"));
  final BoundedReplayStore store = new BoundedReplayStore(BoundedReplayStore.Budget.standard(), time);

  static List<String> keys(String... keys) {
    return List.of(keys);
  }

  @Test
  void secondDeliveryWithinTheWindowIsAReplay() {
    assertThat(store.firstDelivery("ep", keys("id:1"), WINDOW)).isTrue();
    assertThat(store.seen("ep", keys("id:1"))).isTrue();
    assertThat(store.firstDelivery("ep", keys("id:1"), WINDOW)).isFalse();
  }

  @Test
  void aReleasedDeliveryIsNewAgainAndOnlyItsOwnDigestsAreForgotten() {
    assertThat(store.firstDelivery("ep", keys("sig:a", "id:1"), WINDOW)).isTrue();
    assertThat(store.firstDelivery("ep", keys("sig:b", "id:2"), WINDOW)).isTrue();
    assertThat(store.firstDelivery("other", keys("sig:a", "id:1"), WINDOW)).isTrue();
    assertThat(store.release("ep", List.of(ReplayDigest.of("ep", "sig:a"), ReplayDigest.of("ep", "id:1")))).isEqualTo(2);
    assertThat(store.release("ep", List.of(ReplayDigest.of("ep", "sig:a")))).isZero();
    assertThat(store.seen("ep", keys("sig:a", "id:1"))).isFalse();
    assertThat(store.seen("ep", keys("id:2"))).isTrue();
    assertThat(store.seen("other", keys("id:1"))).isTrue();
    assertThat(store.firstDelivery("ep", keys("sig:a", "id:1"), WINDOW)).isTrue();
    assertThat(store.firstDelivery("ep", keys("sig:a", "id:1"), WINDOW)).isFalse();
    store.sweep();
    assertThat(store.entries()).isEqualTo(6);
    assertThat(store.release("unknown", List.of(ReplayDigest.of("unknown", "x")))).isZero();
  }

  @Test
  void idsAreScopedPerEndpoint() {
    assertThat(store.firstDelivery("a", keys("id:1"), WINDOW)).isTrue();
    assertThat(store.firstDelivery("b", keys("id:1"), WINDOW)).isTrue();
    assertThat(store.seen("c", keys("id:1"))).isFalse();
  }

  @Test
  void entriesExpireAfterTheirWindow() {
    store.firstDelivery("ep", keys("id:1"), WINDOW);
    time.advance(WINDOW.plusSeconds(1));
    assertThat(store.seen("ep", keys("id:1"))).isFalse();
    assertThat(store.firstDelivery("ep", keys("id:1"), WINDOW)).isTrue();
    store.sweep();
    assertThat(store.entries()).isEqualTo(1);
  }

  @Test
  void aDeliveryIsAReplayWhenAnyOfItsKeysWasAccepted() {
    assertThat(store.firstDelivery("ep", keys("sig:aa", "id:d-1"), WINDOW)).isTrue();
    // the captured signature with a new delivery id; the same id with another signature
    assertThat(store.firstDelivery("ep", keys("sig:aa", "id:d-2"), WINDOW)).isFalse();
    assertThat(store.firstDelivery("ep", keys("sig:bb", "id:d-1"), WINDOW)).isFalse();
    // a refused delivery records nothing
    assertThat(store.seen("ep", keys("id:d-2"))).isFalse();
    assertThat(store.seen("ep", keys("sig:bb"))).isFalse();
    assertThat(store.firstDelivery("ep", keys("sig:bb", "id:d-2"), WINDOW)).isTrue();
    assertThatThrownBy(() -> store.firstDelivery("ep", List.of(), WINDOW)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keysOfAnyLengthCostTheSameFixedDigest() {
    String huge = "id:" + "x".repeat(60_000);
    store.firstDelivery("ep", keys(huge), WINDOW);
    assertThat(store.seen("ep", keys(huge))).isTrue();
    assertThat(store.bytes()).isEqualTo(ENDPOINT_MINIMUM);
  }

  @Test
  void oneEndpointsMemoryIsBoundedInBytesAndAFloodEvictsOnlyItsOwnOldest() {
    var budget = new BoundedReplayStore.Budget(1 << 20, 16 << 10);
    var small = new BoundedReplayStore(budget, time);
    for (int i = 0; i < 100; i++) {
      small.firstDelivery("b", keys("sig:b-" + i), WINDOW);
    }
    for (int i = 0; i < 100_000; i++) {
      small.firstDelivery("a", keys("sig:a-" + i, "id:a-" + i), WINDOW);
    }
    assertThat(budget.slotsPerEndpoint()).isEqualTo(512);
    // a: its whole share; b: 100 entries in 128 slots (4 KiB)
    assertThat(small.bytes()).isEqualTo(budget.endpointShareBytes() + 128L * EndpointReplays.BYTES_PER_SLOT
        + 2 * BoundedReplayStore.ENDPOINT_OVERHEAD_BYTES);
    assertThat(small.entries()).isEqualTo(512 + 100);
    assertThat(small.evictions("endpoint_share")).isEqualTo(2 * 100_000 - 512);
    assertThat(small.evictions("memory_budget")).isZero();
    // a's newest deliveries are still remembered, its oldest had to go
    assertThat(small.seen("a", keys("sig:a-99999"))).isTrue();
    assertThat(small.seen("a", keys("id:a-99900"))).isTrue();
    assertThat(small.seen("a", keys("sig:a-0"))).isFalse();
    // b's entries were never touched
    for (int i = 0; i < 100; i++) {
      assertThat(small.seen("b", keys("sig:b-" + i))).as("b's delivery %d", i).isTrue();
    }
  }

  @Test
  void whenTheBudgetIsSpentFloodsEvictTheirOwnAndEveryEndpointKeepsItsMinimum() {
    var budget = new BoundedReplayStore.Budget(64 << 10, 32 << 10);
    var tight = new BoundedReplayStore(budget, time);
    for (int i = 0; i < 16; i++) {
      tight.firstDelivery("victim", keys("sig:v-" + i), WINDOW);
    }
    for (String flooder : List.of("flood-1", "flood-2", "flood-3", "flood-4")) {
      for (int i = 0; i < 20_000; i++) {
        tight.firstDelivery(flooder, keys("sig:" + flooder + "-" + i), WINDOW);
      }
    }
    assertThat(tight.evictions("memory_budget")).as("growth refused by the budget").isGreaterThan(0);
    // after the budget is spent, a new endpoint still gets its minimum table
    for (int i = 0; i < 16; i++) {
      assertThat(tight.firstDelivery("newcomer", keys("sig:n-" + i), WINDOW)).isTrue();
    }
    assertThat(tight.bytes()).isLessThanOrEqualTo(budget.memoryBytes() + tight.endpoints() * ENDPOINT_MINIMUM);
    for (int i = 0; i < 16; i++) {
      assertThat(tight.seen("victim", keys("sig:v-" + i))).as("victim's delivery %d", i).isTrue();
      assertThat(tight.seen("newcomer", keys("sig:n-" + i))).as("newcomer's delivery %d", i).isTrue();
      assertThat(tight.firstDelivery("victim", keys("sig:v-" + i), WINDOW)).as("replay of victim's %d", i).isFalse();
    }
  }

  @Test
  void theSweepGivesExpiredMemoryBackAndShrinksTables() {
    for (int i = 0; i < 1000; i++) {
      store.firstDelivery("busy", keys("sig:" + i), Duration.ofMinutes(1));
    }
    for (int i = 0; i < 10; i++) {
      store.firstDelivery("busy", keys("sig:long-" + i), Duration.ofHours(1));
    }
    store.firstDelivery("quiet", keys("sig:q"), Duration.ofMinutes(1));
    assertThat(store.bytes()).isGreaterThan(1000L * EndpointReplays.BYTES_PER_SLOT);

    time.advance(Duration.ofMinutes(2));
    store.sweep();

    assertThat(store.endpoints()).isEqualTo(1);
    assertThat(store.entries()).isEqualTo(10);
    assertThat(store.bytes()).isEqualTo(BoundedReplayStore.ENDPOINT_OVERHEAD_BYTES + 32L * EndpointReplays.BYTES_PER_SLOT);
    for (int i = 0; i < 10; i++) {
      assertThat(store.seen("busy", keys("sig:long-" + i))).isTrue();
    }
    time.advance(Duration.ofHours(1));
    store.sweep();
    assertThat(store.endpoints()).isZero();
    assertThat(store.bytes()).isZero();
    assertThat(store.entries()).isZero();
  }

  @Test
  void ofConcurrentDeliveriesSharingAKeyExactlyOneIsFirst() throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 50; round++) {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          String id = "id:" + round + "-" + t;
          String sig = "sig:" + round;
          results.add(pool.submit(() -> {
            go.await();
            return store.firstDelivery("ep", keys(sig, id), WINDOW);
          }));
        }
        go.countDown();
        int first = 0;
        for (Future<Boolean> r : results) {
          first += r.get(10, TimeUnit.SECONDS) ? 1 : 0;
        }
        assertThat(first).as("round %d", round).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentDistinctDeliveriesAndSweepsLoseNothing() throws Exception {
    int threads = 8;
    int each = 2_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < each; i++) {
            store.firstDelivery("ep-" + (i % 4), keys("sig:" + thread + "-" + i), WINDOW);
            if (i % 500 == 0) {
              store.sweep();
            }
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < each; i++) {
        assertThat(store.seen("ep-" + (i % 4), keys("sig:" + t + "-" + i))).isTrue();
      }
    }
    assertThat(store.entries()).isEqualTo((long) threads * each);
  }

  /**
   * Against a plain map of expiries, on a 64-slot table with one window (as each route has): random
   * deliveries over a small key space re-record expired digests, the head keeps expiring (so removal
   * from the index runs all the time), and the table never holds more live entries than it can, so
   * nothing live is evicted and the map is the exact expectation.
   */
  @Test
  void aSmallTableWithOneWindowBehavesLikeAMapOfExpiries() {
    var tableOf64 = new BoundedReplayStore(new BoundedReplayStore.Budget(1 << 20, 64L * EndpointReplays.BYTES_PER_SLOT), time);
    compareWithAMap(tableOf64, new Random(42), 200_000, () -> 30);
  }

  /** The same with a window drawn per delivery, on a share large enough that the table grows instead. */
  @Test
  void aGrowingTableWithMixedWindowsBehavesLikeAMapOfExpiries() {
    var growing = new BoundedReplayStore(BoundedReplayStore.Budget.standard(), time);
    Random random = new Random(7);
    compareWithAMap(growing, random, 100_000, () -> 1 + random.nextInt(120));
  }

  private void compareWithAMap(BoundedReplayStore store, Random random, int steps, IntSupplier windowSeconds) {
    Map<String, Long> model = new HashMap<>();
    for (long now = 1; now <= steps; now++) {
      time.advance(Duration.ofSeconds(1));
      final long at = now;
      String a = "sig:" + random.nextInt(300);
      String b = "id:" + random.nextInt(300);
      List<String> delivery = random.nextBoolean() ? keys(a) : keys(a, b);
      boolean live = delivery.stream().anyMatch(k -> model.getOrDefault(k, Long.MIN_VALUE) > at);
      if (random.nextInt(4) == 0) {
        assertThat(store.seen("ep", delivery)).as("seen at %d", now).isEqualTo(live);
        continue;
      }
      long window = windowSeconds.getAsInt();
      if (!live) {
        delivery.forEach(k -> model.put(k, at + window));
      }
      assertThat(store.firstDelivery("ep", delivery, Duration.ofSeconds(window))).as("delivery at %d", now).isEqualTo(!live);
      if (now % 997 == 0) {
        store.sweep();
      }
    }
    assertThat(store.evictions("endpoint_share") + store.evictions("memory_budget")).isZero();
  }

  @Test
  void theBudgetMustHoldAnEndpointsShareAndTheShareAMinimumTable() {
    assertThatThrownBy(() -> new BoundedReplayStore.Budget(1 << 20, 100)).hasMessageContaining("endpoint share");
    assertThatThrownBy(() -> new BoundedReplayStore.Budget(1 << 10, 1 << 20)).hasMessageContaining("at least the endpoint share");
  }
}
