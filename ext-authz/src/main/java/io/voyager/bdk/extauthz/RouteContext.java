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
import io.voyager.bdk.model.CredentialSecrets;
import io.voyager.bdk.model.CustomerNamespaces;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookLimits;
import io.voyager.bdk.extauthz.scheme.DenyReason;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.WebhookDenied;
import io.voyager.bdk.extauthz.scheme.WebhookScheme;
import io.voyager.bdk.extauthz.secrets.SecretRef;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one webhook route asks ext-authz to check, read from the route's context_extensions
 * (keys of {@link io.voyager.bdk.model.WebhookAuthContext}). Required: scheme, secret_namespace,
 * secret_name, secret_key, endpoint_key. Optional: tolerance_seconds, rate_per_second, burst
 * (defaults from {@link CheckDefaults}), instance, integration, routed_to (copied to the book's
 * headers when present), hmac_* for the hmac scheme, wake_lease for a book that sleeps when idle
 * ({@code customer-…/<lease>}: see {@link io.voyager.bdk.extauthz.wake.WakeGate}).
 *
 * <p>ext-authz trusts only what the gateway could have sent: the numbers must be within
 * {@link WebhookLimits}, and the Secret must be an instance's credentials Secret in a customer
 * namespace ({@link CredentialSecrets}). Anything else is refused as INVALID_ROUTE_CONFIG before
 * any Secret is read, so a caller that forges context_extensions cannot make ext-authz read (and
 * use as an HMAC oracle) any other Secret.
 */
public record RouteContext(
    WebhookScheme scheme,
    SecretRef secret,
    String endpointKey,
    Duration tolerance,
    RateLimitPolicy rateLimit,
    String instance,
    String integration,
    String routedTo,
    String wakeLease) {
  private static final Pattern LEASE_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Logger LOG = LoggerFactory.getLogger(RouteContext.class);

  private record NamespacedName(String namespace, String name) {}

  /**
   * {@link CredentialSecrets#problem} of the Secrets routes named lately (a pure function of the
   * two names): its regular expressions ran on every check and were among the Check path's
   * allocations in its profile. Bounded: one entry per Secret routes name (one per book), at most
   * {@link #SECRET_REF_CACHE_SIZE}; a forged name costs one entry that the size bound evicts
   * again.
   */
  static final int SECRET_REF_CACHE_SIZE = 16_384;
  private static final com.github.benmanes.caffeine.cache.Cache<NamespacedName, Optional<String>> SECRET_REF_PROBLEMS =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(SECRET_REF_CACHE_SIZE).build();

  /**
   * Reads and validates the context; fails closed.
   *
   * @throws WebhookDenied INVALID_ROUTE_CONFIG naming the missing or invalid key
   */
  public static RouteContext parse(Map<String, String> ctx, CheckDefaults defaults) {
    try {
      WebhookScheme scheme = Schemes.byName(ctx.get(SCHEME), ctx);
      SecretRef secret = new SecretRef(required(ctx, SECRET_NAMESPACE), required(ctx, SECRET_NAME), required(ctx, SECRET_KEY));
      Optional<String> refused = SECRET_REF_PROBLEMS.get(new NamespacedName(secret.namespace(), secret.name()),
          n -> CredentialSecrets.problem(n.namespace(), n.name()));
      if (refused.isPresent()) {
        LOG.warn("event=secret_ref_refused secret={}/{} key={} problem=\"{}\"",
            secret.namespace(), secret.name(), secret.key(), refused.get());
        throw new IllegalArgumentException(SECRET_NAMESPACE + "/" + SECRET_NAME + ": " + refused.get());
      }
      String endpointKey = required(ctx, ENDPOINT_KEY);
      Duration tolerance = ctx.containsKey(TOLERANCE_SECONDS)
          ? Duration.ofSeconds(integer(ctx, TOLERANCE_SECONDS, WebhookLimits::toleranceSecondsProblem)) : defaults.tolerance();
      RateLimitPolicy rate = new RateLimitPolicy(
          ctx.containsKey(RATE_PER_SECOND) ? rate(ctx) : defaults.rateLimit().ratePerSecond(),
          ctx.containsKey(BURST) ? (int) integer(ctx, BURST, WebhookLimits::burstProblem) : defaults.rateLimit().burst());
      return new RouteContext(scheme, secret, endpointKey, tolerance, rate,
          ctx.get(INSTANCE), ctx.get(INTEGRATION), ctx.get(ROUTED_TO), wakeLease(ctx));
    } catch (IllegalArgumentException e) {
      throw new WebhookDenied(DenyReason.INVALID_ROUTE_CONFIG, "route context_extensions invalid: " + e.getMessage());
    }
  }

  /** {@code customer-…/<name>} of a book that sleeps when idle, or null; anything else is refused. */
  private static String wakeLease(Map<String, String> ctx) {
    String value = ctx.get(WebhookAuthContext.WAKE_LEASE);
    if (value == null || value.isBlank()) {
      return null;
    }
    int slash = value.indexOf('/');
    if (slash <= 0 || !CustomerNamespaces.isCustomerNamespace(value.substring(0, slash))
        || !LEASE_NAME.matcher(value.substring(slash + 1)).matches()) {
      throw new IllegalArgumentException(WebhookAuthContext.WAKE_LEASE
          + " must be <customer namespace>/<lease name>, not '" + value + "'");
    }
    return value;
  }

  private static String required(Map<String, String> ctx, String key) {
    String value = ctx.get(key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(key + " is missing");
    }
    return value.trim();
  }

  /** An integer within the cap {@code problem} checks (WebhookLimits). */
  private static long integer(Map<String, String> ctx, String key, LongFunction<Optional<String>> problem) {
    long value;
    try {
      value = Long.parseLong(ctx.get(key).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, not '" + ctx.get(key) + "'");
    }
    problem.apply(value).ifPresent(p -> {
      throw new IllegalArgumentException(key + " " + p);
    });
    return value;
  }

  private static double rate(Map<String, String> ctx) {
    double value;
    try {
      value = Double.parseDouble(ctx.get(RATE_PER_SECOND).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(RATE_PER_SECOND + " must be a number, not '" + ctx.get(RATE_PER_SECOND) + "'");
    }
    WebhookLimits.requestsPerSecondProblem(value).ifPresent(p -> {
      throw new IllegalArgumentException(RATE_PER_SECOND + " " + p);
    });
    return value;
  }
}
