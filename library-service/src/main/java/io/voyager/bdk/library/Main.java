package io.voyager.bdk.library;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.relay.QueueSettings;
import io.voyager.bdk.support.AdminOptions;
import io.voyager.bdk.support.AdminServer;
import io.voyager.bdk.support.Closer;
import io.voyager.bdk.support.GrpcOptions;
import io.voyager.bdk.support.GrpcServers;
import io.voyager.bdk.support.KubeconfigOption;
import io.voyager.bdk.support.Metrics;
import io.voyager.bdk.support.ServiceMain;
import io.voyager.bdk.support.auth.JwtOptions;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.support.auth.TokenVerifier;
import io.voyager.bdk.support.auth.VerificationKeys;
import io.voyager.bdk.support.tls.ServerTls;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The library service process: BookLibrary gRPC on --grpc-port (every call needs a bearer JWT the
 * --jwt-* / --jwks-* flags accept; they are required), health and metrics on --admin-port.
 */
@Command(
    name = "library-service",
    mixinStandardHelpOptions = true,
    description = "Serves the BookLibrary gRPC API; its state is BookDefinitions and BookInstanceDefinitions in Kubernetes.")
public final class Main implements Callable<AutoCloseable> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @Mixin KubeconfigOption kube = new KubeconfigOption();

  @Mixin AdminOptions admin = new AdminOptions("0.0.0.0", 50052);

  @Mixin GrpcOptions grpcOptions = new GrpcOptions(50051);

  /** The JWT flags the xds-server takes too (the local stack passes both the same ones); required. */
  @Mixin JwtOptions jwtOptions = new JwtOptions();

  @Option(names = "--namespace", defaultValue = BdkLabels.BDK_NAMESPACE, description = "Namespace of BookDefinitions and BookInstanceDefinitions (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--sync-timeout", defaultValue = "PT60S", converter = DurationConverter.class, description = "How long to wait for the caches to sync at start (default: ${DEFAULT-VALUE}).")
  Duration syncTimeout;

  @Option(names = "--cache-wait", defaultValue = "PT5S", converter = DurationConverter.class, description = "How long a write waits to show in the caches (read-your-writes) (default: ${DEFAULT-VALUE}).")
  Duration cacheWait;

  @Option(names = "--nats-url", description = "NATS (JetStream) of the webhook relay, e.g. nats://nats.bdk.svc:4222: "
      + "an instance read then carries the delivery summary of its queued webhooks. Unset: the summary says unavailable.")
  String natsUrl;

  @Option(names = "--delivery-summary-ttl", defaultValue = "PT5S", converter = DurationConverter.class, description = "How long an instance's delivery summary is reused before JetStream is read again (default: ${DEFAULT-VALUE}).")
  Duration deliverySummaryTtl;

  @Option(names = "--rotation-sweep-interval", defaultValue = "PT10S", converter = DurationConverter.class, description = "How often the previous values of rotated webhook signing secrets are checked for the end of their overlap; one is removed within this long after it (default: ${DEFAULT-VALUE}).")
  Duration rotationSweepInterval;

  @Option(names = "--tailscale-allow-kernel-mode", arity = "1", defaultValue = "false",
      description = "Accept instances asking for Tailscale in kernel mode (root with NET_ADMIN); without it such a request "
          + "is refused 400 naming networking.tailscale.mode. Set it as on the book-controller (default: ${DEFAULT-VALUE}).")
  boolean tailscaleKernelAllowed;

  public static void main(String[] args) {
    ServiceMain.main(new Main(), args);
  }

  /** Starts everything and returns once the ports are bound; close() stops it. */
  public static AutoCloseable start(String... args) {
    return ServiceMain.start(new Main(), args);
  }

  @Override
  public AutoCloseable call() {
    // Checked before anything starts: the service never runs without token verification.
    JwtSettings jwt = jwtOptions.settings();
    if (rotationSweepInterval.isNegative() || rotationSweepInterval.isZero()) {
      throw new IllegalArgumentException("--rotation-sweep-interval must be a positive duration; got " + rotationSweepInterval);
    }
    if (deliverySummaryTtl.isNegative() || deliverySummaryTtl.isZero()) {
      throw new IllegalArgumentException("--delivery-summary-ttl must be a positive duration; got " + deliverySummaryTtl);
    }
    if (natsUrl != null && !natsUrl.startsWith("nats://") && !natsUrl.startsWith("tls://")) {
      throw new IllegalArgumentException("--nats-url must start with nats:// or tls://; got '" + natsUrl + "'");
    }
    ServerTls tls;
    try {
      tls = grpcOptions.tls();
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), e.getMessage());
    }
    Closer started = new Closer();
    try {
      KubernetesClient client = started.register(kube.client());
      PrometheusMeterRegistry registry = Metrics.newRegistry("library-service", started);
      VerificationKeys keys = started.register(VerificationKeys.open(jwt.jwks(), client, syncTimeout));
      TokenVerifier verifier = new TokenVerifier(jwt, keys, Clock.systemUTC());
      // registered before start, so informers already running are closed when another cache fails to sync
      LibraryBackend backend = started.register(
          new LibraryBackend(client, namespace, Clock.systemUTC(), cacheWait, verifier, registry,
              LibraryBackend.Checkpoints.NONE, rotationSweepInterval, tailscaleKernelAllowed,
              natsUrl == null || natsUrl.isBlank() ? DeliverySummaries.unconfigured()
                  : DeliverySummaries.connecting(natsUrl, QueueSettings.defaults(),
                      Duration.ofSeconds(2), deliverySummaryTtl, Clock.systemUTC(), registry)));
      backend.start(syncTimeout);
      GrpcServers.Running grpc = started.register(
          grpcOptions.start(registry, tls, backend.grpcService()));
      AdminServer admin = started.register(this.admin.start(registry, backend::ready));
      log.info("event=library_started grpc={}:{} admin_port={} namespace={} jwt_issuer={} jwt_audiences={} jwks=\"{}\"",
          grpcOptions.host(), grpc.port(), admin.port(), namespace, jwt.issuer(), jwt.audiences(), keys.describe());
      return () -> {
        started.close();
        log.info("event=library_stopped");
      };
    } catch (RuntimeException e) {
      started.close();
      throw e;
    }
  }

  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return Duration.parse(value);
    }
  }
}
