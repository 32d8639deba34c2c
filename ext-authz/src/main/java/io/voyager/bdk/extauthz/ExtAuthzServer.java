package io.voyager.bdk.extauthz;

import com.github.benmanes.caffeine.cache.Ticker;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.extauthz.ratelimit.RateLimiter;
import io.voyager.bdk.extauthz.replay.ReplayGuard;
import io.voyager.bdk.extauthz.secrets.KubernetesSecretSource;
import java.time.Clock;
import java.time.Duration;

/** Wires the Authorization service from a Kubernetes client and limits; tests and Main share it. */
public final class ExtAuthzServer implements AutoCloseable {
  /** Bounds of the caches. */
  public record Limits(long maxSecrets, Duration secretIdle, long maxReplayEntries, long maxBuckets) {
    public static Limits standard() {
      return new Limits(10_000, Duration.ofHours(1), 1_000_000, 100_000);
    }
  }

  private final KubernetesSecretSource secrets;
  private final AuthorizationService service;

  public ExtAuthzServer(KubernetesClient client, CheckDefaults defaults, Limits limits, MeterRegistry registry, Clock clock, Ticker ticker) {
    this.secrets = new KubernetesSecretSource(client, limits.maxSecrets(), limits.secretIdle());
    ReplayGuard replays = new ReplayGuard(limits.maxReplayEntries(), ticker);
    RateLimiter limiter = new RateLimiter(limits.maxBuckets(), ticker);
    this.service = new AuthorizationService(new WebhookCheck(secrets, replays, limiter, defaults, clock), new CheckMetrics(registry));
    Gauge.builder("bdk.extauthz.watched.secrets", secrets, KubernetesSecretSource::watchedSecrets)
        .description("Secrets cached and watched").register(registry);
    Gauge.builder("bdk.extauthz.replay.entries", replays, ReplayGuard::size)
        .description("deliveries remembered for replay protection").register(registry);
  }

  public AuthorizationService service() {
    return service;
  }

  @Override
  public void close() {
    secrets.close();
  }
}
