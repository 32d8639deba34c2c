package io.voyager.bdk.extauthz;

import static io.voyager.bdk.model.WebhookAuthContext.BURST;
import static io.voyager.bdk.model.WebhookAuthContext.ENDPOINT_KEY;
import static io.voyager.bdk.model.WebhookAuthContext.INSTANCE;
import static io.voyager.bdk.model.WebhookAuthContext.INTEGRATION;
import static io.voyager.bdk.model.WebhookAuthContext.RATE_PER_SECOND;
import static io.voyager.bdk.model.WebhookAuthContext.ROUTED_TO;
import static io.voyager.bdk.model.WebhookAuthContext.SCHEME;
import static io.voyager.bdk.model.WebhookAuthContext.SECRET_KEY;
import static io.voyager.bdk.model.WebhookAuthContext.SECRET_NAME;
import static io.voyager.bdk.model.WebhookAuthContext.SECRET_NAMESPACE;
import static io.voyager.bdk.model.WebhookAuthContext.TOLERANCE_SECONDS;

import io.voyager.bdk.extauthz.ratelimit.RateLimitPolicy;
import io.voyager.bdk.extauthz.scheme.DenyReason;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.WebhookDenied;
import io.voyager.bdk.extauthz.scheme.WebhookScheme;
import io.voyager.bdk.extauthz.secrets.SecretRef;
import java.time.Duration;
import java.util.Map;

/**
 * What one webhook route asks ext-authz to check, read from the route's context_extensions
 * (keys of {@link io.voyager.bdk.model.WebhookAuthContext}). Required: scheme, secret_namespace,
 * secret_name, secret_key, endpoint_key. Optional: tolerance_seconds, rate_per_second, burst
 * (defaults from {@link CheckDefaults}), instance, integration, routed_to (copied to the book's
 * headers when present), hmac_* for the hmac scheme.
 */
public record RouteContext(
    WebhookScheme scheme,
    SecretRef secret,
    String endpointKey,
    Duration tolerance,
    RateLimitPolicy rateLimit,
    String instance,
    String integration,
    String routedTo) {

  /**
   * Reads and validates the context; fails closed.
   *
   * @throws WebhookDenied INVALID_ROUTE_CONFIG naming the missing or invalid key
   */
  public static RouteContext parse(Map<String, String> ctx, CheckDefaults defaults) {
    try {
      WebhookScheme scheme = Schemes.byName(ctx.get(SCHEME), ctx);
      SecretRef secret = new SecretRef(required(ctx, SECRET_NAMESPACE), required(ctx, SECRET_NAME), required(ctx, SECRET_KEY));
      String endpointKey = required(ctx, ENDPOINT_KEY);
      Duration tolerance = ctx.containsKey(TOLERANCE_SECONDS)
          ? Duration.ofSeconds(positiveLong(ctx, TOLERANCE_SECONDS)) : defaults.tolerance();
      RateLimitPolicy rate = new RateLimitPolicy(
          ctx.containsKey(RATE_PER_SECOND) ? positiveDouble(ctx, RATE_PER_SECOND) : defaults.rateLimit().ratePerSecond(),
          ctx.containsKey(BURST) ? (int) positiveLong(ctx, BURST) : defaults.rateLimit().burst());
      return new RouteContext(scheme, secret, endpointKey, tolerance, rate,
          ctx.get(INSTANCE), ctx.get(INTEGRATION), ctx.get(ROUTED_TO));
    } catch (IllegalArgumentException e) {
      throw new WebhookDenied(DenyReason.INVALID_ROUTE_CONFIG, "route context_extensions invalid: " + e.getMessage());
    }
  }

  private static String required(Map<String, String> ctx, String key) {
    String value = ctx.get(key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(key + " is missing");
    }
    return value.trim();
  }

  private static long positiveLong(Map<String, String> ctx, String key) {
    try {
      long value = Long.parseLong(ctx.get(key).trim());
      if (value <= 0 || value > Integer.MAX_VALUE) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a positive integer, not '" + ctx.get(key) + "'");
    }
  }

  private static double positiveDouble(Map<String, String> ctx, String key) {
    try {
      double value = Double.parseDouble(ctx.get(key).trim());
      if (!(value > 0) || Double.isInfinite(value)) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a positive number, not '" + ctx.get(key) + "'");
    }
  }
}
