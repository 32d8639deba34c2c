package io.voyager.bdk.extauthz;

import com.github.benmanes.caffeine.cache.Ticker;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.extauthz.ratelimit.RateLimitPolicy;
import io.voyager.bdk.extauthz.replay.BoundedReplayStore;
import io.voyager.bdk.extauthz.shared.SharedState;
import io.voyager.bdk.extauthz.shared.SharedStateSettings;
import io.voyager.bdk.extauthz.wake.WakeGate;
import io.voyager.bdk.model.WebhookLimits;
import io.voyager.bdk.support.AdminOptions;
import io.voyager.bdk.support.AdminServer;
import io.voyager.bdk.support.Closer;
import io.voyager.bdk.support.GrpcOptions;
import io.voyager.bdk.support.GrpcServers;
import io.voyager.bdk.support.KubeconfigOption;
import io.voyager.bdk.support.Metrics;
import io.voyager.bdk.support.ServiceMain;
import io.voyager.bdk.support.tls.ServerTls;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The ext-authz process: Envoy's Authorization gRPC service on --grpc-port, health and metrics on --admin-port. */
@Command(
    name = "ext-authz",
    mixinStandardHelpOptions = true,
    description = "Verifies webhook signatures, replays and rate limits for Envoy's ext_authz filter; secrets come from Kubernetes Secrets.")
