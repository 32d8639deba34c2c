package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.Resources;
import io.voyager.bdk.xds.translate.PublishedTranslation;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The last few translations served and the content version each gave every resource type, so a
 * NACK or ACK, which names only a type's version, can be tied to the exact inputs that produced
 * it. Keeps at most {@code capacity} translations (newest first); a version older than that is
 * not found, and callers fall back to what they would do without it. Thread-safe.
 */
public final class TranslationHistory {
  private final int capacity;
  private final Deque<Served> recent = new ArrayDeque<>();

  private record Served(Map<String, String> versionByTypeUrl, PublishedTranslation published) {}

  public TranslationHistory(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity: must be positive, got " + capacity);
    }
    this.capacity = capacity;
  }

  /** {@code published} is what {@code snapshot} serves (its content). */
  public void record(ContentVersionedSnapshot snapshot, PublishedTranslation published) {
    Map<String, String> versions = new HashMap<>();
    Resources.TYPE_URLS_TO_RESOURCE_TYPE.forEach((typeUrl, type) -> versions.put(typeUrl, snapshot.version(type)));
    synchronized (this) {
      recent.addFirst(new Served(versions, published));
      while (recent.size() > capacity) {
        recent.removeLast();
      }
    }
  }

  /**
   * The newest translation whose {@code typeUrl} resources had {@code version}. Several
   * translations can share a type's version (their difference lay elsewhere); the newest one's
   * inputs produce that content too.
   */
  public synchronized Optional<PublishedTranslation> find(String typeUrl, String version) {
    for (Served served : recent) {
      if (version != null && Objects.equals(served.versionByTypeUrl().get(typeUrl), version)) {
        return Optional.of(served.published());
      }
    }
    return Optional.empty();
  }
}
