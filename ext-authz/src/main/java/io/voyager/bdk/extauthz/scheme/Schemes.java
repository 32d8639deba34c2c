package io.voyager.bdk.extauthz.scheme;

import io.voyager.bdk.model.WebhookAuthContext;
import java.util.List;
import java.util.Map;

/** The schemes by name; {@code hmac} is built from its options. */
public final class Schemes {
  private Schemes() {}

  public static final List<String> NAMES = WebhookAuthContext.SCHEMES;

  private static final Map<String, WebhookScheme> FIXED = Map.of(
      "github", new GitHubScheme(),
      "stripe", new StripeScheme(),
      "slack", new SlackScheme(),
      "shopify", new ShopifyScheme(),
      "zendesk", new ZendeskScheme(),
      "standard", new StandardWebhooksScheme());

  /**
   * The scheme called {@code name}; for {@code hmac}, built from {@code hmacKeys} (keys as in
   * context_extensions: hmac_algorithm, hmac_header, …).
   *
   * @throws IllegalArgumentException naming the unknown scheme or the bad hmac option
   */
  public static WebhookScheme byName(String name, Map<String, String> hmacKeys) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("scheme is missing; one of " + NAMES);
    }
    if (name.equals("hmac")) {
      return GenericHmacScheme.fromKeys(hmacKeys);
    }
    WebhookScheme scheme = FIXED.get(name);
    if (scheme == null) {
      throw new IllegalArgumentException("scheme '" + name + "' is unknown; one of " + NAMES);
    }
    return scheme;
  }
}
