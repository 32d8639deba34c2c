package io.voyager.bdk.xds.ir;

import java.util.Objects;

/**
 * A {@code delivery: queued} webhook route: after ext_authz, Envoy sends it to the relay's cluster
 * ({@code relayCluster}; null when the gateway has no relay configured — then the route answers 503
 * itself rather than deliver synchronously what the binding asked to queue), with
 * {@code x-bdk-ordered} set from {@code ordered} and, for a book that sleeps when idle,
 * {@code x-bdk-wake-lease} set to its wake Lease ({@code wakeLease}, {@code <namespace>/<name>};
 * null otherwise): the relay wakes the book and holds the message until it is ready, so ext-authz
 * does not hold such a webhook (its context carries no {@code wake_lease}).
 */
public record QueuedRouteIr(boolean ordered, String relayCluster, String wakeLease) {
  public QueuedRouteIr(boolean ordered, String relayCluster) {
    this(ordered, relayCluster, null);
  }

  /** This route to {@code cluster} (null: no relay). */
  public QueuedRouteIr toRelay(String cluster) {
    return Objects.equals(cluster, relayCluster) ? this : new QueuedRouteIr(ordered, cluster, wakeLease);
  }
}
