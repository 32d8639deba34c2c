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
}
