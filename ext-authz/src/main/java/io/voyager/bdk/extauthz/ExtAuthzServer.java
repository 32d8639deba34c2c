package io.voyager.bdk.extauthz;

import com.github.benmanes.caffeine.cache.Ticker;
import com.google.common.util.concurrent.MoreExecutors;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.extauthz.ratelimit.JetStreamRateLimiter;
import io.voyager.bdk.extauthz.ratelimit.RateLimiter;
import io.voyager.bdk.extauthz.ratelimit.RateLimits;
import io.voyager.bdk.extauthz.replay.BoundedReplayStore;
import io.voyager.bdk.extauthz.replay.JetStreamReplayStore;
import io.voyager.bdk.extauthz.replay.ReplayStore;
import io.voyager.bdk.extauthz.shared.SharedState;
import io.voyager.bdk.extauthz.secrets.KubernetesSecretSource;
import io.voyager.bdk.extauthz.wake.WakeGate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the Authorization service from a Kubernetes client and limits; tests and Main share it. */
public final class ExtAuthzServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExtAuthzServer.class);
  /** How often expired replay entries are dropped and their memory given back. */
  static final Duration REPLAY_SWEEP = Duration.ofSeconds(10);

  /**
   * Bounds of the caches.
   *
   * @param secretFailureTtl how long a failed Secret read is remembered (no API call meanwhile)
   * @param maxChecksInFlight checks in progress at most ({@link #MAX_CHECKS_IN_FLIGHT} by default)
   */
  public record Limits(long maxSecrets, Duration secretIdle, Duration secretFailureTtl, BoundedReplayStore.Budget replay,
      long maxBuckets, WakeGate.Settings wake, int maxChecksInFlight) {
    public Limits(long maxSecrets, Duration secretIdle, Duration secretFailureTtl, BoundedReplayStore.Budget replay, long maxBuckets) {
      this(maxSecrets, secretIdle, secretFailureTtl, replay, maxBuckets, WakeGate.Settings.standard());
    }

    public Limits(long maxSecrets, Duration secretIdle, Duration secretFailureTtl, BoundedReplayStore.Budget replay, long maxBuckets,
        WakeGate.Settings wake) {
      this(maxSecrets, secretIdle, secretFailureTtl, replay, maxBuckets, wake, MAX_CHECKS_IN_FLIGHT);
    }

    public static Limits standard() {
      return new Limits(10_000, Duration.ofHours(1), Duration.ofSeconds(KubernetesSecretSource.DEFAULT_FAILURE_TTL_SECONDS),
          BoundedReplayStore.Budget.standard(), 100_000);
    }

    /** These limits with other wake settings. */
    public Limits withWake(WakeGate.Settings settings) {
      return new Limits(maxSecrets, secretIdle, secretFailureTtl, replay, maxBuckets, settings);
    }
  }

  private final KubernetesSecretSource secrets;
  /** This replica's replay memory; null when the state is shared ({@link SharedState}). */
  private final BoundedReplayStore replays;
  private final SharedState shared;
  private final AuthorizationService service;
  private final ReplayReleaseService replayReleases;
  private final WakeGate wake;
  private final ScheduledExecutorService sweeper;
  private final ExecutorService secretReads;

  /** Replay and rate-limit state in this replica's memory. */
  public ExtAuthzServer(KubernetesClient client, CheckDefaults defaults, Limits limits, MeterRegistry registry, Clock clock, Ticker ticker) {
    this(client, defaults, limits, null, registry, clock, ticker);
  }

  /**
   * @param shared replay and rate-limit state shared by the replicas (NATS JetStream key-value),
   *     closed with this server; null: this replica's memory ({@link BoundedReplayStore}, {@link RateLimiter})
   */
  public ExtAuthzServer(KubernetesClient client, CheckDefaults defaults, Limits limits, SharedState shared, MeterRegistry registry,
      Clock clock, Ticker ticker) {
    this.secrets = new KubernetesSecretSource(client, limits.maxSecrets(), limits.secretIdle(), limits.secretFailureTtl(), ticker);
    this.shared = shared;
    ReplayStore replayStore;
    RateLimits limiter;
    if (shared == null) {
      this.replays = new BoundedReplayStore(limits.replay(), ticker);
      replayStore = replays;
      limiter = new RateLimiter(limits.maxBuckets(), ticker);
    } else {
      this.replays = null;
      replayStore = new JetStreamReplayStore(shared);
      JetStreamRateLimiter sharedLimiter = new JetStreamRateLimiter(shared, clock);
      limiter = sharedLimiter;
      registerSharedStateMetrics(registry, shared, sharedLimiter);
    }
    this.wake = new WakeGate(client, limits.wake(), registry, clock, ticker);
    AtomicInteger readers = new AtomicInteger();
    this.secretReads = Executors.newFixedThreadPool(SECRET_READERS, r -> {
      Thread t = new Thread(r, "secret-read-" + readers.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.service = new AuthorizationService(new WebhookCheck(secrets, replayStore, limiter, defaults, clock), new CheckMetrics(registry),
        secretReads, wake, limits.maxChecksInFlight());
    this.replayReleases = new ReplayReleaseService(replayStore, registry);
    Gauge.builder("bdk.extauthz.watched.secrets", secrets, KubernetesSecretSource::watchedSecrets)
        .description("Secrets cached and watched").register(registry);
    FunctionCounter.builder("bdk.extauthz.secret.reads", secrets, KubernetesSecretSource::reads)
        .description("Secret reads sent to the API server (a failed read is not retried for a few seconds)").register(registry);
    if (replays != null) {
      registerReplayMetrics(registry, replays);
    }
    this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "replay-sweeper");
      t.setDaemon(true);
      return t;
    });
    sweeper.scheduleWithFixedDelay(this::sweep, REPLAY_SWEEP.toMillis(), REPLAY_SWEEP.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Threads that decide the checks waiting for a Secret read (the rest run on the gRPC network threads). */
  static final int SECRET_READERS = 4;

  /**
   * The executor ext-authz's gRPC server runs calls on: none of its own — each call runs on the
   * network thread that read it ({@link AuthorizationService} moves the few that wait for a Secret
   * read elsewhere). A JFR profile of the Check path under load showed the default executor's
   * hand-offs (a thread pool hop per call and per callback, and the wake-ups) costing about as much
   * as the check itself.
   */
  public static Executor grpcExecutor() {
    return MoreExecutors.directExecutor();
  }

  /**
   * Checks in progress at most (the calls beyond are refused with RESOURCE_EXHAUSTED and Envoy
   * answers 503): checks waiting for NATS replies hold no thread, so this bounds their memory.
   */
  public static final int MAX_CHECKS_IN_FLIGHT = 2048;

  static void registerSharedStateMetrics(MeterRegistry registry, SharedState shared, JetStreamRateLimiter limiter) {
    FunctionCounter.builder("bdk.extauthz.state.failures", shared, SharedState::failures)
        .description("reads and writes of the shared replay/rate-limit state (NATS JetStream) that failed or timed out: "
            + "each check concerned was refused with 503 state_unavailable").register(registry);
    Gauge.builder("bdk.extauthz.state.connected", shared, s -> s.connected() ? 1 : 0)
        .description("1 while connected to NATS (the shared replay/rate-limit state)").register(registry);
    FunctionCounter.builder("bdk.extauthz.rate.limit.contention", limiter, JetStreamRateLimiter::contention)
        .description("rate-limit takes refused because the endpoint's shared bucket kept changing under them").register(registry);
    FunctionCounter.builder("bdk.extauthz.rate.limit.refunds.lost", limiter, JetStreamRateLimiter::refundsLost)
        .description("tokens of refused deliveries (replays, 503s) that could not be given back to the endpoint's shared bucket "
            + "(NATS failed, or its compare-and-set kept losing): the endpoint under-admits by that many until it refills")
        .register(registry);
  }

  /** The in-memory replay store's meters (ext-authz without --nats-url). */
  public static void registerReplayMetrics(MeterRegistry registry, BoundedReplayStore replays) {
    Gauge.builder("bdk.extauthz.replay.entries", replays, BoundedReplayStore::entries)
        .description("delivery keys remembered for replay protection").register(registry);
    Gauge.builder("bdk.extauthz.replay.memory", replays, BoundedReplayStore::bytes)
        .baseUnit("bytes").description("memory held by the replay store").register(registry);
    Gauge.builder("bdk.extauthz.replay.memory.budget", replays, r -> r.budget().memoryBytes())
        .baseUnit("bytes").description("the replay store's budget (--replay-memory-bytes)").register(registry);
    Gauge.builder("bdk.extauthz.replay.endpoints", replays, BoundedReplayStore::endpoints)
        .description("endpoints with remembered deliveries").register(registry);
    for (String limit : new String[] {"endpoint_share", "memory_budget"}) {
      FunctionCounter.builder("bdk.extauthz.replay.evictions", replays, r -> r.evictions(limit))
          .tag("limit", limit)
          .description("live replay entries evicted (an endpoint's own oldest) because its share or the budget was full")
          .register(registry);
    }
  }

  private void sweep() {
    if (replays == null) {
      return;
    }
    try {
      replays.sweep();
    } catch (RuntimeException e) {
      LOG.error("event=replay_sweep_failed error={}", e.toString());
    }
  }

  public AuthorizationService service() {
    return service;
  }

  /** Envoy's AccessLogService: forgets the replay entries of deliveries that failed at the book. */
  public ReplayReleaseService replayReleases() {
    return replayReleases;
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
    wake.close();
    secretReads.shutdownNow();
    secrets.close();
    if (shared != null) {
      shared.close();
    }
  }
}
