package io.voyager.bdk.xds.ir;

/**
 * A {@code delivery: queued} webhook route: after ext_authz, Envoy sends it to the relay's cluster
 * ({@code relayCluster}; null when the gateway has no relay configured — then the route answers 503
 * itself rather than deliver synchronously what the binding asked to queue), with
 * {@code x-bdk-ordered} set from {@code ordered}.
 */
public record QueuedRouteIr(boolean ordered, String relayCluster) {
  /** This route to {@code cluster} (null: no relay). */
  public QueuedRouteIr toRelay(String cluster) {
    return java.util.Objects.equals(cluster, relayCluster) ? this : new QueuedRouteIr(ordered, cluster);
  }
}
