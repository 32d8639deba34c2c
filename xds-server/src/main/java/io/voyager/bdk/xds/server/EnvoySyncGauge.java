package io.voyager.bdk.xds.server;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Gauge {@code bdk.xds.envoy.sync{status}} (Prometheus {@code bdk_xds_envoy_sync}): how many
 * (connected Envoy, resource type) pairs are SYNCED, STALE or NACKED, as {@code /debug/sync} shows
 * them. Computed at scrape time from the {@link SyncTracker}'s state — bounded by connected Envoys
 * × the types they subscribe to. Every status is registered at start, so each series exists at 0.
 */
public final class EnvoySyncGauge {
  public static final String NAME = "bdk.xds.envoy.sync";

  private EnvoySyncGauge() {}

  /** Registers one gauge per status; {@code currentVersion} gives the current snapshot's version per type URL (null: none). */
  public static void register(MeterRegistry registry, SyncTracker tracker, Function<String, String> currentVersion) {
    for (SyncTracker.Status status : SyncTracker.Status.values()) {
      Gauge.builder(NAME, tracker, t -> countByStatus(t.report(currentVersion)).get(status))
          .tag("status", status.name())
          .description("(Envoy, xDS type) pairs by sync state: SYNCED acked the current version, STALE not (yet), NACKED rejected it")
          .strongReference(true)
          .register(registry);
    }
  }

  /** Pairs per status in a {@link SyncTracker#report}, every status present (0 when none). */
  static Map<SyncTracker.Status, Integer> countByStatus(List<SyncTracker.NodeSync> nodes) {
    Map<SyncTracker.Status, Integer> counts = new EnumMap<>(SyncTracker.Status.class);
    for (SyncTracker.Status status : SyncTracker.Status.values()) {
      counts.put(status, 0);
    }
    nodes.forEach(node -> node.types().forEach(type -> counts.merge(type.status(), 1, Integer::sum)));
    return counts;
  }
}
