package io.voyager.bdk.extauthz.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;

/**
 * Token buckets per endpoint key in bounded memory. A bucket is dropped once it would be full
 * again (a full bucket equals a new one, so nothing is lost) and at most {@code maxBuckets} are
 * kept; evicting a partly drained bucket under a flood of distinct endpoints can only grant that
 * endpoint a fresh burst.
 *
 * <p>Atomic: finding or creating an endpoint's bucket, taking its token and setting its new expiry
 * happen in one {@code compute} on the cache's map, which holds the key's lock throughout. (Taking
 * from a bucket fetched earlier and writing it back afterwards could take from a bucket that had
 * meanwhile expired and been replaced by a fresh one — both would grant tokens, and the write-back
 * would discard the other's.)
 */
public final class RateLimiter implements RateLimits {
  private record Entry(TokenBucket bucket, RateLimitPolicy policy) {}

  private final Ticker ticker;
  private final Cache<String, Entry> buckets;

  public RateLimiter(long maxBuckets, Ticker ticker) {
    this.ticker = ticker;
    this.buckets = Caffeine.newBuilder()
        .maximumSize(maxBuckets)
        .ticker(ticker)
        .expireAfter(new Expiry<String, Entry>() {
          @Override
          public long expireAfterCreate(String key, Entry e, long now) {
            return Math.max(1, e.bucket().nanosUntilFull(e.policy()));
          }

          @Override
          public long expireAfterUpdate(String key, Entry e, long now, long remaining) {
            return expireAfterCreate(key, e, now);
          }

          @Override
          public long expireAfterRead(String key, Entry e, long now, long remaining) {
            return remaining;
          }
        })
        .build();
  }

  @Override
  public RateLimitDecision take(String endpointKey, RateLimitPolicy policy) {
    RateLimitDecision[] decision = new RateLimitDecision[1];
    buckets.asMap().compute(endpointKey, (key, entry) -> {
      TokenBucket bucket = entry == null ? new TokenBucket() : entry.bucket();
      decision[0] = bucket.take(ticker.read(), policy);
      // A new entry each time, so the expiry follows the bucket's new fill level (and a changed policy).
      return new Entry(bucket, policy);
    });
    return decision[0];
  }

  /**
   * Puts the token back into the endpoint's bucket (every token here came from it: exact); a bucket
   * dropped meanwhile was full again (nothing to give back).
   */
  @Override
  public void refund(String endpointKey, RateLimitDecision granted) {
    if (!granted.allowed()) {
      return;
    }
    RateLimitPolicy policy = granted.policy();
    buckets.asMap().computeIfPresent(endpointKey, (key, entry) -> {
      entry.bucket().refund(ticker.read(), policy);
      return new Entry(entry.bucket(), policy);
    });
  }

  /** Buckets kept (for tests and metrics). */
  public long size() {
    buckets.cleanUp();
    return buckets.estimatedSize();
  }
}
