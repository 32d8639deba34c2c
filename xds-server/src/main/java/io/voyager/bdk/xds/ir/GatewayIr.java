package io.voyager.bdk.xds.ir;

import io.voyager.bdk.transcoder.TranscoderSettings;
import java.util.List;

/**
 * The gateway, protocol-neutral: one HTTP listener, the library and ext-authz backends, webhook
 * routes (sorted by path) and the backends they use (sorted by cluster name), the bearer-token
 * rule of the library routes, and the public side ({@link EdgeIr}: listeners, certificate, limits).
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
    EdgeIr edge) {
  public GatewayIr {
    webhookRoutes = List.copyOf(webhookRoutes);
    webhookBackends = List.copyOf(webhookBackends);
  }
}
