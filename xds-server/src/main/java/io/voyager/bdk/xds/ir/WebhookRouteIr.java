package io.voyager.bdk.xds.ir;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One webhook integration's route: exact public path (POST), the cluster of its book's Service,
 * the ext_authz context extensions, where it came from, the body limit it asks for (null: the
 * gateway's own, {@code --max-request-bytes}) and, for a {@code delivery: queued} binding, how it
 * is queued (null: direct — Envoy proxies it to the book).
 */
public record WebhookRouteIr(
    String path, String clusterName, Provenance source, SortedMap<String, String> authContext, Integer maxBodyBytes,
    QueuedRouteIr queued) {
  public WebhookRouteIr {
    authContext = Collections.unmodifiableSortedMap(new TreeMap<>(authContext));
  }

  /** A direct route. */
  public WebhookRouteIr(
      String path, String clusterName, Provenance source, SortedMap<String, String> authContext, Integer maxBodyBytes) {
    this(path, clusterName, source, authContext, maxBodyBytes, null);
  }

  /** A direct route with the gateway's body limit. */
  public WebhookRouteIr(String path, String clusterName, Provenance source, SortedMap<String, String> authContext) {
    this(path, clusterName, source, authContext, null, null);
  }

  /** This route, if queued, sent to {@code relayCluster} (null: no relay on this gateway). */
  public WebhookRouteIr withRelay(String relayCluster) {
    if (queued == null || Objects.equals(queued.relayCluster(), relayCluster)) {
      return this;
    }
    return new WebhookRouteIr(path, clusterName, source, authContext, maxBodyBytes, queued.toRelay(relayCluster));
  }

  /**
   * This route with its body limit capped by the gateway's: a limit at or above the gateway's is
   * no limit of its own (null). Returns this same object when nothing changes.
   */
  public WebhookRouteIr withinGatewayLimit(int gatewayMaxBodyBytes) {
    if (maxBodyBytes == null || maxBodyBytes < gatewayMaxBodyBytes) {
      return this;
    }
    return new WebhookRouteIr(path, clusterName, source, authContext, null, queued);
  }
}
