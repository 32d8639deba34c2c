package io.voyager.bdk.model;

/**
 * Public webhook paths. Each webhook integration of each ExternalBookDefinition gets
 * {@code /api/v1/webhooks/{source}/{endpoint_key}}: {@code source} is the integration's name and
 * {@code endpoint_key} a stable digest of namespace, resource name and integration, so two
 * customers with the same integration never share a path, and every service derives the same path
 * from the same resource without coordination.
 */
public final class WebhookRoutes {
  private WebhookRoutes() {}

  public static final String PREFIX = "/api/v1/webhooks/";

  /** 20 hex characters (80 bits) of SHA-256 over {@code namespace/name/integration}. */
  public static String endpointKey(String namespace, String resourceName, String integration) {
    return Digests.sha256Hex(namespace + "/" + resourceName + "/" + integration).substring(0, 20);
  }

  public static String publicPath(String namespace, String resourceName, String integration) {
    return PREFIX + integration + "/" + endpointKey(namespace, resourceName, integration);
  }

  /**
   * Where the webhook relay delivers a queued webhook: the gateway's internal listener (mutual TLS,
   * only the relay's identity is admitted), never a public one. Envoy routes it to the same book
   * cluster as direct delivery and rewrites it to the public path, so the book cannot tell the two
   * apart but for {@code x-bdk-delivery-attempt}.
   */
  public static final String INTERNAL_DELIVERY_PREFIX = "/bdk-internal/v1/deliveries/";

  /** {@code /bdk-internal/v1/deliveries/{namespace}/{name}/{integration}}. */
  public static String internalDeliveryPath(String namespace, String resourceName, String integration) {
    return INTERNAL_DELIVERY_PREFIX + namespace + "/" + resourceName + "/" + integration;
  }
}
