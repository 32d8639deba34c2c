package io.voyager.bdk.xds.ir;

import io.voyager.bdk.transcoder.TranscoderSettings;
import io.voyager.bdk.xds.model.KeyedSequence;
import java.util.List;

/**
 * The gateway, protocol-neutral: one HTTP listener, the library and ext-authz backends, webhook
 * routes (sorted by path) and the backends they use (sorted by cluster name), the bearer-token
 * rule of the library routes, the public side ({@link EdgeIr}: listeners, certificate, limits)
 * and, when queued delivery is on, the relay's backend and the internal delivery listener
 * ({@code relay} and {@code internal} both null when off).
 */
public record GatewayIr(
    String listenerAddress,
    int listenerPort,
    BackendIr library,
    BackendIr extAuthz,
    List<WebhookRouteIr> webhookRoutes,
    List<BackendIr> webhookBackends,
    int maxWebhookBodyBytes,
    TranscoderSettings transcoder,
    AuthIr auth,
    EdgeIr edge,
    BackendIr relay,
    InternalListenerIr internal) {
  public GatewayIr {
    webhookRoutes = KeyedSequence.immutable(webhookRoutes);
    webhookBackends = KeyedSequence.immutable(webhookBackends);
  }

  /** Without queued delivery. */
  public GatewayIr(String listenerAddress, int listenerPort, BackendIr library, BackendIr extAuthz,
      List<WebhookRouteIr> webhookRoutes, List<BackendIr> webhookBackends, int maxWebhookBodyBytes,
      TranscoderSettings transcoder, AuthIr auth, EdgeIr edge) {
    this(listenerAddress, listenerPort, library, extAuthz, webhookRoutes, webhookBackends, maxWebhookBodyBytes,
        transcoder, auth, edge, null, null);
  }

  /**
   * Whether {@code clusterName} is one of the gateway's own clusters (the library's, ext-authz's, the
   * relay's): a book whose backend resolves to the same name must not declare it again (another
   * protocol, two clusters of one name would fail every snapshot).
   */
  public static boolean ownCluster(String clusterName, BackendIr library, BackendIr extAuthz, BackendIr relay) {
    return clusterName.equals(library.clusterName()) || clusterName.equals(extAuthz.clusterName())
        || (relay != null && clusterName.equals(relay.clusterName()));
  }

  /** {@link #ownCluster(String, BackendIr, BackendIr, BackendIr)} for this gateway. */
  public boolean ownCluster(String clusterName) {
    return ownCluster(clusterName, library, extAuthz, relay);
  }

  /** The queued routes (the internal listener routes their deliveries), sorted by path. */
  public List<WebhookRouteIr> queuedRoutes() {
    return webhookRoutes.stream().filter(r -> r.queued() != null).toList();
  }
}
