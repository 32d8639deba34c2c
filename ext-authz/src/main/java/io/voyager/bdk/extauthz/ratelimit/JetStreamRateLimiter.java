package io.voyager.bdk.extauthz.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.voyager.bdk.extauthz.replay.ReplayDigest;
import io.voyager.bdk.extauthz.shared.SharedState;
import io.voyager.bdk.extauthz.shared.SharedStateSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

/**
 * Token buckets shared by every ext-authz replica: one key per endpoint in the JetStream key-value
 * bucket {@code bdk_extauthz_ratelimit}, updated by compare-and-set, so the configured rate and
 * burst hold for the whole gateway, not per replica.
 *
 * <p>In one replica, takes on one endpoint wait for each other (striped locks), so writes race only
 * across replicas; and an endpoint found empty is refused locally until its next token is due.
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
 * <p>Exactness: every granted token is one successful compare-and-set on the endpoint's key, so
 * across replicas at most {@code burst + rate × t} deliveries pass in any {@code t} seconds, as with
 * one replica. Time is each replica's wall clock: a replica whose clock runs behind refills less
 * (never more: elapsed time is never negative).
 *
 * <p>Any NATS failure or timeout throws {@link io.voyager.bdk.extauthz.shared.SharedStateUnavailable}.
 */
public final class JetStreamRateLimiter implements RateLimits {
  static final int MAX_ATTEMPTS = 8;
  private static final int WRONG_LAST_SEQUENCE = 10071;
  private static final int NO_MESSAGE_FOUND = 10037;
  private static final String STREAM = "KV_" + SharedStateSettings.RATE_LIMIT_BUCKET;
  private static final String SUBJECT_PREFIX = "$KV." + SharedStateSettings.RATE_LIMIT_BUCKET + ".";

  /** Locks striping the endpoints: takes on one endpoint queue up in this replica instead of racing each other's writes. */
  private static final int STRIPES = 256;

  private final SharedState state;
  private final Clock clock;
  private final LongAdder contention = new LongAdder();
  private final Object[] stripes = new Object[STRIPES];
  /**
   * Endpoints whose bucket this replica found empty, with the (epoch) nanosecond before which no
   * token can be back: other replicas only take tokens, never add any, so refusing until then
   * without asking NATS is exact. A flood on one endpoint then costs no round trip per request.
   */
  private final Cache<String, Long> emptyUntil;
  /**
   * Per endpoint key: the revision this replica wrote last (its stream sequence and the bucket it
   * holds). Only a hint: a write on it is a compare-and-set like any other.
   */
  private final Cache<String, Revision> written;
  /** Endpoints whose remembered revision was stale lately: other replicas take from them too, so read first. */
  private final Cache<String, Boolean> shared;
  /** How long an endpoint found written by another replica is read before each write. */
  static final java.time.Duration SHARED_FOR = java.time.Duration.ofSeconds(10);
  private final LongAdder staleRevisions = new LongAdder();
  private final LongAdder reads = new LongAdder();

  public JetStreamRateLimiter(SharedState state, Clock clock) {
    this.state = state;
    this.clock = clock;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
    this.emptyUntil = Caffeine.newBuilder().maximumSize(100_000).build();
    this.written = Caffeine.newBuilder().maximumSize(100_000).build();
    this.shared = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(SHARED_FOR).build();
  }

  @Override
  public RateLimitDecision take(String endpointKey, RateLimitPolicy policy) {
    String key = ReplayDigest.of("rate-limit", endpointKey).hex();
    Long until = emptyUntil.getIfPresent(key);
    if (until != null) {
      long now = nowNanos();
      if (until - now > 0) {
        return new RateLimitDecision(false, policy, 0, Math.max(1, (long) Math.ceil((until - now) / 1e9)),
            (long) Math.ceil(policy.windowSeconds()));
      }
      emptyUntil.invalidate(key);
    }
    SharedState.Buckets buckets = state.buckets();
    String subject = SUBJECT_PREFIX + key;
    synchronized (stripes[(key.hashCode() & 0x7fffffff) % STRIPES]) {
      try {
        Revision remembered = shared.getIfPresent(key) == null ? written.getIfPresent(key) : null;
        boolean wasStale = false;
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          Revision last = remembered != null ? remembered : read(buckets, subject);
          if (wasStale) {
            wasStale = false;
            if (last.holdsBucket()) {
              // another replica wrote the key since this one did: read it first from now on. (A key
              // that its TTL removed holds no bucket: that is this replica's own bucket refilled.)
              shared.put(key, Boolean.TRUE);
            }
          }
          TokenBucket bucket = last.bucket().copy();
          long now = nowNanos();
          RateLimitDecision decision = bucket.take(now, policy);
          if (!decision.allowed()) {
            if (remembered != null) {
              // what this replica wrote last may be stale: decide on the key's current revision
              remembered = null;
              attempt--;
              continue;
            }
            emptyUntil.put(key, now + (long) Math.ceil((1 - bucket.tokens()) / policy.ratePerSecond() * 1e9));
            return decision;
          }
          int ttlSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE,
              (long) Math.ceil(bucket.nanosUntilFull(policy) / 1e9)));
          try {
            PublishAck ack = buckets.jetStream().publish(subject, format(bucket), PublishOptions.builder()
                .expectedLastSubjectSequence(last.sequence())
                .messageTtlSeconds(ttlSeconds)
                .build());
            written.put(key, new Revision(ack.getSeqno(), bucket, true));
            return decision;
          } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != WRONG_LAST_SEQUENCE) {
              throw e;
            }
            written.invalidate(key);
            if (remembered != null) {
              // another replica wrote the key since this one did, or its TTL removed it: read it
              staleRevisions.increment();
              wasStale = true;
              remembered = null;
              attempt--; // a stale guess is not contention
              continue;
            }
            // another replica took a token meanwhile: read its revision and try again
          }
        }
        contention.increment();
        return new RateLimitDecision(false, policy, 0, 1, (long) Math.ceil(policy.windowSeconds()));
      } catch (IOException | JetStreamApiException | RuntimeException e) {
        throw state.unavailable("rate_limit", e);
      }
    }
  }

  /** Writes on a remembered revision that another replica (or the key's TTL) had made stale; the take then read the key. */
  public long staleRevisions() {
    return staleRevisions.sum();
  }

  /** Reads of a bucket key (a take that could not write on a remembered revision). */
  public long reads() {
    return reads.sum();
  }

  private Revision read(SharedState.Buckets buckets, String subject) throws IOException, JetStreamApiException {
    reads.increment();
    return last(buckets, subject);
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

  /** Reads the key's last message: none (never written or gone), a deletion or TTL marker (no data), or a bucket. */
  private static Revision last(SharedState.Buckets buckets, String subject) throws IOException, JetStreamApiException {
    try {
      MessageInfo info = buckets.management().getLastMessage(STREAM, subject);
      byte[] data = info.getData();
      boolean holdsBucket = data != null && data.length > 0;
      return new Revision(info.getSeq(), holdsBucket ? parse(data) : new TokenBucket(), holdsBucket);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
        return new Revision(0, new TokenBucket(), false);
      }
      throw e;
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
