package io.voyager.bdk.extauthz.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.voyager.bdk.extauthz.CheckDefaults;
import io.voyager.bdk.extauthz.CheckOutcome;
import io.voyager.bdk.extauthz.TestTime;
import io.voyager.bdk.extauthz.WebhookCheck;
import io.voyager.bdk.extauthz.ratelimit.JetStreamRateLimiter;
import io.voyager.bdk.extauthz.ratelimit.RateLimitDecision;
import io.voyager.bdk.extauthz.ratelimit.RateLimitPolicy;
import io.voyager.bdk.extauthz.replay.JetStreamReplayStore;
import io.voyager.bdk.extauthz.replay.ReplayDigest;
import io.voyager.bdk.extauthz.scheme.DenyReason;
import io.voyager.bdk.extauthz.scheme.RequestHeaders;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.nats.NatsServerBinary;
import io.voyager.bdk.nats.NatsServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared replay and rate-limit state on a real nats-server (JetStream, file storage): two
 * "replicas" are two {@link SharedState}s, each with its own connection and stores, as two
 * ext-authz processes would have.
 */
class JetStreamStateTest {
  @TempDir static Path dir;
  static NatsServerProcess nats;
  static SharedState replicaA;
  static SharedState replicaB;

  @BeforeAll
  static void startNats() {
    nats = NatsServerProcess.start(NatsServerBinary.locate(NatsServerBinary.checkoutRoot()), dir.resolve("nats"), NatsServerProcess.Settings.defaults());
    replicaA = SharedState.connect(settings());
    replicaB = SharedState.connect(settings());
    await().atMost(Duration.ofSeconds(30)).until(() -> replicaA.connected() && replicaB.connected());
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {replicaA, replicaB, nats}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // best effort
      }
    }
  }

  static SharedStateSettings settings() {
    return new SharedStateSettings(nats.url(), 1, Duration.ofSeconds(2), 16L << 20, 16L << 20);
  }

  static JetStreamReplayStore replays(SharedState state) {
    return new JetStreamReplayStore(state);
  }

  @Test
  void aDeliveryAcceptedByOneReplicaIsAReplayOnTheOther() {
    String endpoint = "ep-" + UUID.randomUUID();
    List<String> keys = List.of("delivery-" + UUID.randomUUID(), "sig-" + UUID.randomUUID());
    JetStreamReplayStore a = replays(replicaA);
    JetStreamReplayStore b = replays(replicaB);

    assertThat(b.seen(endpoint, keys)).isFalse();
    assertThat(a.firstDelivery(endpoint, keys, Duration.ofMinutes(10))).isTrue();

    assertThat(b.seen(endpoint, keys)).isTrue();
    assertThat(b.firstDelivery(endpoint, keys, Duration.ofMinutes(10))).isFalse();
    assertThat(a.firstDelivery(endpoint, keys, Duration.ofMinutes(10))).isFalse();
    // any one key repeats the delivery (a changed unsigned delivery id does not make it new)
    assertThat(b.seen(endpoint, List.of("other-id-" + UUID.randomUUID(), keys.get(1)))).isTrue();
    assertThat(b.seen(endpoint, List.of(keys.get(0), "other-sig-" + UUID.randomUUID()))).isTrue();
    assertThat(b.seen(endpoint, List.of("other-id-" + UUID.randomUUID(), "other-sig-" + UUID.randomUUID()))).isFalse();
    assertThat(b.firstDelivery(endpoint, List.of("other-id", keys.get(1)), Duration.ofMinutes(10))).isFalse();
    // the same key on another endpoint is another delivery
    assertThat(b.firstDelivery(endpoint + "-other", keys, Duration.ofMinutes(10))).isTrue();
  }

  @Test
  void aDeliveryReleasedByAnotherReplicaIsNewAgainOnTheReplicaThatAcceptedIt() {
    var a = replays(replicaA);
    var b = replays(replicaB);
    String endpoint = "ep-release";
    List<String> keys = List.of("sig:r1", "id:r1");
    assertThat(a.firstDelivery(endpoint, keys, Duration.ofMinutes(10))).isTrue();
    assertThat(a.seen(endpoint, keys)).isTrue();
    List<ReplayDigest> digests = keys.stream()
        .map(k -> ReplayDigest.of(endpoint, k)).toList();
    assertThat(b.release(endpoint, digests)).isEqualTo(2);
    assertThat(a.seen(endpoint, keys)).isFalse();
    assertThat(a.firstDelivery(endpoint, keys, Duration.ofMinutes(10))).isTrue();
    assertThat(b.firstDelivery(endpoint, keys, Duration.ofMinutes(10))).isFalse();
  }

  @Test
  void theBucketHoldsDigestsNeverTheRawKeys() throws Exception {
    String secretish = "delivery-" + UUID.randomUUID();
    replays(replicaA).firstDelivery("ep-raw", List.of(secretish), Duration.ofMinutes(10));

    List<String> keys = replicaA.buckets().replay().keys();
    assertThat(keys).isNotEmpty().allMatch(k -> k.matches("[0-9a-f]{32}"));
    assertThat(keys).noneMatch(k -> k.contains(secretish));
  }

  @Test
  void ofManyConcurrentDeliveriesAcrossReplicasExactlyOneIsFirst() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<JetStreamReplayStore> stores = List.of(replays(replicaA), replays(replicaB), replays(replicaA), replays(replicaB));
      for (int round = 0; round < 10; round++) {
        String endpoint = "ep-race";
        List<String> keys = List.of("race-" + UUID.randomUUID());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < 32; t++) {
          JetStreamReplayStore store = stores.get(t % stores.size());
          Callable<Boolean> attempt = () -> {
            go.await();
            return store.firstDelivery(endpoint, keys, Duration.ofMinutes(10));
          };
          results.add(pool.submit(attempt));
        }
        go.countDown();
        int first = 0;
        for (Future<Boolean> r : results) {
          first += r.get() ? 1 : 0;
        }
        assertThat(first).as("round " + round).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aKeyLeavesAfterItsWindowAndTheDeliveryIsNewAgain() {
    String endpoint = "ep-ttl";
    List<String> keys = List.of("short-" + UUID.randomUUID());
    assertThat(replays(replicaA).firstDelivery(endpoint, keys, Duration.ofSeconds(1))).isTrue();
    JetStreamReplayStore b = replays(replicaB);
    assertThat(b.seen(endpoint, keys)).isTrue();

    await("the key's own TTL").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> !b.seen(endpoint, keys));
    assertThat(b.firstDelivery(endpoint, keys, Duration.ofSeconds(1))).isTrue();
  }

  @Test
  void aSharedBucketGrantsOneBurstAcrossReplicas() {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z"));
    JetStreamRateLimiter a = new JetStreamRateLimiter(replicaA, time);
    JetStreamRateLimiter b = new JetStreamRateLimiter(replicaB, time);
    RateLimitPolicy policy = new RateLimitPolicy(1, 5);
    String endpoint = "ep-rate-" + UUID.randomUUID();

    int allowed = 0;
    RateLimitDecision last = null;
    for (int i = 0; i < 12; i++) {
      last = (i % 2 == 0 ? a : b).take(endpoint, policy);
      allowed += last.allowed() ? 1 : 0;
    }
    assertThat(allowed).isEqualTo(5);
    assertThat(last.allowed()).isFalse();
    assertThat(last.retryAfterSeconds()).isEqualTo(1);
    assertThat(last.headers()).anyMatch(h -> h.name().equals("Retry-After"));

    time.advance(Duration.ofSeconds(2));
    assertThat(b.take(endpoint, policy).allowed()).isTrue();
    assertThat(a.take(endpoint, policy).allowed()).isTrue();
    assertThat(b.take(endpoint, policy).allowed()).isFalse();
    // another endpoint has its own bucket
    assertThat(a.take(endpoint + "-other", policy).allowed()).isTrue();
  }

  @Test
  void aRevisionRememberedByOneReplicaIsRefusedOnceAnotherReplicaWroteAndTheBucketStaysExact() {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z"));
    JetStreamRateLimiter a = new JetStreamRateLimiter(replicaA, time);
    JetStreamRateLimiter b = new JetStreamRateLimiter(replicaB, time);
    RateLimitPolicy policy = new RateLimitPolicy(1, 6);
    String endpoint = "ep-rate-remembered-" + UUID.randomUUID();

    // a writes three times in a row (the second and third on the revision it wrote itself)
    for (int i = 0; i < 3; i++) {
      assertThat(a.take(endpoint, policy).allowed()).isTrue();
    }
    assertThat(a.staleRevisions()).isZero();
    // b takes two: a's remembered revision is stale now
    assertThat(b.take(endpoint, policy).allowed()).isTrue();
    assertThat(b.take(endpoint, policy).allowed()).isTrue();
    // a's next write on its stale revision is refused by JetStream; a reads the key and takes the last token
    RateLimitDecision sixth = a.take(endpoint, policy);
    assertThat(sixth.allowed()).isTrue();
    assertThat(sixth.remaining()).isZero();
    assertThat(a.staleRevisions()).isEqualTo(1);
    long reads = a.reads();
    assertThat(a.take(endpoint, policy).allowed()).isFalse();
    assertThat(a.reads()).as("a refusal is decided on the key as read, not on a remembered revision").isEqualTo(reads + 1);
    assertThat(b.take(endpoint, policy).allowed()).isFalse();
  }

  @Test
  void aRevisionWhoseKeyItsTtlRemovedCostsOneReadAndIsThenRememberedAgain() {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z")); // never advanced: the key's TTL is 1 s
    JetStreamRateLimiter a = new JetStreamRateLimiter(replicaA, time);
    RateLimitPolicy policy = new RateLimitPolicy(1, 3);
    String endpoint = "ep-rate-ttl-remembered-" + UUID.randomUUID();
    String key = ReplayDigest.of("rate-limit", endpoint).hex();

    assertThat(a.take(endpoint, policy).allowed()).isTrue();
    assertThat(a.reads()).isEqualTo(1);
    await("the bucket key's TTL").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> replicaA.buckets().rateLimit().get(key) == null);
    // the remembered revision is gone: the write is refused, the key read (a fresh bucket), written
    assertThat(a.take(endpoint, policy).allowed()).isTrue();
    assertThat(a.staleRevisions()).isEqualTo(1);
    assertThat(a.reads()).isEqualTo(2);
    // a TTL is no other replica: the next take writes on the remembered revision without a read
    assertThat(a.take(endpoint, policy).allowed()).isTrue();
    assertThat(a.reads()).isEqualTo(2);
    assertThat(a.take(endpoint, policy).allowed()).isTrue();
    assertThat(a.take(endpoint, policy).allowed()).isFalse();
  }

  @Test
  void aBucketKeyLeavesWhenItWouldBeFullAndAFreshBucketIsWrittenOverItsMarker() {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z")); // never advanced: only the key's TTL can refill
    RateLimitPolicy policy = new RateLimitPolicy(1, 1);
    String endpoint = "ep-rate-ttl-" + UUID.randomUUID();
    assertThat(new JetStreamRateLimiter(replicaA, time).take(endpoint, policy).allowed()).isTrue();
    assertThat(new JetStreamRateLimiter(replicaB, time).take(endpoint, policy).allowed()).isFalse();

    // a new limiter each time: no local "empty until"; allowed again only once the key (1 s TTL) is gone
    await("the bucket key's TTL").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> new JetStreamRateLimiter(replicaB, time).take(endpoint, policy).allowed());
    assertThat(new JetStreamRateLimiter(replicaA, time).take(endpoint, policy).allowed()).isFalse();
  }

  @Test
  void concurrentTakesOnTwoReplicasNeverGrantMoreThanTheBurst() throws Exception {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z"));
    List<JetStreamRateLimiter> limiters = List.of(new JetStreamRateLimiter(replicaA, time), new JetStreamRateLimiter(replicaB, time));
    RateLimitPolicy policy = new RateLimitPolicy(0.01, 20);
    String endpoint = "ep-rate-race-" + UUID.randomUUID();
    int allowed = allowedConcurrently(limiters, 60, limiter -> limiter.take(endpoint, policy).allowed());
    long gaveUp = limiters.stream().mapToLong(JetStreamRateLimiter::contention).sum();
    assertThat(allowed).isLessThanOrEqualTo(20).isGreaterThanOrEqualTo((int) Math.max(0, 20 - gaveUp));
    // once the contention is over, what is left of the one bucket is granted, and no more
    int more = 0;
    for (int i = 0; i < 30; i++) {
      more += limiters.get(i % 2).take(endpoint, policy).allowed() ? 1 : 0;
    }
    assertThat(allowed + more).isEqualTo(20);
  }

  /** Runs {@code attempts} attempts at once on 8 threads, alternating the limiters; how many answered true. */
  static int allowedConcurrently(List<JetStreamRateLimiter> limiters, int attempts, Predicate<JetStreamRateLimiter> attempt)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < attempts; t++) {
        JetStreamRateLimiter limiter = limiters.get(t % limiters.size());
        results.add(pool.submit(() -> {
          go.await();
          return attempt.test(limiter);
        }));
      }
      go.countDown();
      int allowed = 0;
      for (Future<Boolean> r : results) {
        allowed += r.get() ? 1 : 0;
      }
      return allowed;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void leasedTokensServeMostTakesWithoutNatsAndTheReplicasTogetherGrantExactlyTheBurst() {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z")); // never advanced: no refill
    JetStreamRateLimiter a = new JetStreamRateLimiter(replicaA, time);
    JetStreamRateLimiter b = new JetStreamRateLimiter(replicaB, time);
    RateLimitPolicy policy = new RateLimitPolicy(10, 100);
    assertThat(JetStreamRateLimiter.leaseSize(policy)).isEqualTo(10);
    String endpoint = "ep-rate-lease-" + UUID.randomUUID();

    int allowed = 0;
    for (int i = 0; i < 130; i++) {
      allowed += (i % 3 == 0 ? a : b).take(endpoint, policy).allowed() ? 1 : 0;
    }
    assertThat(allowed).as("every granted token was leased from the one shared bucket").isEqualTo(100);
    assertThat(a.leaseGrants() + b.leaseGrants()).as("nine of each ten grants come from a lease").isEqualTo(90);
    RateLimitDecision refused = a.take(endpoint, policy);
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.retryAfterSeconds()).isEqualTo(1);
  }

  @Test
  void twoReplicasExceedTheLimitByAtMostTheirLeasesAndADeadReplicasLeaseOnlyUnderAdmits() {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z"));
    RateLimitPolicy policy = new RateLimitPolicy(10, 100);
    int lease = JetStreamRateLimiter.leaseSize(policy);
    String endpoint = "ep-rate-lease-bound-" + UUID.randomUUID();
    JetStreamRateLimiter a = new JetStreamRateLimiter(replicaA, time);
    JetStreamRateLimiter b = new JetStreamRateLimiter(replicaB, time);

    // each replica takes one and keeps nine leased; then the shared bucket refills to its burst
    assertThat(a.take(endpoint, policy).allowed()).isTrue();
    assertThat(b.take(endpoint, policy).allowed()).isTrue();
    time.advance(Duration.ofSeconds(10));
    // within one instant (t = 0) the two replicas grant the full bucket plus what they held
    int burstWindow = 0;
    for (int i = 0; i < 200; i++) {
      burstWindow += (i % 2 == 0 ? a : b).take(endpoint, policy).allowed() ? 1 : 0;
    }
    assertThat(burstWindow).as("burst + rate x 0 s + 2 replicas x lease").isLessThanOrEqualTo(policy.burst() + 2 * lease)
        .isEqualTo(policy.burst() + 2 * (lease - 1));

    // a replica that dies holding a lease: its tokens never come back, the survivor only under-admits
    String other = "ep-rate-lease-dead-" + UUID.randomUUID();
    JetStreamRateLimiter dying = new JetStreamRateLimiter(replicaA, time);
    assertThat(dying.take(other, policy).allowed()).isTrue();
    dying = null; // gone, with lease - 1 tokens leased
    JetStreamRateLimiter survivor = new JetStreamRateLimiter(replicaB, time);
    int granted = 0;
    for (int i = 0; i < 200; i++) {
      granted += survivor.take(other, policy).allowed() ? 1 : 0;
    }
    assertThat(granted).isEqualTo(policy.burst() - lease);
    // time refills the shared bucket as usual: the lost lease costs nothing after that
    time.advance(Duration.ofSeconds(10));
    granted = 0;
    for (int i = 0; i < 200; i++) {
      granted += survivor.take(other, policy).allowed() ? 1 : 0;
    }
    assertThat(granted).isEqualTo(policy.burst());
  }

  @Test
  void refundsNeverGrowALeaseBeyondItsSizeSoTheBoundHoldsAfterAFloodOfReplays() {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z"));
    JetStreamRateLimiter a = new JetStreamRateLimiter(replicaA, time);
    RateLimitPolicy policy = new RateLimitPolicy(10, 100);
    int lease = JetStreamRateLimiter.leaseSize(policy);
    String endpoint = "ep-rate-lease-refunds-" + UUID.randomUUID();
    // 60 deliveries in flight at once, then every one refused as a replay: their tokens come back
    List<RateLimitDecision> taken = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      taken.add(a.take(endpoint, policy));
    }
    assertThat(taken).allMatch(RateLimitDecision::allowed);
    taken.forEach(granted -> a.refund(endpoint, granted));
    awaitRefunds(a);

    // the shared bucket full again: in one instant this replica grants the burst and at most its lease
    time.advance(Duration.ofSeconds(20));
    int granted = 0;
    for (int i = 0; i < 300; i++) {
      granted += a.take(endpoint, policy).allowed() ? 1 : 0;
    }
    assertThat(granted).as("burst + one replica's lease").isLessThanOrEqualTo(policy.burst() + lease);
  }

  /** One token per 100 s, burst 5: no lease (burst < 20), and no refill unless a test moves its clock. */
  static final RateLimitPolicy NO_LEASE = new RateLimitPolicy(0.01, 5);

  /** The endpoint's bucket as the shared key holds it now: its tokens (the burst when the key holds none). */
  static double sharedTokens(String endpoint, RateLimitPolicy policy) throws Exception {
    io.nats.client.api.KeyValueEntry entry = replicaA.buckets().rateLimit().get(JetStreamRateLimiter.bucketKey(endpoint));
    if (entry == null || entry.getValue() == null || entry.getValue().length == 0) {
      return policy.burst();
    }
    return Double.parseDouble(new String(entry.getValue(), StandardCharsets.US_ASCII).split(" ")[0]);
  }

  /** Gives back the token {@code granted} took (its delivery was a replay) and waits until it is back. */
  static void giveBack(JetStreamRateLimiter limiter, String endpoint, RateLimitDecision granted) {
    limiter.refund(endpoint, granted);
    awaitRefunds(limiter);
  }

  /** Waits until the limiters' refunds to the shared key (made in the background) are done. */
  static void awaitRefunds(JetStreamRateLimiter... limiters) {
    await("refunds to the shared key done").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
        .until(() -> java.util.Arrays.stream(limiters).allMatch(l -> l.refundsInFlight() == 0));
  }

  @Test
  void tokensTakenByACompareAndSetGoBackToTheSharedKeyWhereEveryReplicaCanTakeThem() throws Exception {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z")); // never advanced: no refill
    JetStreamRateLimiter a = new JetStreamRateLimiter(replicaA, time);
    JetStreamRateLimiter b = new JetStreamRateLimiter(replicaB, time);
    assertThat(JetStreamRateLimiter.leaseSize(NO_LEASE)).isEqualTo(1);
    String endpoint = "ep-refund-shared-" + UUID.randomUUID();

    List<RateLimitDecision> granted = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      granted.add(a.take(endpoint, NO_LEASE));
    }
    assertThat(granted).allMatch(RateLimitDecision::allowed);
    assertThat(a.take(endpoint, NO_LEASE).allowed()).isFalse();
    // two of the five were replays: their tokens go back to the shared key, not into a's lease
    giveBack(a, endpoint, granted.get(3));
    giveBack(a, endpoint, granted.get(4));
    assertThat(sharedTokens(endpoint, NO_LEASE)).isEqualTo(2.0);
    // so the other replica can take exactly them, and nobody more
    assertThat(b.take(endpoint, NO_LEASE).allowed()).isTrue();
    assertThat(b.take(endpoint, NO_LEASE).allowed()).isTrue();
    assertThat(b.take(endpoint, NO_LEASE).allowed()).isFalse();
    assertThat(a.take(endpoint, NO_LEASE).allowed()).isFalse();
    assertThat(sharedTokens(endpoint, NO_LEASE)).isZero();
  }

  /**
   * Replays taken from a bucket that has refilled to its burst by the time their creates answer:
   * their tokens go back to the shared key, capped at the burst, so a flood then gets the burst and
   * no sixth pass (before, they joined the replica's lease, on top of the full bucket).
   */
  @Test
  void tokensGivenBackOnceTheBucketRefilledAreNoPassBeyondTheBurst() throws Exception {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z"));
    JetStreamRateLimiter a = new JetStreamRateLimiter(replicaA, time);
    JetStreamRateLimiter b = new JetStreamRateLimiter(replicaB, time);
    String endpoint = "ep-refund-burst-" + UUID.randomUUID();

    List<RateLimitDecision> replays = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      replays.add(a.take(endpoint, NO_LEASE));
    }
    assertThat(replays).allMatch(RateLimitDecision::allowed);
    time.advance(Duration.ofSeconds(300)); // three tokens back: the bucket is full again
    for (RateLimitDecision replay : replays) {
      giveBack(a, endpoint, replay);
    }
    assertThat(sharedTokens(endpoint, NO_LEASE)).isLessThanOrEqualTo(NO_LEASE.burst());

    int flood = 0;
    for (int i = 0; i < 20; i++) {
      flood += (i % 2 == 0 ? a : b).take(endpoint, NO_LEASE).allowed() ? 1 : 0;
    }
    assertThat(flood).as("burst + rate x 0 s: the given-back tokens added nothing to a full bucket").isEqualTo(NO_LEASE.burst());
  }

  /**
   * Two replicas take concurrently and give every token back (all replays): the shared key ends
   * where it started, never beyond its burst, and once it has refilled a flood gets the burst.
   */
  @Test
  void concurrentTakesAndGiveBacksOnTwoReplicasLeaveTheSharedKeyExactAndWithinItsBurst() throws Exception {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z"));
    List<JetStreamRateLimiter> limiters = List.of(new JetStreamRateLimiter(replicaA, time), new JetStreamRateLimiter(replicaB, time));
    String endpoint = "ep-refund-race-" + UUID.randomUUID();
    int allowed = allowedConcurrently(limiters, 40, limiter -> {
      RateLimitDecision taken = limiter.take(endpoint, NO_LEASE);
      if (taken.allowed()) {
        limiter.refund(endpoint, taken); // a replay: the answer does not wait for the refund
      }
      return taken.allowed();
    });
    assertThat(allowed).isPositive();
    awaitRefunds(limiters.get(0), limiters.get(1));
    long lost = limiters.stream().mapToLong(JetStreamRateLimiter::refundsLost).sum();
    assertThat(sharedTokens(endpoint, NO_LEASE)).as("every token given back to the key it came from (%d lost)", lost)
        .isEqualTo(NO_LEASE.burst() - lost);

    time.advance(Duration.ofSeconds(500)); // full, whatever was given back
    int flood = 0;
    for (int i = 0; i < 20; i++) {
      flood += limiters.get(i % 2).take(endpoint, NO_LEASE).allowed() ? 1 : 0;
    }
    assertThat(flood).isEqualTo(NO_LEASE.burst());
  }

  @Test
  void asynchronousTakesAndCreatesFromOneThreadAllCompleteAndStayExact() {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z"));
    JetStreamRateLimiter a = new JetStreamRateLimiter(replicaA, time);
    JetStreamRateLimiter b = new JetStreamRateLimiter(replicaB, time);
    JetStreamReplayStore replaysA = replays(replicaA);
    JetStreamReplayStore replaysB = replays(replicaB);
    RateLimitPolicy policy = new RateLimitPolicy(1, 50);
    String endpoint = "ep-async-" + UUID.randomUUID();

    // issued without waiting for any answer (no thread blocks per round trip), then collected
    List<CompletableFuture<RateLimitDecision>> takes = new ArrayList<>();
    List<CompletableFuture<Boolean>> creates = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      takes.add((i % 2 == 0 ? a : b).takeAsync(endpoint, policy));
      // two deliveries per id, on different replicas, sharing both keys in opposite orders
      List<String> keys = List.of("id:" + (i / 2), "sig:" + (i / 2));
      creates.add((i % 2 == 0 ? replaysA : replaysB).firstDeliveryAsync(endpoint, i % 2 == 0 ? keys : List.of(keys.get(1), keys.get(0)), Duration.ofMinutes(10)));
    }
    long allowed = takes.stream().map(CompletableFuture::join).filter(RateLimitDecision::allowed).count();
    long gaveUp = a.contention() + b.contention();
    assertThat(allowed).isLessThanOrEqualTo(50).isGreaterThanOrEqualTo(50 - gaveUp * JetStreamRateLimiter.leaseSize(policy));
    // what is left (leased or shared) is granted once the race is over, and no more
    long more = 0;
    for (int i = 0; i < 80; i++) {
      more += (i % 2 == 0 ? a : b).take(endpoint, policy).allowed() ? 1 : 0;
    }
    assertThat(allowed + more).isEqualTo(50);
    for (int i = 0; i < 80; i += 2) {
      assertThat(creates.get(i).join() ^ creates.get(i + 1).join()).as("exactly one of delivery %d's two copies is first", i / 2).isTrue();
    }
    assertThat(replaysB.seenAsync(endpoint, List.of("id:7")).join()).isTrue();
    assertThat(replaysA.seenAsync(endpoint, List.of("id:70")).join()).isFalse();
  }

  static final String SECRET = "jetstream-check-secret-1234567890";

  /** One replica's check of GitHub webhooks (two replay keys: signature and delivery id) on the shared state. */
  static WebhookCheck check(SharedState replica, TestTime time) {
    return check(replica, new JetStreamRateLimiter(replica, time), time);
  }

  static WebhookCheck check(SharedState replica, JetStreamRateLimiter limiter, TestTime time) {
    return new WebhookCheck(ref -> List.of(SECRET), replays(replica), limiter, CheckDefaults.standard(), time);
  }

  /** An endpoint's route: burst {@code burst}, refilling slowly enough that a test sees no refill. */
  static Map<String, String> route(String endpoint, int burst) {
    return Map.of(WebhookAuthContext.SCHEME, "github", WebhookAuthContext.SECRET_NAMESPACE, "customer-a",
        WebhookAuthContext.SECRET_NAME, "hooks-credentials", WebhookAuthContext.SECRET_KEY, "secret",
        WebhookAuthContext.ENDPOINT_KEY, endpoint, WebhookAuthContext.RATE_PER_SECOND, "0.01",
        WebhookAuthContext.BURST, Integer.toString(burst));
  }

  static byte[] body(String id) {
    return ("{\"delivery\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  static RequestHeaders signed(TestTime time, String id) {
    return RequestHeaders.of(Schemes.byName("github", Map.of()).sign(new SigningInput(body(id), SECRET, time.instant(), id)));
  }

  static CheckOutcome deliver(WebhookCheck check, Map<String, String> route, TestTime time, String id) {
    return check.check(route, signed(time, id), body(id));
  }

  static boolean refusedFor(CheckOutcome outcome, DenyReason reason) {
    return outcome instanceof CheckOutcome.Denied d && d.reason() == reason;
  }

  /**
   * Concurrent copies of one delivery on two replicas, each decided by the rate limit and then the
   * create alone (no pre-read): exactly one is allowed, and the copies refused as replays gave their
   * tokens back, so the endpoint's other deliveries get the whole rest of the burst.
   */
  @Test
  void concurrentCopiesOfADeliveryAllowExactlyOneAndTheReplaysCostNoToken() {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z"));
    List<JetStreamRateLimiter> limiters = List.of(new JetStreamRateLimiter(replicaA, time), new JetStreamRateLimiter(replicaB, time));
    List<WebhookCheck> checks = List.of(check(replicaA, limiters.get(0), time), check(replicaB, limiters.get(1), time));
    Map<String, String> route = route("ep-check-copies-" + UUID.randomUUID(), 40);
    String id = "copy-" + UUID.randomUUID();

    List<CompletableFuture<CheckOutcome>> copies = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      WebhookCheck check = checks.get(i % 2);
      copies.add(check.decideAsync((WebhookCheck.Step.Authentic) check.verify(route, signed(time, id),
          com.google.protobuf.ByteString.copyFrom(body(id)))));
    }
    List<CheckOutcome> outcomes = copies.stream().map(CompletableFuture::join).toList();
    assertThat(outcomes).filteredOn(o -> o instanceof CheckOutcome.Allowed).hasSize(1);
    // a copy whose compare-and-set contended too long is refused 429 (it took nothing); the rest are replays
    assertThat(outcomes).filteredOn(o -> !(o instanceof CheckOutcome.Allowed))
        .allMatch(o -> refusedFor(o, DenyReason.REPLAY) || refusedFor(o, DenyReason.RATE_LIMITED));
    // the replays' tokens taken from the shared key go back to it in the background
    awaitRefunds(limiters.get(0), limiters.get(1));
    long lost = limiters.stream().mapToLong(JetStreamRateLimiter::refundsLost).sum();

    int others = 0;
    for (int i = 0; i < 100; i++) {
      others += deliver(checks.get(i % 2), route, time, "other-" + i + "-" + id) instanceof CheckOutcome.Allowed ? 1 : 0;
    }
    assertThat(others).as("the burst less the one delivery: replays gave back what they took (%d lost)", lost).isEqualTo((int) (39 - lost));
  }

  /**
   * The rate limit is served from this replica's lease while NATS is down, the create is not: 503,
   * nothing recorded (the sender's retry is accepted once NATS is back) and the token given back.
   */
  @Test
  void aDeliveryTheStateCannotRecordIs503RecordsNothingAndCostsNoToken() {
    TestTime time = new TestTime(Instant.parse("2026-12-05T12:00:00Z"));
    WebhookCheck check = check(replicaA, time);
    Map<String, String> route = route("ep-check-down-" + UUID.randomUUID(), 30);
    assertThat(deliver(check, route, time, "before")).isInstanceOf(CheckOutcome.Allowed.class); // leases 2 more
    replicaA.buckets();

    nats.stop();
    try {
      for (int i = 0; i < 3; i++) {
        assertThat(refusedFor(deliver(check, route, time, "during"), DenyReason.STATE_UNAVAILABLE)).isTrue();
      }
    } finally {
      nats.startAgain();
    }
    await("reconnected").atMost(Duration.ofSeconds(30)).until(replicaA::connected);
    await("JetStream back, the delivery accepted").atMost(Duration.ofSeconds(30))
        .until(() -> deliver(check, route, time, "during") instanceof CheckOutcome.Allowed);
    assertThat(refusedFor(deliver(check, route, time, "during"), DenyReason.REPLAY)).isTrue();
    int more = 0;
    for (int i = 0; i < 60; i++) {
      more += deliver(check, route, time, "after-" + i) instanceof CheckOutcome.Allowed ? 1 : 0;
    }
    assertThat(more).as("the burst less the two deliveries: neither the 503s nor the replay spent a token").isEqualTo(28);
  }

  @Test
  void stateSurvivesANatsServerRestartAndFailsClosedWhileItIsDown() {
    String endpoint = "ep-restart";
    List<String> keys = List.of("kept-" + UUID.randomUUID());
    assertThat(replays(replicaA).firstDelivery(endpoint, keys, Duration.ofMinutes(10))).isTrue();
    replicaB.buckets(); // known to exist: the failures below are reads and writes, not the buckets' creation
    long failuresBefore = replicaB.failures();

    nats.stop();
    try {
      JetStreamReplayStore b = replays(replicaB);
      assertThatThrownBy(() -> b.seen(endpoint, keys)).isInstanceOf(SharedStateUnavailable.class)
          .hasMessageContaining("unavailable");
      assertThatThrownBy(() -> b.firstDelivery(endpoint, List.of("new-" + UUID.randomUUID()), Duration.ofMinutes(10)))
          .isInstanceOf(SharedStateUnavailable.class);
      assertThatThrownBy(() -> new JetStreamRateLimiter(replicaB, java.time.Clock.systemUTC()).take(endpoint, new RateLimitPolicy(1, 1)))
          .isInstanceOf(SharedStateUnavailable.class);
      assertThat(replicaB.failures()).isGreaterThanOrEqualTo(failuresBefore + 3);
    } finally {
      nats.startAgain();
    }
    await("reconnected").atMost(Duration.ofSeconds(30)).until(() -> replicaA.connected() && replicaB.connected());
    // a new replica (nothing cached) on the restarted server still refuses the duplicate
    try (SharedState fresh = SharedState.connect(settings())) {
      await().atMost(Duration.ofSeconds(30)).until(fresh::connected);
      await("JetStream back").atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> replays(fresh).seen(endpoint, keys));
      assertThat(replays(fresh).firstDelivery(endpoint, keys, Duration.ofMinutes(10))).isFalse();
    }
  }
}
