package io.voyager.bdk.extauthz;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prometheus metrics: {@code bdk_extauthz_checks_total{scheme,result,reason}} (result allowed or
 * denied, reason "ok" or the denial code) and the histogram
 * {@code bdk_extauthz_check_duration_seconds{scheme}}. Tags are bounded (scheme names and reason
 * codes only, never endpoints).
 *
 * <p>Each meter is looked up in the registry once and then kept here: {@code register} builds an
 * id and searches the registry on every call, which showed in the Check path's profile.
 */
public final class CheckMetrics {
  private final MeterRegistry registry;
  /** Counters by scheme and reason code ("ok" when allowed): a bounded set, as the tags are. */
  private final Map<String, Map<String, Counter>> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  public CheckMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public void record(CheckOutcome outcome, Duration latency) {
    String reason = outcome instanceof CheckOutcome.Denied d ? d.reason().code() : "ok";
    counters.computeIfAbsent(outcome.scheme(), s -> new ConcurrentHashMap<>())
        .computeIfAbsent(reason, r -> counter(outcome.scheme(), outcome instanceof CheckOutcome.Denied ? "denied" : "allowed", r))
        .increment();
    timers.computeIfAbsent(outcome.scheme(), this::timer).record(latency);
  }

  private Counter counter(String scheme, String result, String reason) {
    return Counter.builder("bdk.extauthz.checks")
        .description("ext_authz webhook checks by scheme, result and reason")
        .tags("scheme", scheme, "result", result, "reason", reason)
        .register(registry);
  }

  private Timer timer(String scheme) {
    return Timer.builder("bdk.extauthz.check.duration")
        .description("time to decide one webhook check")
        .tags("scheme", scheme)
        .publishPercentileHistogram()
        .register(registry);
  }
}
