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
 */
public final class RateLimiter {
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

  /** Takes one token from the endpoint's bucket. */
  public RateLimitDecision take(String endpointKey, RateLimitPolicy policy) {
    Entry entry = buckets.get(endpointKey, k -> new Entry(new TokenBucket(), policy));
    RateLimitDecision decision = entry.bucket().take(ticker.read(), policy);
    // Re-put so the expiry follows the bucket's new fill level (and a changed policy).
    buckets.put(endpointKey, new Entry(entry.bucket(), policy));
    return decision;
  }
}
