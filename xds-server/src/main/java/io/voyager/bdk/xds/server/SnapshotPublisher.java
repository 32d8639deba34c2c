package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.SnapshotConsistencyException;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts snapshots into java-control-plane's cache, grouped by Envoy {@code node.cluster}. Every
 * group seen gets the same snapshot; requests without a node (Envoy sends it only on a stream's
 * first request) count as the default group. A snapshot whose content versions equal the current one is
 * not set, so Envoy sees nothing; an inconsistent one (a cluster without its load assignment,
 * which would stall EDS under ADS) is refused.
 *
 * <p>State-of-the-world streams are served from java-control-plane's cache; delta streams
 * ({@link DeltaAds}) hear every published snapshot, with the one before it, through
 * {@link #onPublished}, in publishing order.
 */
public final class SnapshotPublisher {
  private static final Logger log = LoggerFactory.getLogger(SnapshotPublisher.class);

  private final SimpleCache<String> cache;
  private final Set<String> groups = ConcurrentHashMap.newKeySet();
  private final Counter pushes;
  private volatile ContentVersionedSnapshot current;
  private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();

  /** Hears each published snapshot ({@code previous} null for the first), in order, on the publishing thread. */
  @FunctionalInterface
  public interface Subscriber {
    void published(ContentVersionedSnapshot previous, ContentVersionedSnapshot next);
  }

  public SnapshotPublisher(String defaultGroup, MeterRegistry registry) {
    groups.add(defaultGroup);
    // Envoy's ADS with set_node_on_first_message_only sends the node only on a stream's first
    // request, and java-control-plane groups every request by its own node: requests without one
    // belong to the default group (every group gets the same snapshot anyway).
    cache = new SimpleCache<>(node -> node.getCluster().isEmpty() ? defaultGroup : node.getCluster());
    pushes = Counter.builder("bdk.xds.snapshot.pushes").description("Snapshots set into the xDS cache (content changed)").register(registry);
  }

  public SimpleCache<String> cache() {
    return cache;
  }

  /** Sets the snapshot for {@code resources} unless its content equals the current one; true if set. */
  public boolean publish(XdsResources resources) {
    return offer(resources).pushed();
  }

  /**
   * What {@link #publish} did: {@code served} is the snapshot whose content equals
   * {@code resources} (the new one, or the current one when nothing changed), empty when the
   * resources were refused as inconsistent; {@code pushed} is true if it was set just now.
   */
  public record Outcome(Optional<ContentVersionedSnapshot> served, boolean pushed) {}

  /** As {@link #publish}, telling which snapshot now serves these resources. */
  public synchronized Outcome offer(XdsResources resources) {
    // Built on the current snapshot: unchanged resources (the identical objects) cost nothing.
    ContentVersionedSnapshot next = ContentVersionedSnapshot.next(current, resources);
    if (current != null && current.summaryVersion().equals(next.summaryVersion())) {
      log.debug("event=snapshot_unchanged version={}", next.summaryVersion());
      return new Outcome(Optional.of(current), false);
    }
    try {
      next.ensureConsistentSince(current);
    } catch (SnapshotConsistencyException e) {
      log.error("event=snapshot_inconsistent error=\"{}\"", e.getMessage());
      return new Outcome(Optional.empty(), false);
    }
    ContentVersionedSnapshot previous = current;
    current = next;
    for (String group : groups) {
      cache.setSnapshot(group, next);
    }
    for (Subscriber subscriber : subscribers) {
      subscriber.published(previous, next);
    }
    pushes.increment();
    log.info("event=snapshot_published version={} listeners={} routes={} clusters={} endpoints={} groups={}",
        next.summaryVersion(), resources.listeners().size(), resources.routes().size(),
        resources.clusters().size(), resources.endpoints().size(), groups.size());
    return new Outcome(Optional.of(next), true);
  }

  /** A connecting Envoy's group; gets the current snapshot if it is new. */
  public synchronized void ensureGroup(String group) {
    if (groups.add(group) && current != null) {
      cache.setSnapshot(group, current);
      log.info("event=node_group_added group={}", group);
    }
  }

  /**
   * {@code subscriber} hears every snapshot published from now on. Called under this publisher's
   * lock, so it sees them one at a time and in order; it must not call back into the publisher.
   */
  public void onPublished(Subscriber subscriber) {
    subscribers.add(subscriber);
  }

  public Optional<ContentVersionedSnapshot> current() {
    return Optional.ofNullable(current);
  }

  /** The current snapshot's version of the resources of {@code typeUrl}; null before the first snapshot or for an unknown type. */
  public String currentVersion(String typeUrl) {
    XdsType type = XdsType.ofTypeUrl(typeUrl);
    return type == null ? null : current().map(s -> s.version(type)).orElse(null);
  }
}
