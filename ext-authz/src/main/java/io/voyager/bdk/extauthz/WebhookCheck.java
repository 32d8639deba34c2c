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
 * Decides one webhook: route context → signature (with timestamp tolerance) → rate limit → replay.
 * The order is deliberate:
 * <ul>
 *   <li>Only authentic requests reach the rate limiter, so forged traffic cannot drain a
 *       customer's bucket (it is refused with 401 at the cost of one HMAC and never reaches the
 *       book).
 *   <li>The replay store's create is the authority and the last step ({@link #decideAsync}): a
 *       delivery is recorded as seen only once it passed the rate limit, so a sender's retry after
 *       a 429 is not mistaken for a replay; of concurrent copies of one delivery exactly one is
 *       first. With the state shared in NATS this is the one round trip an accepted webhook waits
 *       for (the rate limit is mostly served from this replica's lease, without NATS).
 *   <li>A replay is refused (409) and does not cost the endpoint a token: the token its take
 *       granted is given back where it came from ({@link RateLimits#refund}: this replica's lease
 *       or memory, or the shared bucket in the background; the answer never waits for it) when the
 *       create finds the delivery. It holds that token only while the create is under way. So does a
 *       delivery refused 503 because the create could not reach the shared state, or because its
 *       book did not wake in time ({@link #waking}): nothing recorded, nothing spent. (A replay
 *       arriving while the endpoint is over its limit is refused 429 rather than 409: refused
 *       either way, and nothing recorded.)
 *   <li>A route whose book sleeps when idle is checked in two steps around the wake gate
 *       ({@link #beginAsync} before, {@link #finishAsync} after): its begin reads the replay state
 *       first (one more round trip when the state is shared), so a replay neither takes a token
 *       nor wakes a book; the create after the wake stays the authority.
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

  /** The whole check ({@link #verify}, then {@link #decideAsync}), for a route whose book is not held. */
  public CheckOutcome check(Map<String, String> contextExtensions, RequestHeaders headers, byte[] body) {
    return check(contextExtensions, headers, UnsafeByteOperations.unsafeWrap(body));
  }

  /** {@link #check} with the body as the Check request holds it (not copied). */
  public CheckOutcome check(Map<String, String> contextExtensions, RequestHeaders headers, ByteString body) {
    Step step = verify(contextExtensions, headers, body);
    return step instanceof Step.Authentic authentic ? decideAsync(authentic).join() : ((Step.Done) step).outcome();
  }

  /**
   * Where a check stands: decided; authentic (after {@link #verify}); or accepted so far and not yet
   * recorded as delivered (after {@link #beginAsync}).
   */
  public sealed interface Step {
    /** Decided: a denial. */
    record Done(CheckOutcome outcome) implements Step {}

    /** The route is known and the signature verified; nothing taken or recorded yet. */
    record Authentic(String scheme, RouteContext route, Verified verified) implements Step {
      /** The book's wake Lease ({@code namespace/name}), for a book that sleeps when idle. */
      public Optional<String> wakeLease() {
        return Optional.ofNullable(route.wakeLease());
      }
    }

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

  /**
   * Route context → signature, on the calling thread (no round trip): {@link Step.Authentic}, or a
   * denial. A Secret that cannot be read is a denial too.
   */
  public Step verify(Map<String, String> contextExtensions, RequestHeaders headers, ByteString body) {
    String scheme = schemeTag(contextExtensions.get(WebhookAuthContext.SCHEME));
    try {
      RouteContext route = RouteContext.parse(contextExtensions, defaults);
      Verified verified = route.scheme().verify(new WebhookRequest(headers, body), secrets.secrets(route.secret()),
          new Freshness(clock.instant(), route.tolerance()));
      return new Step.Authentic(scheme, route, verified);
    } catch (WebhookDenied denied) {
      return new Step.Done(new CheckOutcome.Denied(scheme, denied.reason(), denied.getMessage(), List.of()));
    } catch (SharedStateUnavailable e) {
      return new Step.Done(stateUnavailable(scheme, e));
    }
  }

  /**
   * The rest of the check for a route whose book is not held: rate limit → replay create (the
   * token given back when the create refuses the delivery or fails). One NATS round trip when the
   * state is shared and the take is served from this replica's lease. The future never fails: a
   * shared state that cannot be reached or answers late (its timeout) is a 503 denial (fail
   * closed), any other error an internal error.
   */
  public CompletableFuture<CheckOutcome> decideAsync(Step.Authentic authentic) {
    return take(authentic)
        .thenCompose(step -> step instanceof Step.Accepted accepted
            ? finishAsync(accepted) : CompletableFuture.completedFuture(((Step.Done) step).outcome()))
        .exceptionally(error -> failure(authentic.scheme(), error));
  }

  /**
   * The first half for a route whose book may be held while it wakes: replay pre-read → rate limit;
   * nothing is recorded as delivered yet ({@link #finishAsync} does, once the book is awake). The
   * pre-read keeps replays from taking a token or waking the book. The future never fails (see
   * {@link #decideAsync}).
   */
  public CompletableFuture<Step> beginAsync(Step.Authentic authentic) {
    RouteContext route = authentic.route();
    return replays.seenAsync(route.endpointKey(), authentic.verified().replayKeys())
        .thenCompose(seen -> seen
            ? CompletableFuture.<Step>completedFuture(new Step.Done(replay(authentic.scheme(), authentic.verified())))
            : take(authentic))
        .exceptionally(error -> new Step.Done(failure(authentic.scheme(), error)));
  }

  /** Takes a token: accepted so far, or 429. Fails as the rate limiter does. */
  private CompletableFuture<Step> take(Step.Authentic authentic) {
    RouteContext route = authentic.route();
    return rateLimiter.takeAsync(route.endpointKey(), route.rateLimit()).thenApply(rate -> {
      if (!rate.allowed()) {
        return new Step.Done(new CheckOutcome.Denied(authentic.scheme(), DenyReason.RATE_LIMITED,
            "rate limit of " + route.rateLimit().ratePerSecond() + "/s (burst " + route.rateLimit().burst() + ") exceeded; retry after "
                + rate.retryAfterSeconds() + " s", rate.headers()));
      }
      return new Step.Accepted(authentic.scheme(), route, authentic.verified(), rate);
    });
  }

  /**
   * Records the delivery (refusing it as a replay if a duplicate got there first) and allows it,
   * without blocking: the replay creates continue on their replies. A delivery they refuse (a
   * replay) or that could not be recorded (503) gives its token back. The future never fails (see
   * {@link #decideAsync}).
   */
  public CompletableFuture<CheckOutcome> finishAsync(Step.Accepted accepted) {
    String scheme = accepted.scheme();
    RouteContext route = accepted.route();
    Verified verified = accepted.verified();
    Duration window = route.tolerance().plus(route.tolerance()); // twice the tolerance (multipliedBy goes through BigDecimal)
    return replays.firstDeliveryAsync(route.endpointKey(), verified.replayKeys(), window)
        .handle((first, error) -> {
          if (error != null) {
            return refunded(accepted, failure(scheme, error));
          }
          return first ? allowed(accepted) : refunded(accepted, replay(scheme, verified));
        });
  }

  /** {@code outcome}, a refusal, with the accepted delivery's token given back first. */
  private CheckOutcome refunded(Step.Accepted accepted, CheckOutcome outcome) {
    rateLimiter.refund(accepted.route().endpointKey(), accepted.rate());
    return outcome;
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

  /**
   * The answer to a webhook whose book did not wake in time: 503, retry later. Nothing was recorded,
   * so its token is given back: the sender's retry does not pay twice.
   */
  public CheckOutcome waking(Step.Accepted accepted, long retryAfterSeconds) {
    return refunded(accepted, new CheckOutcome.Denied(accepted.scheme(), DenyReason.BOOK_WAKING,
        "the book is starting after being idle; retry after " + retryAfterSeconds + " s",
        List.of(new Header("retry-after", Long.toString(retryAfterSeconds)))));
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
