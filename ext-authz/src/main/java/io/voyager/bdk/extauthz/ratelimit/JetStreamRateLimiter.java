package io.voyager.bdk.extauthz.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.voyager.bdk.extauthz.replay.ReplayDigest;
import io.voyager.bdk.extauthz.shared.AsyncNats;
import io.voyager.bdk.extauthz.shared.SharedState;
import io.voyager.bdk.extauthz.shared.SharedStateSettings;
import io.voyager.bdk.extauthz.shared.SharedStateUnavailable;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Token buckets shared by every ext-authz replica: one key per endpoint in the JetStream key-value
 * bucket {@code bdk_extauthz_ratelimit}, updated by compare-and-set, so the configured rate and
 * burst hold for the whole gateway, not per replica.
 *
 * <p>In one replica, takes on one endpoint wait for each other (striped locks), so a take's write
 * races only with other replicas' and with this replica's refunds (rare: replays and 503s); and an
 * endpoint found empty is refused locally until its next token is due.
 *
 * <p>One take: read the endpoint's last revision (tokens, time) → refill to now and take a token
 * ({@link TokenBucket}, the same arithmetic as the in-memory limiter) → write it back expecting
 * that revision. A write that lost to another replica's is retried on the new revision, at most
 * {@link #MAX_ATTEMPTS} times; a bucket that contended beyond that answers 429 with
 * {@code Retry-After: 1} (it is being drained faster than it can be written: refusing is the
 * conservative answer, counted in {@code bdk_extauthz_rate_limit_contention_total}). A refused take
 * writes nothing (the refill is a function of time alone). Each write carries the seconds until
 * the bucket would be full as its per-key TTL: a full bucket equals a new one, so the key leaves
 * then and the bucket holds only endpoints that recently received webhooks.
 *
 * <p>The revision this replica wrote last is remembered per endpoint ({@link #written}): the next
 * take on that endpoint refills and writes on it directly, expecting its sequence — one round trip
 * instead of two (a read, then the write). That is exact whatever other replicas did meanwhile: the
 * write is still a compare-and-set, so if any replica wrote the key since (or its TTL removed it),
 * the sequence no longer matches, the write is refused and the take reads the key as before. An
 * endpoint whose remembered revision another replica overwrote is read first for {@link #SHARED_FOR}
 * (several replicas are taking from it: a guess would mostly cost a refused write); one whose key
 * its TTL removed is not (the bucket refilled; this replica's next write is remembered again).
 *
 * <p>Exactness: every granted token is one successful compare-and-set on the endpoint's key (and
 * a token given back to the key is one more, capped at the burst), so across replicas at most
 * {@code burst + rate × t} deliveries pass in any {@code t} seconds, as with one replica. Time is each replica's wall clock: a replica whose clock runs behind refills less
 * (never more: elapsed time is never negative).
 *
 * <p>Leases (no NATS round trip for most webhooks): a take that reaches the shared bucket takes up
 * to {@link #leaseSize} tokens at once — a tenth of the burst, at least 1, never more than the
 * bucket holds — in that one compare-and-set; it spends one and this replica keeps the rest as its
 * lease for the endpoint, spending them on the next takes without asking NATS. Every token a
 * replica grants was taken from the shared key first, so over the bucket's lifetime the replicas
 * together never grant more than the one bucket allows. What leases change is when: tokens leased
 * before an interval can be spent in it, so across {@code R} replicas at most
 * {@code burst + rate × t + R × leaseSize} deliveries pass in any {@code t} seconds (overshoot at
 * most {@code R × leaseSize}; none with {@code burst < 20}, where the lease is one token). A
 * replica that dies, restarts or drops an idle lease ({@link #LEASE_IDLE}) with tokens in it only
 * under-admits: those tokens were taken from the shared bucket and are not given back. A lease is
 * for one policy: a changed rate or burst drops it. The {@code RateLimit} header of a take served
 * from a lease counts the tokens the shared bucket held when the lease was taken.
 *
 * <p>Refunds ({@link #refund}: the delivery was a replay, or could not be recorded) put the token
 * back where the take found it ({@link RateLimitDecision#source}): a token spent from the lease
 * rejoins the lease (no round trip), which never holds more than {@link #leaseSize} tokens (one
 * that does not fit goes back to the key, as below), so the bound above stands; a token the take's compare-and-set took from the shared key
 * goes back to the key, by a compare-and-set of its own in the background (the caller's answer
 * never waits for it), refilled to now and never beyond the burst, retried on a lost write at most
 * {@link #MAX_ATTEMPTS} times. So a refund never adds a token on top of a bucket that refilled
 * meanwhile; a refund that gives up or meets a NATS failure loses its token (under-admission
 * only, counted in {@link #refundsLost}).
 *
 * <p>Asynchronous: {@link #takeAsync} never blocks a thread. A take served from a lease completes
 * at once; a take that must reach NATS sends a direct get and/or a compare-and-set publish and
 * completes from their replies. Takes on endpoints of one stripe reach NATS one after another (each
 * waits, as a continuation, for the previous one; a refund does not wait, so that no take waits for
 * it), so within a replica only other replicas' writes and this replica's refunds can make a
 * compare-and-set lose; every request carries the shared state's timeout.
 *
 * <p>Any NATS failure or timeout throws {@link io.voyager.bdk.extauthz.shared.SharedStateUnavailable}.
 */
public final class JetStreamRateLimiter implements RateLimits {
  static final int MAX_ATTEMPTS = 8;
  private static final int WRONG_LAST_SEQUENCE = 10071;
  private static final String SUBJECT_PREFIX = "$KV." + SharedStateSettings.RATE_LIMIT_BUCKET + ".";

  /** The share of an endpoint's burst one replica may lease at once. */
  static final double LEASE_FRACTION = 0.1;
  /** A lease not spent from for this long is dropped (its tokens are lost: under-admission only). */
  static final Duration LEASE_IDLE = Duration.ofSeconds(60);

  /** Stripes of the endpoints: takes on one stripe reach NATS one after another in this replica. */
  private static final int STRIPES = 256;

  private final SharedState state;
  private final Clock clock;
  private final LongAdder contention = new LongAdder();
  private final Object[] stripes = new Object[STRIPES];
  /** Per stripe (guarded by its monitor): the last take that reaches NATS; the next one starts when it is done. */
  @SuppressWarnings("unchecked")
  private final CompletableFuture<RateLimitDecision>[] tails = new CompletableFuture[STRIPES];
  /**
   * Endpoints whose bucket this replica found empty, with the (epoch) nanosecond before which no
   * token refills: refusing until then without asking NATS is exact but for tokens given back to the
   * key meanwhile ({@link #refund}), which this replica's own refunds clear and another replica's
   * wait (under-admission only, for at most one token's refill). A flood on one endpoint then costs
   * no round trip per request.
   */
  private final Cache<String, Long> emptyUntil;
  /**
   * Per endpoint key: the revision this replica wrote last (its stream sequence and the bucket it
   * holds). Only a hint: a write on it is a compare-and-set like any other.
   */
  private final Cache<String, Revision> written;
  /** Endpoints whose remembered revision was stale lately: other replicas take from them too, so read first. */
  private final Cache<String, Boolean> shared;
  /** Per endpoint key: the tokens this replica leased from the shared bucket and has not spent yet. */
  private final Cache<String, Lease> leases;
  /** How long an endpoint found written by another replica is read before each write. */
  static final java.time.Duration SHARED_FOR = java.time.Duration.ofSeconds(10);
  private final LongAdder staleRevisions = new LongAdder();
  private final LongAdder reads = new LongAdder();
  private final LongAdder leaseGrants = new LongAdder();
  private final LongAdder refundsLost = new LongAdder();
  private final AtomicInteger refundsInFlight = new AtomicInteger();

  public JetStreamRateLimiter(SharedState state, Clock clock) {
    this.state = state;
    this.clock = clock;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
    this.emptyUntil = Caffeine.newBuilder().maximumSize(100_000).build();
    this.written = Caffeine.newBuilder().maximumSize(100_000).build();
    this.shared = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(SHARED_FOR).build();
    this.leases = Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(LEASE_IDLE).build();
  }

  /** Tokens one compare-and-set leases for {@code policy}: a tenth of the burst, at least 1. */
  public static int leaseSize(RateLimitPolicy policy) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.floor(policy.burst() * LEASE_FRACTION)));
  }

  /** Blocks for {@link #takeAsync} (tests and callers without continuations). */
  @Override
  public RateLimitDecision take(String endpointKey, RateLimitPolicy policy) {
    try {
      return takeAsync(endpointKey, policy).join();
    } catch (CompletionException e) {
      if (AsyncNats.unwrap(e) instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  @Override
  public CompletableFuture<RateLimitDecision> takeAsync(String endpointKey, RateLimitPolicy policy) {
    String key = bucketKey(endpointKey);
    int stripe = (key.hashCode() & 0x7fffffff) % STRIPES;
    synchronized (stripes[stripe]) {
      CompletableFuture<RateLimitDecision> tail = tails[stripe];
      if (tail == null || tail.isDone()) {
        tails[stripe] = null;
        RateLimitDecision local = local(key, policy);
        if (local != null) {
          return CompletableFuture.completedFuture(local);
        }
        CompletableFuture<RateLimitDecision> atBucket = fromBucket(key, policy);
        if (!atBucket.isDone()) {
          tails[stripe] = atBucket;
        }
        return atBucket;
      }
      // another take on this stripe is at NATS: continue after it (it may have leased tokens)
      CompletableFuture<RateLimitDecision> next = tail.handle((d, e) -> null).thenCompose(ignored -> {
        RateLimitDecision local = local(key, policy);
        return local != null ? CompletableFuture.completedFuture(local) : fromBucket(key, policy);
      });
      tails[stripe] = next;
      return next;
    }
  }

  /**
   * Decided without NATS: granted from this replica's lease, or refused while the bucket is known
   * empty; null otherwise. The lease comes first: its tokens were taken from the shared bucket
   * already (a lease can outlive the bucket being found empty when a token was given back: {@link #refund}).
   */
  private RateLimitDecision local(String key, RateLimitPolicy policy) {
    Lease lease = leases.getIfPresent(key);
    if (lease != null) {
      RateLimitDecision granted = lease.spend(policy);
      if (granted != null) {
        leaseGrants.increment();
        return granted;
      }
      leases.asMap().remove(key, lease); // spent (closed): a token given back from now on opens a new lease
    }
    Long until = emptyUntil.getIfPresent(key);
    if (until != null) {
      long now = nowNanos();
      if (until - now > 0) {
        return new RateLimitDecision(false, policy, 0, Math.max(1, (long) Math.ceil((until - now) / 1e9)),
            (long) Math.ceil(policy.windowSeconds()), RateLimitDecision.Source.BUCKET);
      }
      emptyUntil.invalidate(key);
    }
    return null;
  }

  /**
   * Puts the token back where {@code granted} took it. From the lease: back into this replica's
   * lease for the endpoint (opening a lease of one token when there is none), no round trip; the
   * token was taken from the shared bucket, so spending it again keeps every grant backed by it, and
   * a lease dropped before it is spent ({@link #LEASE_IDLE}, a restart) only under-admits. From the
   * shared key: back to the key ({@link #giveBack}), started here and finished in the background.
   */
  @Override
  public void refund(String endpointKey, RateLimitDecision granted) {
    if (!granted.allowed()) {
      return;
    }
    String key = bucketKey(endpointKey);
    if (granted.source() == RateLimitDecision.Source.LEASE && addToLease(key, granted.policy(), 1, null) == 0) {
      return;
    }
    returnToKey(key, granted.policy()); // taken from the key, or the lease is full
  }

  /** One token back to the endpoint's shared key ({@link #giveBack}), in the background. */
  private void returnToKey(String key, RateLimitPolicy policy) {
    refundsInFlight.incrementAndGet();
    CompletableFuture<Void> back;
    try {
      Revision remembered = shared.getIfPresent(key) == null ? written.getIfPresent(key) : null;
      back = giveBack(state.buckets(), key, policy, remembered, 0);
    } catch (RuntimeException e) {
      back = CompletableFuture.failedFuture(e);
    }
    back.whenComplete((ignored, error) -> {
      if (error != null) {
        refundsLost.increment();
      }
      refundsInFlight.decrementAndGet();
    });
  }

  /**
   * One compare-and-set putting a token back into the endpoint's shared key: on {@code remembered}
   * (this replica's last write) when given, else on the key as read now; refilled to now, never
   * beyond the burst. A key that holds no bucket (its TTL removed it: full again) or a bucket that
   * is full already is left as it is. A write that lost to another one is retried on the new
   * revision, at most {@link #MAX_ATTEMPTS} times (a stale remembered revision is not counted);
   * beyond that the token is lost.
   */
  private CompletableFuture<Void> giveBack(SharedState.Buckets buckets, String key, RateLimitPolicy policy, Revision remembered,
      int attempt) {
    if (attempt >= MAX_ATTEMPTS) {
      refundsLost.increment();
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Revision> revision = remembered != null ? CompletableFuture.completedFuture(remembered) : read(buckets, key);
    return revision.thenCompose(last -> {
      TokenBucket bucket = last.bucket().copy();
      if (!last.holdsBucket() || !bucket.refund(nowNanos(), policy)) {
        // full again; but a remembered revision may be stale (another replica took since): read the key
        return remembered != null ? giveBack(buckets, key, policy, null, attempt) : CompletableFuture.<Void>completedFuture(null);
      }
      return write(buckets, key, bucket, policy, last.sequence())
          .handle((ack, error) -> {
            if (error == null) {
              remember(key, new Revision(ack.getSeqno(), bucket, true));
              emptyUntil.invalidate(key); // a token is there again
              return CompletableFuture.<Void>completedFuture(null);
            }
            if (!lostToAnotherWrite(error)) {
              return CompletableFuture.<Void>failedFuture(error);
            }
            return giveBack(buckets, key, policy, null, remembered != null ? attempt : attempt + 1);
          })
          .thenCompose(f -> f);
    });
  }

  /**
   * Adds {@code tokens} to the endpoint's open lease for {@code policy}, or opens one with them
   * (replacing a spent lease or one for another policy, whose tokens are dropped). Atomic per key, so
   * a token given back while a take opens a lease is never overwritten.
   *
   * @param sharedAfter the shared bucket as this replica wrote it just now, or null: as last known
   * @return the tokens not added because the lease was full ({@link #leaseSize}): the caller
   *     returns them to the shared key
   */
  private int addToLease(String key, RateLimitPolicy policy, int tokens, TokenBucket sharedAfter) {
    int cap = leaseSize(policy);
    int[] over = {Math.max(0, tokens - cap)};
    leases.asMap().compute(key, (k, lease) -> {
      if (lease != null) {
        int notAdded = lease.add(policy, tokens, sharedAfter, cap);
        if (notAdded >= 0) {
          over[0] = notAdded;
          return lease;
        }
      }
      TokenBucket after = sharedAfter;
      if (after == null) {
        Revision last = written.getIfPresent(key);
        after = last != null ? last.bucket().copy() : new TokenBucket(0, nowNanos());
      }
      return new Lease(policy, Math.min(tokens, cap), after);
    });
    return over[0];
  }

  /** The endpoint's key in the shared bucket {@code bdk_extauthz_ratelimit} (a digest: endpoint keys are not stored). */
  public static String bucketKey(String endpointKey) {
    return ReplayDigest.of("rate-limit", endpointKey).hex();
  }

  /** One take at the shared bucket (leasing what it may), failing with {@link SharedStateUnavailable}. */
  private CompletableFuture<RateLimitDecision> fromBucket(String key, RateLimitPolicy policy) {
    try {
      SharedState.Buckets buckets = state.buckets();
      Revision remembered = shared.getIfPresent(key) == null ? written.getIfPresent(key) : null;
      return attempt(buckets, key, policy, remembered, false, 0)
          .handle((decision, error) -> {
            if (error != null) {
              throw AsyncNats.unavailable(state, "rate_limit", error);
            }
            return decision;
          });
    } catch (SharedStateUnavailable e) {
      return CompletableFuture.failedFuture(e);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(state.unavailable("rate_limit", e));
    }
  }

  /**
   * One compare-and-set attempt: on {@code remembered} (this replica's last write) when given, else
   * on the key as read now. A write that lost to another replica's is retried on the new revision,
   * at most {@link #MAX_ATTEMPTS} times (a stale remembered revision is not counted).
   */
  private CompletableFuture<RateLimitDecision> attempt(SharedState.Buckets buckets, String key, RateLimitPolicy policy,
      Revision remembered, boolean wasStale, int attempt) {
    if (attempt >= MAX_ATTEMPTS) {
      contention.increment();
      return CompletableFuture.completedFuture(
          new RateLimitDecision(false, policy, 0, 1, (long) Math.ceil(policy.windowSeconds()), RateLimitDecision.Source.BUCKET));
    }
    CompletableFuture<Revision> revision = remembered != null ? CompletableFuture.completedFuture(remembered) : read(buckets, key);
    return revision.thenCompose(last -> {
      if (wasStale && last.holdsBucket()) {
        // another replica wrote the key since this one did: read it first from now on. (A key
        // that its TTL removed holds no bucket: that is this replica's own bucket refilled.)
        shared.put(key, Boolean.TRUE);
      }
      TokenBucket bucket = last.bucket().copy();
      long now = nowNanos();
      int taken = bucket.takeUpTo(now, policy, leaseSize(policy));
      if (taken == 0) {
        if (remembered != null) {
          // what this replica wrote last may be stale: decide on the key's current revision
          return attempt(buckets, key, policy, null, false, attempt);
        }
        emptyUntil.put(key, now + (long) Math.ceil((1 - bucket.tokens()) / policy.ratePerSecond() * 1e9));
        return CompletableFuture.completedFuture(bucket.decision(false, policy, 0, RateLimitDecision.Source.BUCKET));
      }
      return write(buckets, key, bucket, policy, last.sequence())
          .handle((ack, error) -> {
            if (error == null) {
              remember(key, new Revision(ack.getSeqno(), bucket, true));
              if (taken > 1) {
                for (int over = addToLease(key, policy, taken - 1, bucket.copy()); over > 0; over--) {
                  returnToKey(key, policy); // refunds filled the lease meanwhile
                }
              }
              return CompletableFuture.completedFuture(bucket.decision(true, policy, taken - 1, RateLimitDecision.Source.BUCKET));
            }
            if (!lostToAnotherWrite(error)) {
              return CompletableFuture.<RateLimitDecision>failedFuture(error);
            }
            written.invalidate(key);
            if (remembered != null) {
              // another replica wrote the key since this one did, or its TTL removed it: read it
              staleRevisions.increment();
              return attempt(buckets, key, policy, null, true, attempt); // a stale guess is not contention
            }
            // another replica took tokens meanwhile: read its revision and try again
            return attempt(buckets, key, policy, null, false, attempt + 1);
          })
          .thenCompose(f -> f);
    });
  }

  /**
   * Writes {@code bucket} as the key's next revision if its last is still {@code sequence}
   * (compare-and-set), with the seconds until the bucket would be full as the key's TTL.
   */
  private CompletableFuture<PublishAck> write(SharedState.Buckets buckets, String key, TokenBucket bucket,
      RateLimitPolicy policy, long sequence) {
    int ttlSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (long) Math.ceil(bucket.nanosUntilFull(policy) / 1e9)));
    PublishOptions options = PublishOptions.builder()
        .expectedLastSubjectSequence(sequence)
        .messageTtlSeconds(ttlSeconds)
        .build();
    return buckets.jetStream().publishAsync(SUBJECT_PREFIX + key, format(bucket), options)
        .orTimeout(state.settings().timeout().toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Whether a write failed because the key had another revision than expected (another write got there first). */
  private static boolean lostToAnotherWrite(Throwable error) {
    JetStreamApiException api = AsyncNats.apiError(error);
    return api != null && api.getApiErrorCode() == WRONG_LAST_SEQUENCE;
  }

  /**
   * Remembers {@code revision} as this replica's last write on the key, unless a later one is
   * remembered already (a take and a refund of this replica can write the same key concurrently:
   * stream sequences only grow).
   */
  private void remember(String key, Revision revision) {
    written.asMap().merge(key, revision, JetStreamRateLimiter::later);
  }

  private static Revision later(Revision a, Revision b) {
    return b.sequence() >= a.sequence() ? b : a;
  }

  /** Tokens given back to the shared key that were lost: the write gave up after {@link #MAX_ATTEMPTS}, or NATS failed. */
  public long refundsLost() {
    return refundsLost.sum();
  }

  /** Refunds to the shared key still under way (for tests: they finish in the background). */
  public int refundsInFlight() {
    return refundsInFlight.get();
  }

  /** Writes on a remembered revision that another replica (or the key's TTL) had made stale; the take then read the key. */
  public long staleRevisions() {
    return staleRevisions.sum();
  }

  /** Reads of a bucket key (a take or refund that could not write on a remembered revision). */
  public long reads() {
    return reads.sum();
  }

  /** Takes granted from this replica's leases, without a NATS round trip. */
  public long leaseGrants() {
    return leaseGrants.sum();
  }

  private CompletableFuture<Revision> read(SharedState.Buckets buckets, String key) {
    reads.increment();
    return AsyncNats.last(buckets, state, SharedStateSettings.RATE_LIMIT_BUCKET, key).thenApply(last -> {
      boolean holdsBucket = last.holdsValue() && last.data().length > 0;
      return new Revision(last.sequence(), holdsBucket ? parse(last.data()) : new TokenBucket(), holdsBucket);
    });
  }

  /** Takes that gave up after {@link #MAX_ATTEMPTS} lost compare-and-sets (answered 429). */
  public long contention() {
    return contention.sum();
  }

  /**
   * The key's last revision (0: none) and the bucket it holds (a new, full one when there is none);
   * {@code holdsBucket}: the revision holds a written bucket (not nothing, a deletion or a TTL marker).
   */
  private record Revision(long sequence, TokenBucket bucket, boolean holdsBucket) {}

  /**
   * Tokens leased for one policy, not spent yet, and the shared bucket as the lease left it (for the
   * headers). Closed once a spend finds it empty or under another policy: tokens are then added to a
   * new lease, never to one a take is about to drop.
   */
  private static final class Lease {
    private final RateLimitPolicy policy;
    private TokenBucket sharedAfter;
    private int tokens;
    private boolean closed;

    Lease(RateLimitPolicy policy, int tokens, TokenBucket sharedAfter) {
      this.policy = policy;
      this.tokens = tokens;
      this.sharedAfter = sharedAfter;
    }

    /** Spends one token under {@code policy}; null (and the lease closed) when none is left or the policy changed. */
    synchronized RateLimitDecision spend(RateLimitPolicy wanted) {
      if (closed || tokens <= 0 || !policy.equals(wanted)) {
        closed = true;
        return null;
      }
      tokens--;
      return sharedAfter.decision(true, policy, tokens, RateLimitDecision.Source.LEASE);
    }

    /**
     * Adds tokens under {@code wanted} (and the newer shared bucket, when given), never beyond
     * {@code cap} (what one lease may hold). Returns how many did not fit, or -1 when closed or for
     * another policy (nothing added).
     */
    synchronized int add(RateLimitPolicy wanted, int more, TokenBucket newerSharedAfter, int cap) {
      if (closed || !policy.equals(wanted)) {
        return -1;
      }
      int over = Math.max(0, tokens + more - cap);
      tokens = Math.min(cap, tokens + more);
      if (newerSharedAfter != null) {
        sharedAfter = newerSharedAfter;
      }
      return over;
    }
  }

  private long nowNanos() {
    Instant now = clock.instant();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  static byte[] format(TokenBucket bucket) {
    return (bucket.tokens() + " " + bucket.lastNanos()).getBytes(StandardCharsets.US_ASCII);
  }

  static TokenBucket parse(byte[] data) {
    String[] parts = new String(data, StandardCharsets.US_ASCII).split(" ");
    if (parts.length != 2) {
      return new TokenBucket();
    }
    try {
      return new TokenBucket(Double.parseDouble(parts[0]), Long.parseLong(parts[1]));
    } catch (NumberFormatException e) {
      return new TokenBucket(); // not ours: start full (the CAS still guards the write)
    }
  }
}
