package io.voyager.bdk.extauthz;

import io.voyager.bdk.extauthz.ratelimit.RateLimitDecision;
import io.voyager.bdk.extauthz.ratelimit.RateLimits;
import io.voyager.bdk.extauthz.replay.ReplayRelease;
import io.voyager.bdk.extauthz.replay.ReplayStore;
import io.voyager.bdk.extauthz.scheme.DenyReason;
import io.voyager.bdk.extauthz.scheme.Freshness;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.RequestHeaders;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.Verified;
import io.voyager.bdk.extauthz.scheme.WebhookDenied;
import io.voyager.bdk.extauthz.scheme.WebhookRequest;
import io.voyager.bdk.extauthz.secrets.SecretSource;
import io.voyager.bdk.extauthz.shared.AsyncNats;
import io.voyager.bdk.extauthz.shared.SharedStateUnavailable;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookDelivery;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides one webhook: route context → signature (with timestamp tolerance) → replay → rate
 * limit. The order is deliberate:
 * <ul>
 *   <li>Only authentic requests reach the rate limiter, so forged traffic cannot drain a
 *       customer's bucket (it is refused with 401 at the cost of one HMAC and never reaches the
 *       book).
 *   <li>A replay is refused (409) before it takes a token; a delivery is recorded as seen only
 *       once it passed the rate limit, so a sender's retry after a 429 is not mistaken for a
 *       replay.
 *   <li>The replay window is twice the tolerance: a delivery signed up to {@code tolerance} in
 *       the future stays acceptable that long after it was first seen.
 *   <li>A delivery is a replay when ANY of its replay keys was accepted (see
 *       {@link Verified#replayKeys}): schemes without a signed id are keyed on the verified
 *       signature, so a changed or removed delivery-id header does not make a captured delivery new.
 * </ul>
 */
public final class WebhookCheck {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookCheck.class);

  private final SecretSource secrets;
  private final ReplayStore replays;
  private final RateLimits rateLimiter;
  private final CheckDefaults defaults;
  private final Clock clock;

  public WebhookCheck(SecretSource secrets, ReplayStore replays, RateLimits rateLimiter, CheckDefaults defaults, Clock clock) {
    this.secrets = secrets;
    this.replays = replays;
    this.rateLimiter = rateLimiter;
    this.defaults = defaults;
    this.clock = clock;
  }

  /**
   * Whether deciding for this route may wait for a Secret read (the Secret it names is not in
   * memory yet). A context that names no Secret is refused without any read: false.
   */
  public boolean mayWaitForSecret(Map<String, String> contextExtensions) {
    String namespace = contextExtensions.get(WebhookAuthContext.SECRET_NAMESPACE);
    String name = contextExtensions.get(WebhookAuthContext.SECRET_NAME);
    if (namespace == null || name == null || namespace.isBlank() || name.isBlank()) {
      return false;
    }
    return !secrets.ready(namespace.trim(), name.trim());
  }

  /** The whole check, for a route whose book never sleeps (or once its book is awake). */
  public CheckOutcome check(Map<String, String> contextExtensions, RequestHeaders headers, byte[] body) {
    return check(contextExtensions, headers, UnsafeByteOperations.unsafeWrap(body));
  }

  /** {@link #check} with the body as the Check request holds it (not copied). */
  public CheckOutcome check(Map<String, String> contextExtensions, RequestHeaders headers, ByteString body) {
    Step step = beginAsync(contextExtensions, headers, body).join();
    return step instanceof Step.Accepted accepted ? finish(accepted) : ((Step.Done) step).outcome();
  }

  /** Where a check stands after {@link #begin}: decided, or accepted so far and not yet recorded as delivered. */
  public sealed interface Step {
    /** Decided: a denial. */
    record Done(CheckOutcome outcome) implements Step {}

    /**
     * Authentic, not a replay, within its rate limit — not yet recorded as delivered, so a webhook
     * held for a waking book and then answered 503 can be sent again without being taken for a replay.
     */
    record Accepted(String scheme, RouteContext route, Verified verified, RateLimitDecision rate) implements Step {
      /** The book's wake Lease ({@code namespace/name}), for a book that sleeps when idle. */
      public Optional<String> wakeLease() {
        return Optional.ofNullable(route.wakeLease());
      }
    }
  }

  /** Route context → signature → replay → rate limit; nothing is recorded as delivered yet. */
  public Step begin(Map<String, String> contextExtensions, RequestHeaders headers, byte[] body) {
    return beginAsync(contextExtensions, headers, UnsafeByteOperations.unsafeWrap(body)).join();
  }

  /**
   * {@link #begin} without blocking: the route and the signature are decided on the calling
   * thread; the replay pre-read and the rate limit (NATS round trips when the state is shared)
   * continue on their replies. The future never fails: a shared state that cannot be reached or
   * answers late (its timeout) is a 503 denial (fail closed), any other error an internal error.
   */
  public CompletableFuture<Step> beginAsync(Map<String, String> contextExtensions, RequestHeaders headers, ByteString body) {
    String scheme = schemeTag(contextExtensions.get(WebhookAuthContext.SCHEME));
    RouteContext route;
    Verified verified;
    try {
      route = RouteContext.parse(contextExtensions, defaults);
      verified = route.scheme().verify(new WebhookRequest(headers, body), secrets.secrets(route.secret()),
          new Freshness(clock.instant(), route.tolerance()));
    } catch (WebhookDenied denied) {
      return CompletableFuture.completedFuture(new Step.Done(new CheckOutcome.Denied(scheme, denied.reason(), denied.getMessage(), List.of())));
    } catch (SharedStateUnavailable e) {
      return CompletableFuture.completedFuture(new Step.Done(stateUnavailable(scheme, e)));
    }
    CompletableFuture<Step> step = replays.seenAsync(route.endpointKey(), verified.replayKeys()).thenCompose(seen -> {
      if (seen) {
        return CompletableFuture.completedFuture(new Step.Done(replay(scheme, verified)));
      }
      return rateLimiter.takeAsync(route.endpointKey(), route.rateLimit()).thenApply(rate -> {
        if (!rate.allowed()) {
          return new Step.Done(new CheckOutcome.Denied(scheme, DenyReason.RATE_LIMITED,
              "rate limit of " + route.rateLimit().ratePerSecond() + "/s (burst " + route.rateLimit().burst() + ") exceeded; retry after "
                  + rate.retryAfterSeconds() + " s", rate.headers()));
        }
        return new Step.Accepted(scheme, route, verified, rate);
      });
    });
    return step.exceptionally(error -> new Step.Done(failure(scheme, error)));
  }

  /** Records the delivery (refusing it as a replay if a duplicate got there first) and allows it. */
  public CheckOutcome finish(Step.Accepted accepted) {
    return finishAsync(accepted).join();
  }

  /** {@link #finish} without blocking: the replay creates continue on their replies. The future never fails (see {@link #beginAsync}). */
  public CompletableFuture<CheckOutcome> finishAsync(Step.Accepted accepted) {
    String scheme = accepted.scheme();
    RouteContext route = accepted.route();
    Verified verified = accepted.verified();
    Duration window = route.tolerance().plus(route.tolerance()); // twice the tolerance (multipliedBy goes through BigDecimal)
    return replays.firstDeliveryAsync(route.endpointKey(), verified.replayKeys(), window)
        .thenApply(first -> first ? allowed(accepted) : replay(scheme, verified))
        .exceptionally(error -> failure(scheme, error));
  }

  private static CheckOutcome allowed(Step.Accepted accepted) {
    RouteContext route = accepted.route();
    Verified verified = accepted.verified();
    String webhookId = verified.deliveryId() != null && WebhookDelivery.WEBHOOK_ID.matcher(verified.deliveryId()).matches()
        ? verified.deliveryId() : UUID.randomUUID().toString();
    List<Header> upstream = new ArrayList<>(4);
    upstream.add(new Header(WebhookAuthContext.HEADER_WEBHOOK_ID, webhookId));
    addIfPresent(upstream, WebhookAuthContext.HEADER_ROUTED_TO, route.routedTo());
    addIfPresent(upstream, WebhookAuthContext.HEADER_INSTANCE, route.instance());
    addIfPresent(upstream, WebhookAuthContext.HEADER_INTEGRATION, route.integration());
    upstream.add(new Header(WebhookAuthContext.HEADER_REPLAY_RELEASE,
        ReplayRelease.headerValue(route.endpointKey(), verified.replayKeys())));
    List<Header> rate = accepted.rate().headers();
    List<Header> response = new ArrayList<>(rate.size() + 1);
    response.add(new Header(WebhookAuthContext.HEADER_WEBHOOK_ID, webhookId));
    response.addAll(rate);
    return new CheckOutcome.Allowed(accepted.scheme(), webhookId, upstream, response);
  }

  /** A failed step: the shared state unavailable (503, fail closed); anything else an internal error (still a denial). */
  private static CheckOutcome failure(String scheme, Throwable error) {
    Throwable cause = AsyncNats.unwrap(error);
    if (cause instanceof SharedStateUnavailable e) {
      return stateUnavailable(scheme, e);
    }
    LOG.error("event=check_failed error={}", cause.toString());
    return new CheckOutcome.Denied(scheme, DenyReason.INTERNAL_ERROR, "internal error while checking the webhook", List.of());
  }

  /** The answer to a webhook whose book did not wake in time: 503, retry later. */
  public static CheckOutcome waking(Step.Accepted accepted, long retryAfterSeconds) {
    return new CheckOutcome.Denied(accepted.scheme(), DenyReason.BOOK_WAKING,
        "the book is starting after being idle; retry after " + retryAfterSeconds + " s",
        List.of(new Header("retry-after", Long.toString(retryAfterSeconds))));
  }

  /** Fail closed: the shared replay/rate-limit state is unreachable (the sender may retry: nothing was recorded). */
  private static CheckOutcome stateUnavailable(String scheme, SharedStateUnavailable e) {
    return new CheckOutcome.Denied(scheme, DenyReason.STATE_UNAVAILABLE, e.getMessage(), List.of(new Header("retry-after", "5")));
  }

  private static CheckOutcome replay(String scheme, Verified verified) {
    String what = verified.deliveryId() != null && WebhookDelivery.WEBHOOK_ID.matcher(verified.deliveryId()).matches()
        ? "webhook " + verified.deliveryId() : "this signed webhook";
    return new CheckOutcome.Denied(scheme, DenyReason.REPLAY, what + " repeats a delivery already accepted within the replay window",
        List.of());
  }

  private static void addIfPresent(List<Header> headers, String name, String value) {
    if (value != null && !value.isBlank()) {
      headers.add(new Header(name, value));
    }
  }

  /** A bounded metric tag: a known scheme name or "unknown". */
  static String schemeTag(String scheme) {
    return scheme != null && Schemes.NAMES.contains(scheme) ? scheme : "unknown";
  }
}
