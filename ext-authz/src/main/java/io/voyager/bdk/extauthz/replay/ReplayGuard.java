package io.voyager.bdk.extauthz.replay;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;

/**
 * Remembers the deliveries accepted within their replay window, per endpoint, in bounded memory:
 * each entry expires after its own window and the cache holds at most {@code maxEntries} (the
 * least useful are evicted first when a flood exceeds it).
 */
public final class ReplayGuard {
  private final Cache<String, Duration> seen;

  public ReplayGuard(long maxEntries, Ticker ticker) {
    this.seen = Caffeine.newBuilder()
        .maximumSize(maxEntries)
        .ticker(ticker)
        .expireAfter(new Expiry<String, Duration>() {
          @Override
          public long expireAfterCreate(String key, Duration window, long now) {
            return window.toNanos();
          }

          @Override
          public long expireAfterUpdate(String key, Duration window, long now, long remaining) {
            return remaining;
          }

          @Override
          public long expireAfterRead(String key, Duration window, long now, long remaining) {
            return remaining;
          }
        })
        .build();
  }

  /**
   * Records a delivery; true the first time within {@code window}, false for a replay.
   *
   * @param endpointKey the endpoint's namespace for ids (two endpoints may share an id)
   */
  public boolean firstDelivery(String endpointKey, String replayKey, Duration window) {
    return seen.asMap().putIfAbsent(endpointKey + '\n' + replayKey, window) == null;
  }

  /** Whether the delivery was already accepted within its window (records nothing). */
  public boolean seen(String endpointKey, String replayKey) {
    return seen.getIfPresent(endpointKey + '\n' + replayKey) != null;
  }

  public long size() {
    seen.cleanUp();
    return seen.estimatedSize();
  }
}
