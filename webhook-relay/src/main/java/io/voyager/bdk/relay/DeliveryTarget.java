package io.voyager.bdk.relay;

import io.voyager.bdk.model.WebhookRoutes;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Where a queued webhook is delivered: a URL template with {@code {namespace}}, {@code {name}},
 * {@code {integration}}, {@code {endpoint_key}} and {@code {path}} (the path the webhook was
 * received on). In a cluster it names the gateway's internal delivery route, so endpoint discovery,
 * the book's NetworkPolicy and the {@code x-bdk-*} headers stay as for direct delivery; in tests it
 * can name a book directly.
 */
public record DeliveryTarget(String template) {
  /** The gateway's internal delivery route, as a template path. */
  public static final String INTERNAL_PATH_TEMPLATE =
      WebhookRoutes.INTERNAL_DELIVERY_PREFIX + "{namespace}/{name}/{integration}";

  public DeliveryTarget {
    if (!template.startsWith("http://") && !template.startsWith("https://")) {
      throw new IllegalArgumentException("--delivery-url must start with http:// or https://, got '" + template + "'");
    }
    URI.create(expand(template, "ns", "name", "integration", "0123456789abcdef0123", "/p"));
  }

  public URI uri(WebhookEnvelope webhook) {
    return URI.create(expand(template, webhook.namespace(), webhook.name(), webhook.integration(),
        webhook.endpointKey(), webhook.path()));
  }

  private static String expand(String template, String namespace, String name, String integration, String key,
      String path) {
    return template
        .replace("{namespace}", encode(namespace))
        .replace("{name}", encode(name))
        .replace("{integration}", encode(integration))
        .replace("{endpoint_key}", key)
        .replace("{path}", path.startsWith("/") ? path : "/" + path);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
