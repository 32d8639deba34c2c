package io.voyager.bdk.extauthz;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Prometheus metrics: {@code bdk_extauthz_checks_total{scheme,result,reason}} (result allowed or
 * denied, reason "ok" or the denial code) and the histogram
 * {@code bdk_extauthz_check_duration_seconds{scheme}}. Tags are bounded (scheme names and reason
 * codes only, never endpoints).
 */
public final class CheckMetrics {
  private final MeterRegistry registry;

  public CheckMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public void record(CheckOutcome outcome, Duration latency) {
    String reason = outcome instanceof CheckOutcome.Denied d ? d.reason().code() : "ok";
    String result = outcome instanceof CheckOutcome.Denied ? "denied" : "allowed";
    Counter.builder("bdk.extauthz.checks")
        .description("ext_authz webhook checks by scheme, result and reason")
        .tags("scheme", outcome.scheme(), "result", result, "reason", reason)
        .register(registry)
        .increment();
    Timer.builder("bdk.extauthz.check.duration")
        .description("time to decide one webhook check")
        .tags("scheme", outcome.scheme())
        .publishPercentileHistogram()
        .register(registry)
        .record(latency);
  }
}
