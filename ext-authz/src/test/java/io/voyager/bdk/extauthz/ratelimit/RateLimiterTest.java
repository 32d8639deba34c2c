package io.voyager.bdk.extauthz.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.extauthz.TestTime;
import io.voyager.bdk.extauthz.scheme.Header;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  final TestTime time = new TestTime(Instant.parse("2025-06-01T12:00:00Z"));
  final RateLimiter limiter = new RateLimiter(1000, time);
  final RateLimitPolicy policy = new RateLimitPolicy(2, 5);

  @Test
  void burstThenRefusedWithHeaders() {
    for (int i = 0; i < 5; i++) {
      RateLimitDecision d = limiter.take("ep", policy);
      assertThat(d.allowed()).isTrue();
      assertThat(d.remaining()).isEqualTo(4 - i);
    }
    RateLimitDecision refused = limiter.take("ep", policy);
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.retryAfterSeconds()).isEqualTo(1);
    assertThat(refused.headers()).containsExactly(
        new Header("RateLimit-Policy", "\"webhook\";q=5;w=3"),
        new Header("RateLimit", "\"webhook\";r=0;t=3"),
        new Header("Retry-After", "1"));
  }

  @Test
  void tokensRefillAtTheRate() {
    for (int i = 0; i < 5; i++) {
      limiter.take("ep", policy);
    }
    assertThat(limiter.take("ep", policy).allowed()).isFalse();
    time.advance(Duration.ofMillis(500));
    assertThat(limiter.take("ep", policy).allowed()).isTrue();
    assertThat(limiter.take("ep", policy).allowed()).isFalse();
    time.advance(Duration.ofSeconds(60));
    RateLimitDecision full = limiter.take("ep", policy);
    assertThat(full.allowed()).isTrue();
    assertThat(full.remaining()).isEqualTo(4);
  }

  @Test
  void endpointsHaveTheirOwnBuckets() {
    for (int i = 0; i < 5; i++) {
      limiter.take("a", policy);
    }
    assertThat(limiter.take("a", policy).allowed()).isFalse();
    assertThat(limiter.take("b", policy).allowed()).isTrue();
  }

  /** Creating a bucket and taking from it is one atomic step: N parallel takes on a fresh bucket allow exactly its burst. */
  @Test
  void parallelTakesOnAFreshBucketAllowExactlyTheBurst() throws Exception {
    RateLimitPolicy slow = new RateLimitPolicy(0.001, 20);
    int threads = 16;
    int perThread = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 100; round++) {
        String endpoint = "fresh-" + round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> allowed = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          allowed.add(pool.submit(() -> {
            go.await();
            int n = 0;
            for (int i = 0; i < perThread; i++) {
              n += limiter.take(endpoint, slow).allowed() ? 1 : 0;
            }
            return n;
          }));
        }
        go.countDown();
        int total = 0;
        for (var f : allowed) {
          total += f.get(10, TimeUnit.SECONDS);
        }
        assertThat(total).as("round %d: %d takes on a fresh bucket of 20", round, threads * perThread).isEqualTo(20);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** At the moment a bucket would be full again (its entry expires), parallel takes still share one bucket. */
  @Test
  void parallelTakesWhenABucketRefillsAllowExactlyTheBurst() throws Exception {
    RateLimitPolicy one = new RateLimitPolicy(1, 4);
    for (int i = 0; i < 4; i++) {
      limiter.take("ep", one);
    }
    time.advance(Duration.ofSeconds(5));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 32; t++) {
        results.add(pool.submit(() -> {
          go.await();
          return limiter.take("ep", one).allowed();
        }));
      }
      go.countDown();
      int allowed = 0;
      for (var f : results) {
        allowed += f.get(10, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(allowed).isEqualTo(4);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The interleaving that a take-then-write-back limiter gets wrong, forced deterministically: the
   * first caller is paused right after it found the endpoint's (about to expire) bucket; meanwhile the
   * entry expires and a second caller takes. A write-back limiter grants both (the old bucket, now
   * refilled, and a fresh one); the atomic one makes the second caller wait for the first, and
   * grants exactly the burst of 1.
   */
  @Test
  void aCallerPausedAcrossTheBucketsExpiryCannotMakeTheLimiterGrantTwice() throws Exception {
    CountDownLatch firstPaused = new CountDownLatch(1);
    AtomicReference<Thread> second = new AtomicReference<>();
    AtomicBoolean secondDone = new AtomicBoolean();
    AtomicBoolean armed = new AtomicBoolean();
    com.github.benmanes.caffeine.cache.Ticker pausing = () -> {
      // Only the read the limiter makes for the take itself (not the cache's own reads).
      boolean fromLimiter = StackWalker.getInstance().walk(frames -> frames.skip(1).findFirst()
          .map(f -> f.getClassName().equals(RateLimiter.class.getName())).orElse(false));
      if (fromLimiter && Thread.currentThread().getName().equals("first") && armed.compareAndSet(true, false)) {
        time.advance(Duration.ofSeconds(2)); // the bucket is full again: its entry expires
        firstPaused.countDown();
        // Let the second caller run until it is done, or blocked behind us.
        while (!secondDone.get() && (second.get() == null
            || !EnumSet.of(Thread.State.BLOCKED, Thread.State.WAITING).contains(second.get().getState()))) {
          Thread.onSpinWait();
        }
      }
      return time.read();
    };
    RateLimiter paused = new RateLimiter(1000, pausing);
    RateLimitPolicy burstOfOne = new RateLimitPolicy(1, 1);
    assertThat(paused.take("ep", burstOfOne).allowed()).isTrue();
    armed.set(true);
    AtomicInteger granted = new AtomicInteger();
    Thread first = new Thread(() -> granted.addAndGet(paused.take("ep", burstOfOne).allowed() ? 1 : 0), "first");
    first.start();
    firstPaused.await(10, TimeUnit.SECONDS);
    Thread secondThread = new Thread(() -> {
      granted.addAndGet(paused.take("ep", burstOfOne).allowed() ? 1 : 0);
      secondDone.set(true);
    }, "second");
    second.set(secondThread);
    secondThread.start();
    first.join(10_000);
    secondThread.join(10_000);
    assertThat(first.isAlive() || secondThread.isAlive()).isFalse();
    assertThat(granted.get()).as("tokens granted from a bucket of 1 within one instant").isEqualTo(1);
  }

  @Test
  void aTokenGivenBackIsGrantedAgainAndNeverFillsTheBucketBeyondItsBurst() {
    RateLimitDecision taken = null;
    for (int i = 0; i < 5; i++) {
      taken = limiter.take("ep", policy);
      assertThat(taken.allowed()).isTrue();
    }
    RateLimitDecision refused = limiter.take("ep", policy);
    assertThat(refused.allowed()).isFalse();
    limiter.refund("ep", refused); // a refused take took nothing: nothing to give back
    assertThat(limiter.take("ep", policy).allowed()).isFalse();
    limiter.refund("ep", taken);
    RateLimitDecision again = limiter.take("ep", policy);
    assertThat(again.allowed()).isTrue();
    assertThat(again.remaining()).isZero();
    assertThat(limiter.take("ep", policy).allowed()).isFalse();

    // given back on a bucket that refilled meanwhile: it holds the burst, not one more
    RateLimitDecision first = limiter.take("full", policy);
    RateLimitDecision second = limiter.take("full", policy);
    time.advance(Duration.ofSeconds(2));
    limiter.refund("full", first);
    limiter.refund("full", second);
    int granted = 0;
    for (int i = 0; i < 10; i++) {
      granted += limiter.take("full", policy).allowed() ? 1 : 0;
    }
    assertThat(granted).isEqualTo(5);

    // no bucket (never taken from, or full again and dropped): nothing to give back
    limiter.refund("never", again);
    assertThat(limiter.take("never", policy).remaining()).isEqualTo(4);
  }

  @Test
  void allowedDecisionsCarryNoRetryAfter() {
    assertThat(limiter.take("ep", policy).headers()).extracting(Header::name).containsExactly("RateLimit-Policy", "RateLimit");
  }
}