public final class Main implements Callable<AutoCloseable> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @Mixin KubeconfigOption kube = new KubeconfigOption();

  @Mixin AdminOptions admin = new AdminOptions("0.0.0.0", 18011);

  @Mixin GrpcOptions grpcOptions = new GrpcOptions(18010);

  @Option(names = "--default-tolerance-seconds", defaultValue = "300", description = "Signed-timestamp tolerance when a route sets none (default: ${DEFAULT-VALUE}).")
  long toleranceSeconds;

  @Option(names = "--default-rate-per-second", defaultValue = "10", description = "Token refill rate per endpoint when a route sets none (default: ${DEFAULT-VALUE}).")
  double ratePerSecond;

  @Option(names = "--default-burst", defaultValue = "20", description = "Token bucket size per endpoint when a route sets none (default: ${DEFAULT-VALUE}).")
  int burst;

  @Option(names = "--max-secrets", defaultValue = "10000", description = "Secrets cached and watched at most (default: ${DEFAULT-VALUE}).")
  long maxSecrets;

  @Option(names = "--replay-memory-bytes", defaultValue = "134217728",
      description = "Memory the replay store may grow to, in bytes (32 per remembered delivery key; each endpoint's minimum table comes on top: 768 bytes) (default: ${DEFAULT-VALUE} = 128 MiB).")
  long replayMemoryBytes;

  @Option(names = "--replay-endpoint-share-bytes", defaultValue = "4194304",
      description = "Memory one endpoint's replay table may grow to, in bytes; beyond it the endpoint forgets its own oldest deliveries first (default: ${DEFAULT-VALUE} = 4 MiB).")
  long replayShareBytes;

  @Option(names = "--secret-failure-ttl-seconds", defaultValue = "5",
      description = "How long a failed Secret read is remembered: requests naming that Secret meanwhile are refused without an API call (default: ${DEFAULT-VALUE}).")
  long secretFailureTtlSeconds;

  @Option(names = "--wake-hold-seconds", defaultValue = "20",
      description = "How long a webhook for a sleeping book is held while it wakes before it is answered 503 with Retry-After; "
          + "keep it below the xds-server's --ext-authz-wake-timeout (default: ${DEFAULT-VALUE}).")
  long wakeHoldSeconds;

  @Option(names = "--wake-settle-millis", defaultValue = "1500",
      description = "After a woken book reports ready, how long held webhooks wait more for the gateway to route to its new endpoint "
          + "(the xds-server pushes an endpoint change within about a second) (default: ${DEFAULT-VALUE}).")
  long wakeSettleMillis;

  @Option(names = "--wake-max-held", defaultValue = "10000",
      description = "Webhooks held for waking books at most at once; beyond, a webhook is answered 503 at once (default: ${DEFAULT-VALUE}).")
  int wakeMaxHeld;

  @Option(names = "--nats-url",
      description = "NATS server(s), comma-separated: replay and rate-limit state is then kept in JetStream key-value buckets shared by "
          + "every replica and kept across restarts; when NATS cannot be reached a webhook is refused with 503 state_unavailable. "
          + "Unset: each replica keeps its own state in memory (--replay-memory-bytes, --max-rate-buckets).")
  String natsUrl;

  @Option(names = "--state-replicas", defaultValue = "1",
      description = "With --nats-url: replicas of the state buckets, 1 for one server, 3 in a JetStream cluster (default: ${DEFAULT-VALUE}).")
  int stateReplicas;

  @Option(names = "--state-timeout", defaultValue = "1s",
      description = "With --nats-url: how long one state read or write may take before the webhook is refused with 503 (default: ${DEFAULT-VALUE}).")
  String stateTimeout;

  @Option(names = "--replay-kv-max-bytes", defaultValue = "67108864",
      description = "With --nats-url: storage of the replay bucket; about 150 bytes per live delivery key; when full, new deliveries are refused with 503 (default: ${DEFAULT-VALUE} = 64 MiB).")
  long replayKvMaxBytes;

  @Option(names = "--rate-limit-kv-max-bytes", defaultValue = "16777216",
      description = "With --nats-url: storage of the rate-limit bucket (default: ${DEFAULT-VALUE} = 16 MiB).")
  long rateLimitKvMaxBytes;

  @Option(names = "--max-checks-in-flight", defaultValue = "2048",
      description = "Checks in progress at most (with --nats-url they wait for NATS replies, holding no thread); beyond, a call is "
          + "refused and Envoy answers 503 (default: ${DEFAULT-VALUE}).")
  int maxChecksInFlight;

  @Option(names = "--max-rate-buckets", defaultValue = "100000", description = "Rate-limit buckets kept at most (default: ${DEFAULT-VALUE}).")
  long maxBuckets;

  public static void main(String[] args) {
    ServiceMain.main(new Main(), args);
  }

  /** Starts everything and returns once the ports are bound; close() stops it. */
  public static AutoCloseable start(String... args) {
    return ServiceMain.start(new Main(), args);
  }

  @Override
  public AutoCloseable call() {
    CommandLine cli = new CommandLine(this);
    WebhookLimits.toleranceSecondsProblem(toleranceSeconds).ifPresent(p -> {
      throw new CommandLine.ParameterException(cli, "--default-tolerance-seconds " + p);
    });
    WebhookLimits.requestsPerSecondProblem(ratePerSecond).ifPresent(p -> {
      throw new CommandLine.ParameterException(cli, "--default-rate-per-second " + p);
    });
    WebhookLimits.burstProblem(burst).ifPresent(p -> {
      throw new CommandLine.ParameterException(cli, "--default-burst " + p);
    });
    if (secretFailureTtlSeconds < 1) {
      throw new CommandLine.ParameterException(cli, "--secret-failure-ttl-seconds must be at least 1; got " + secretFailureTtlSeconds);
    }
    BoundedReplayStore.Budget replayBudget;
    try {
      replayBudget = new BoundedReplayStore.Budget(replayMemoryBytes, replayShareBytes);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cli, "--replay-memory-bytes/--replay-endpoint-share-bytes: " + e.getMessage());
    }
    SharedStateSettings sharedSettings = null;
    if (maxChecksInFlight < 1 || maxChecksInFlight > 1_000_000) {
      throw new CommandLine.ParameterException(cli, "--max-checks-in-flight must be from 1 to 1000000; got " + maxChecksInFlight);
    }
    if (natsUrl != null) {
      try {
        io.nats.client.Options.builder().server(natsUrl);
      } catch (RuntimeException e) {
        throw new CommandLine.ParameterException(cli, "--nats-url '" + natsUrl + "' is not a NATS URL like nats://host:4222: " + e.getMessage());
      }
      try {
        sharedSettings = new SharedStateSettings(natsUrl, stateReplicas, duration("--state-timeout", stateTimeout),
            replayKvMaxBytes, rateLimitKvMaxBytes);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(cli, e.getMessage());
      }
    }
    ServerTls tls;
    try {
      tls = grpcOptions.tls();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cli, e.getMessage());
    }
    if (wakeHoldSeconds < 1 || wakeHoldSeconds > 300) {
      throw new CommandLine.ParameterException(cli, "--wake-hold-seconds must be from 1 to 300; got " + wakeHoldSeconds);
    }
    if (wakeSettleMillis < 0 || wakeSettleMillis > 30_000) {
      throw new CommandLine.ParameterException(cli, "--wake-settle-millis must be from 0 to 30000; got " + wakeSettleMillis);
    }
    if (wakeMaxHeld < 1) {
      throw new CommandLine.ParameterException(cli, "--wake-max-held must be at least 1; got " + wakeMaxHeld);
    }
    WakeGate.Settings wake = new WakeGate.Settings(Duration.ofSeconds(wakeHoldSeconds), Duration.ofMillis(wakeSettleMillis),
        WakeGate.Settings.standard().rewakeInterval(), wakeMaxHeld, WakeGate.Settings.standard().maxTrackedBooks());
    CheckDefaults defaults = new CheckDefaults(Duration.ofSeconds(toleranceSeconds), new RateLimitPolicy(ratePerSecond, burst));
    Closer started = new Closer();
    try {
      KubernetesClient client = started.register(kube.client());
      PrometheusMeterRegistry registry = Metrics.newRegistry("ext-authz", started);
      SharedState shared = sharedSettings == null ? null : SharedState.connect(sharedSettings);
      ExtAuthzServer server;
      try {
        server = started.register(new ExtAuthzServer(client, defaults,
            new ExtAuthzServer.Limits(maxSecrets, Duration.ofHours(1), Duration.ofSeconds(secretFailureTtlSeconds), replayBudget, maxBuckets, wake,
                maxChecksInFlight),
            shared, registry, Clock.systemUTC(), Ticker.systemTicker()));
      } catch (RuntimeException e) {
        if (shared != null) {
          shared.close();
        }
        throw e;
      }
      Executor executor = ExtAuthzServer.grpcExecutor();
      GrpcServers.Running grpc = started.register(
          grpcOptions.start(registry, tls, executor, server.service(), server.replayReleases()));
      AdminServer admin = started.register(this.admin.start(registry, () -> true));
      log.info("event=ext_authz_started grpc={}:{} admin_port={} tolerance_s={} rate_per_s={} burst={} state={}",
          grpcOptions.host(), grpc.port(), admin.port(), toleranceSeconds, ratePerSecond, burst,
          natsUrl == null ? "memory" : "nats:" + natsUrl);
      return () -> {
        started.close();
        log.info("event=ext_authz_stopped");
      };
    } catch (RuntimeException e) {
      started.close();
      throw e;
    }
  }

  /** {@code 500ms} or {@code 2s}. */
  static Duration duration(String flag, String value) {
    Matcher m = Pattern.compile("(\\d{1,6})(ms|s)").matcher(value == null ? "" : value.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(flag + ": '" + value + "' is not a duration like 500ms or 2s");
    }
    long n = Long.parseLong(m.group(1));
    return m.group(2).equals("ms") ? Duration.ofMillis(n) : Duration.ofSeconds(n);
  }
}
