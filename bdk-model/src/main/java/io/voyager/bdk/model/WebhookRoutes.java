package io.voyager.bdk.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

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
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] digest =
          sha.digest((namespace + "/" + resourceName + "/" + integration).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 10);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  public static String publicPath(String namespace, String resourceName, String integration) {
    return PREFIX + integration + "/" + endpointKey(namespace, resourceName, integration);
  }
}
