package io.voyager.bdk.localruntime;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.Objects;

/**
 * This runtime's recent writes, so that a reconcile running before the informer has delivered
 * the runtime's own write does not write the same thing again. A write is "in flight" from when
 * it succeeds until the informer delivers any event for that object ({@link #observed}), as long
 * as the cache still shows the version the write replaced and the runtime still wants what it
 * wrote. Anyone else's change arrives as an event and is acted on. Bounded in size and time
 * (Caffeine), so a lost watch event costs at most one repeated write later.
 */
final class RecentWrites {
  private record Write(String replacedVersion, Object fingerprint) {}

  private final Cache<String, Write> writes =
      Caffeine.newBuilder().maximumSize(20_000).expireAfterWrite(Duration.ofMinutes(2)).build();

  /**
   * Records that the object {@code key}, cached at {@code replacedVersion} (null: absent), was
   * written to {@code fingerprint}.
   */
  void remember(String key, String replacedVersion, Object fingerprint) {
    writes.put(key, new Write(replacedVersion, fingerprint));
  }

  /** The informer delivered an event for {@code key}: its cache now reflects our write (or later). */
  void observed(String key) {
    writes.invalidate(key);
  }

  static String sliceKey(String namespace, String name) {
    return "slice/" + namespace + "/" + name;
  }

  static String statusKey(String namespace, String name) {
    return "status/" + namespace + "/" + name;
  }

  /** True when the cache at {@code cachedVersion} has not caught up with our write of {@code fingerprint}. */
  boolean inFlight(String key, String cachedVersion, Object fingerprint) {
    Write write = writes.getIfPresent(key);
    return write != null
        && Objects.equals(write.replacedVersion(), cachedVersion)
        && write.fingerprint().equals(fingerprint);
  }
}
