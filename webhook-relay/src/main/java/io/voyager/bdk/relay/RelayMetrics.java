package io.voyager.bdk.relay;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The relay's Prometheus meters. Every label value is registered at 0 at start, so alerts and
 * dashboards see the series before the first event:
 * <ul>
 *   <li>{@code bdk_relay_published_total{result}}: stored, duplicate, failed (503), too_large (413);</li>
 *   <li>{@code bdk_relay_refused_total{reason}}: requests refused before publishing (400/405/413);</li>
 *   <li>{@code bdk_relay_delivered_total}, {@code bdk_relay_accept_to_delivered_seconds};</li>
 *   <li>{@code bdk_relay_retries_total{reason}}: server_error, retry_after, timeout, connection_error;</li>
 *   <li>{@code bdk_relay_dead_lettered_total{reason}}: client_error, attempts_exhausted, expired, wake_timeout,
 *       malformed;</li>
 *   <li>{@code bdk_relay_queued_messages}, {@code bdk_relay_oldest_queued_age_seconds},
 *       {@code bdk_relay_dead_letters}: the streams as last sampled;</li>
 *   <li>{@code bdk_relay_breakers{state}} (open, half_open) and
 *       {@code bdk_relay_longest_open_breaker_seconds}: per-endpoint circuit breakers
 *       ({@code /debug/breakers} names the endpoints);</li>
 *   <li>with --wake-books, {@link BookWakes}'s {@code bdk_relay_wake_waits_total} and
 *       {@code bdk_relay_wake_lease_writes_total{kind,result}}.</li>
 * </ul>
 */
final class RelayMetrics {
  static final List<String> PUBLISH_RESULTS = List.of("stored", "duplicate", "failed", "too_large");
  static final List<String> REFUSALS = List.of("bad_routing_headers", "bad_header", "body_too_large",
      "headers_too_large", "method_not_allowed");

  private final Map<String, Counter> published = new HashMap<>();
  private final Map<String, Counter> refused = new HashMap<>();
  private final Map<RetryPolicy.Decision.RetryReason, Counter> retries =
      new EnumMap<>(RetryPolicy.Decision.RetryReason.class);
  private final Map<DeadLetterReason, Counter> deadLettered = new EnumMap<>(DeadLetterReason.class);
  private final Counter delivered;
  private final Timer acceptToDelivered;
  private final AtomicLong queued = new AtomicLong();
  private final AtomicReference<Double> oldestAge = new AtomicReference<>(0.0);
  private final AtomicLong deadLetters = new AtomicLong();

  RelayMetrics(MeterRegistry registry, CircuitBreakers breakers, Clock clock) {
    PUBLISH_RESULTS.forEach(r -> published.put(r, Counter.builder("bdk.relay.published")
        .description("Webhooks the accept side tried to queue, by result").tag("result", r).register(registry)));
    REFUSALS.forEach(r -> refused.put(r, Counter.builder("bdk.relay.refused")
        .description("Requests refused before anything was published, by reason").tag("reason", r).register(registry)));
    for (var reason : RetryPolicy.Decision.RetryReason.values()) {
      retries.put(reason, Counter.builder("bdk.relay.retries")
          .description("Delivery attempts that failed and will be retried, by reason").tag("reason", reason.label())
          .register(registry));
    }
    for (DeadLetterReason reason : DeadLetterReason.values()) {
      deadLettered.put(reason, Counter.builder("bdk.relay.dead.lettered")
          .description("Webhooks moved to the dead-letter stream, by reason").tag("reason", reason.label())
          .register(registry));
    }
    delivered = Counter.builder("bdk.relay.delivered").description("Webhooks a book accepted (2xx)").register(registry);
    acceptToDelivered = Timer.builder("bdk.relay.accept.to.delivered")
        .description("From queued to delivered (2xx), including retries").publishPercentileHistogram(false)
        .register(registry);
    Gauge.builder("bdk.relay.queued.messages", queued, AtomicLong::get)
        .description("Webhooks in the work stream (not yet delivered or dead-lettered)").register(registry);
    Gauge.builder("bdk.relay.oldest.queued.age.seconds", oldestAge, AtomicReference::get)
        .description("Age of the oldest webhook still waiting for delivery (0 when none)").register(registry);
    Gauge.builder("bdk.relay.dead.letters", deadLetters, AtomicLong::get)
        .description("Webhooks in the dead-letter stream, waiting for replay").register(registry);
    for (CircuitBreakers.State state : List.of(CircuitBreakers.State.OPEN, CircuitBreakers.State.HALF_OPEN)) {
      Gauge.builder("bdk.relay.breakers", breakers, b -> b.count(state))
          .description("Endpoints whose circuit breaker is not closed, by state").tag("state", state.name().toLowerCase())
          .register(registry);
    }
    Gauge.builder("bdk.relay.longest.open.breaker.seconds", breakers, b -> b.longestOpenSeconds(clock.instant()))
        .description("How long the longest-paused endpoint has been paused without a success").register(registry);
  }

  void published(String result) {
    published.get(result).increment();
  }

  void refused(String reason) {
    Counter counter = refused.get(reason);
    if (counter != null) {
      counter.increment();
    }
  }

  void delivered(Duration sinceAccepted) {
    delivered.increment();
    if (!sinceAccepted.isNegative()) {
      acceptToDelivered.record(sinceAccepted);
    }
  }

  void retried(RetryPolicy.Decision.RetryReason reason) {
    retries.get(reason).increment();
  }

  void deadLettered(DeadLetterReason reason) {
    deadLettered.get(reason).increment();
  }

  void streams(long queuedMessages, double oldestAgeSeconds, long deadLetterCount) {
    queued.set(queuedMessages);
    oldestAge.set(oldestAgeSeconds);
    deadLetters.set(deadLetterCount);
  }
}
