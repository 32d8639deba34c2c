package io.voyager.bdk.extauthz;

import com.github.benmanes.caffeine.cache.Ticker;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.extauthz.ratelimit.RateLimitPolicy;
import io.voyager.bdk.support.AdminOptions;
import io.voyager.bdk.support.AdminServer;
import io.voyager.bdk.support.Closer;
import io.voyager.bdk.support.GrpcOptions;
import io.voyager.bdk.support.GrpcServers;
import io.voyager.bdk.support.KubeconfigOption;
import io.voyager.bdk.support.Metrics;
import io.voyager.bdk.support.ServiceMain;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
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

  @Option(names = "--max-replay-entries", defaultValue = "1000000", description = "Deliveries remembered for replay protection at most (default: ${DEFAULT-VALUE}).")
  long maxReplayEntries;

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
    CheckDefaults defaults;
    try {
      defaults = new CheckDefaults(Duration.ofSeconds(toleranceSeconds), new RateLimitPolicy(ratePerSecond, burst));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), "invalid default rate limit: " + e.getMessage());
    }
    Closer started = new Closer();
    try {
      KubernetesClient client = started.register(kube.client());
      PrometheusMeterRegistry registry = Metrics.newRegistry("ext-authz", started);
      ExtAuthzServer server = started.register(new ExtAuthzServer(client, defaults,
          new ExtAuthzServer.Limits(maxSecrets, Duration.ofHours(1), maxReplayEntries, maxBuckets),
          registry, Clock.systemUTC(), Ticker.systemTicker()));
      GrpcServers.Running grpc = started.register(
          grpcOptions.start(registry, server.service()));
      AdminServer admin = started.register(this.admin.start(registry, () -> true));
      log.info("event=ext_authz_started grpc={}:{} admin_port={} tolerance_s={} rate_per_s={} burst={}",
          grpcOptions.host(), grpc.port(), admin.port(), toleranceSeconds, ratePerSecond, burst);
      return () -> {
        started.close();
        log.info("event=ext_authz_stopped");
      };
    } catch (RuntimeException e) {
      started.close();
      throw e;
    }
  }
}
