package io.voyager.bdk.extauthz;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.stub.StreamObserver;
import io.voyager.bdk.extauthz.scheme.DenyReason;
import io.voyager.bdk.extauthz.scheme.RequestHeaders;
import io.voyager.bdk.extauthz.wake.WakeGate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's {@code envoy.service.auth.v3.Authorization}: reads headers, the exact body bytes
 * ({@code raw_body}, sent with {@code pack_as_bytes}) and the route's context_extensions, asks
 * {@link WebhookCheck} and answers. Any unexpected error is a denial (fail closed), never a crash.
 *
 * <p>Threads: ext-authz's gRPC server runs calls on its network threads
 * ({@link ExtAuthzServer#grpcExecutor}), so a check whose Secret is in memory — nearly all of them —
 * is decided where its request was read, without a hand-off to another thread. A check that would
 * wait for a Secret read ({@link WebhookCheck#mayWaitForSecret}) is decided on
 * {@code secretReads} instead, so a slow API server never holds up the other webhooks sharing
 * Envoy's connection.
 */
public final class AuthorizationService extends AuthorizationGrpc.AuthorizationImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(AuthorizationService.class);

  /** Retry-After of a webhook answered 503 because its book was still waking. */
  static final long WAKING_RETRY_AFTER_SECONDS = 10;

  private final WebhookCheck check;
  private final CheckMetrics metrics;
  private final Executor secretReads;
  private final WakeGate wake;
  private final int maxInFlight;
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Decides every check on the calling thread (for servers that run calls on their own executor). */
  public AuthorizationService(WebhookCheck check, CheckMetrics metrics) {
    this(check, metrics, Runnable::run, null);
  }

  public AuthorizationService(WebhookCheck check, CheckMetrics metrics, Executor secretReads) {
    this(check, metrics, secretReads, null);
  }

  /** @param wake holds webhooks for books that sleep when idle; null: such routes are checked like any other */
  public AuthorizationService(WebhookCheck check, CheckMetrics metrics, WakeGate wake) {
    this(check, metrics, Runnable::run, wake);
  }

  /**
   * @param secretReads decides the checks that may wait for a Secret read
   * @param wake holds webhooks for books that sleep when idle; null: such routes are checked like any other
   */
  public AuthorizationService(WebhookCheck check, CheckMetrics metrics, Executor secretReads, WakeGate wake) {
    this(check, metrics, secretReads, wake, ExtAuthzServer.MAX_CHECKS_IN_FLIGHT);
  }

  /** @param maxInFlight checks in progress at most; a call beyond is refused (RESOURCE_EXHAUSTED: Envoy answers 503) */
  public AuthorizationService(WebhookCheck check, CheckMetrics metrics, Executor secretReads, WakeGate wake, int maxInFlight) {
    this.maxInFlight = maxInFlight;
    this.check = check;
    this.metrics = metrics;
    this.secretReads = secretReads;
    this.wake = wake;
  }

  /**
   * Decides and answers. A webhook for a sleeping book is held — the response is sent later, from
   * the wake gate's timer thread, never blocking a gRPC thread — until the book is ready or the
   * hold times out (503 with Retry-After). The check's duration metric covers the decision only,
   * not the hold (held time has its own metric).
   */
  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> responses) {
    if (inFlight.incrementAndGet() > maxInFlight) {
      inFlight.decrementAndGet();
      LOG.warn("event=check_refused reason=too_many_in_flight max={}", maxInFlight);
      responses.onError(io.grpc.Status.RESOURCE_EXHAUSTED.withDescription("too many checks in progress").asRuntimeException());
      return;
    }
    if (check.mayWaitForSecret(request.getAttributes().getContextExtensionsMap())) {
      try {
        secretReads.execute(() -> answer(request, responses));
        return;
      } catch (RejectedExecutionException e) {
        LOG.warn("event=secret_read_rejected error={}", e.toString());
      }
    }
    answer(request, responses);
  }

  /**
   * Verifies the request on this thread (route, signature); the rate limit and the replay create
   * continue on NATS's replies when the state is shared, and the response is sent from the last
   * continuation: no thread waits for a NATS round trip. A route whose book sleeps (with a wake
   * gate) is checked in two steps around the wake ({@link WebhookCheck#beginAsync}, then
   * {@link WebhookCheck#finishAsync}), so a replay wakes nothing.
   */
  private void answer(CheckRequest request, StreamObserver<CheckResponse> responses) {
    long start = System.nanoTime();
    WebhookCheck.Step verified = verify(request);
    CompletableFuture<Void> answered;
    if (verified instanceof WebhookCheck.Step.Authentic authentic && wake != null && authentic.wakeLease().isPresent()) {
      answered = guarded(() -> check.beginAsync(authentic), new WebhookCheck.Step.Done(internalError())).thenCompose(step -> {
        if (!(step instanceof WebhookCheck.Step.Accepted accepted)) {
          return CompletableFuture.completedFuture(((WebhookCheck.Step.Done) step).outcome())
              .thenAccept(o -> respond(request, responses, o, System.nanoTime() - start));
        }
        long decided = System.nanoTime() - start;
        return wake.admit(accepted.wakeLease().get()).handle((outcome, error) -> {
          long resumed = System.nanoTime();
          CompletableFuture<CheckOutcome> answer = error == null && (outcome == WakeGate.Outcome.READY || outcome == WakeGate.Outcome.WOKEN)
              ? guarded(() -> check.finishAsync(accepted), internalError())
              : CompletableFuture.completedFuture(check.waking(accepted, WAKING_RETRY_AFTER_SECONDS));
          return answer.thenAccept(outcome1 -> respond(request, responses, outcome1, decided + (System.nanoTime() - resumed)));
        }).thenCompose(f -> f);
      });
    } else {
      answered = decide(verified).thenAccept(o -> respond(request, responses, o, System.nanoTime() - start));
    }
    answered.exceptionally(error -> {
      LOG.error("event=check_failed error={}", error.toString());
      respond(request, responses, internalError(), System.nanoTime() - start);
      return null;
    });
  }

  private void respond(StreamObserver<CheckResponse> responses, CheckResponse response) {
    inFlight.decrementAndGet();
    try {
      responses.onNext(response);
      responses.onCompleted();
    } catch (RuntimeException e) {
      // Envoy gave up on the check (its timeout) and cancelled the call.
      LOG.info("event=check_response_dropped error={}", e.toString());
    }
  }

  private void respond(CheckRequest request, StreamObserver<CheckResponse> responses, CheckOutcome outcome, long nanos) {
    metrics.record(outcome, Duration.ofNanos(nanos));
    log(request, outcome);
    respond(responses, CheckResponses.of(outcome));
  }

  /** Route and signature: {@link WebhookCheck.Step.Authentic} or a denial. */
  private WebhookCheck.Step verify(CheckRequest request) {
    if (request.getAttributes().getContextExtensionsCount() == 0) {
      // Every route of ours either gives ext_authz its context or skips it: none means no route.
      AttributeContext.HttpRequest http = request.getAttributes().getRequest().getHttp();
      return new WebhookCheck.Step.Done(new CheckOutcome.Denied("unknown", DenyReason.NO_ROUTE,
          "no route for " + http.getMethod() + " " + http.getPath(), List.of()));
    }
    try {
      AttributeContext.HttpRequest http = request.getAttributes().getRequest().getHttp();
      return check.verify(request.getAttributes().getContextExtensionsMap(), headers(http), body(http));
    } catch (RuntimeException e) {
      LOG.error("event=check_failed error={}", e.toString());
      return new WebhookCheck.Step.Done(internalError());
    }
  }

  /** The outcome for a verified step whose book is not held: rate limit → replay create. */
  private CompletableFuture<CheckOutcome> decide(WebhookCheck.Step verified) {
    if (!(verified instanceof WebhookCheck.Step.Authentic authentic)) {
      return CompletableFuture.completedFuture(((WebhookCheck.Step.Done) verified).outcome());
    }
    return guarded(() -> check.decideAsync(authentic), internalError());
  }

  /**
   * {@code step}'s future, or {@code failed} (logged) when it throws instead of returning one: every
   * path of a check answers, and frees its place among the checks in flight.
   */
  private static <T> CompletableFuture<T> guarded(Supplier<CompletableFuture<T>> step, T failed) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      LOG.error("event=check_failed error={}", e.toString());
      return CompletableFuture.completedFuture(failed);
    }
  }

  private static CheckOutcome internalError() {
    return new CheckOutcome.Denied("unknown", DenyReason.INTERNAL_ERROR, "internal error while checking the webhook", List.of());
  }

  /** The decision for one request, without holding for a waking book; public for the in-process benchmark. */
  public CheckOutcome decide(CheckRequest request) {
    return decide(verify(request)).join();
  }

  /**
   * Envoy's raw {@code header_map} when sent (the gateway's ext_authz filters set
   * {@code encode_raw_headers}: repeated headers stay apart, values stay bytes until a scheme reads
   * one), else the merged {@code headers} map. A header_map entry without {@code raw_value} uses its
   * {@code value}.
   */
  static RequestHeaders headers(AttributeContext.HttpRequest http) {
    if (http.hasHeaderMap() && http.getHeaderMap().getHeadersCount() > 0) {
      int count = http.getHeaderMap().getHeadersCount();
      String[] names = new String[count];
      ByteString[] values = new ByteString[count];
      for (int i = 0; i < count; i++) {
        HeaderValue h = http.getHeaderMap().getHeaders(i);
        names[i] = h.getKey();
        values[i] = h.getRawValue().isEmpty() ? h.getValueBytes() : h.getRawValue();
      }
      return RequestHeaders.ofRaw(names, values);
    }
    return RequestHeaders.of(http.getHeadersMap());
  }

  /**
   * {@code raw_body} (exact bytes); falls back to {@code body} when Envoy was not set to
   * pack_as_bytes. The request's own bytes, not a copy (a 1 KiB copy per check was the largest
   * allocation of the Check path).
   */
  static ByteString body(AttributeContext.HttpRequest http) {
    return !http.getRawBody().isEmpty() ? http.getRawBody() : http.getBodyBytes();
  }

  private static void log(CheckRequest request, CheckOutcome outcome) {
    boolean quiet = outcome instanceof CheckOutcome.Allowed
        || (outcome instanceof CheckOutcome.Denied d && (d.reason() == DenyReason.RATE_LIMITED || d.reason() == DenyReason.NO_ROUTE));
    if (quiet && !LOG.isDebugEnabled()) {
      return; // the common case: nothing to log, so no path decoded either
    }
    String path = request.getAttributes().getRequest().getHttp().getPath();
    if (outcome instanceof CheckOutcome.Allowed ok) {
      LOG.debug("event=webhook_allowed scheme={} path={} webhook_id={}", ok.scheme(), path, ok.webhookId());
    } else if (outcome instanceof CheckOutcome.Denied d && (d.reason() == DenyReason.RATE_LIMITED || d.reason() == DenyReason.NO_ROUTE)) {
      LOG.debug("event=webhook_denied scheme={} path={} reason={}", d.scheme(), path, d.reason().code());
    } else if (outcome instanceof CheckOutcome.Denied d && !d.reason().senderMaySeeDetails()) {
      LOG.warn("event=webhook_denied scheme={} path={} reason={} message=\"{}\"", d.scheme(), path, d.reason().code(), d.message());
    } else if (outcome instanceof CheckOutcome.Denied d) {
      LOG.info("event=webhook_denied scheme={} path={} reason={} message=\"{}\"", d.scheme(), path, d.reason().code(), d.message());
    }
  }
}
