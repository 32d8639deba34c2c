package io.voyager.bdk.library;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.support.AdminServer;
import io.voyager.bdk.support.GrpcServers;
import io.voyager.bdk.support.KubeClients;
import io.voyager.bdk.support.Metrics;
import io.voyager.bdk.support.ServiceMain;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The library service process: BookLibrary gRPC on --grpc-port, health and metrics on --admin-port. */
@Command(
    name = "library-service",
    mixinStandardHelpOptions = true,
    description = "Serves the BookLibrary gRPC API; its state is BookDefinitions and BookInstanceDefinitions in Kubernetes.")
public final class Main implements Callable<AutoCloseable> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @Option(names = "--kubeconfig", description = "Kubeconfig file (default: $KUBECONFIG, ~/.kube/config or in-cluster).")
  Path kubeconfig;

  @Option(names = "--grpc-port", defaultValue = "50051", description = "gRPC port (default: ${DEFAULT-VALUE}; 0 picks one).")
  int grpcPort;

  @Option(names = "--admin-port", defaultValue = "50052", description = "Admin HTTP port: /healthz, /readyz, /metrics (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(names = "--admin-host", defaultValue = "0.0.0.0", description = "Admin HTTP bind address (default: ${DEFAULT-VALUE}).")
  String adminHost;

  @Option(names = "--namespace", defaultValue = BdkLabels.BDK_NAMESPACE, description = "Namespace of BookDefinitions and BookInstanceDefinitions (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--sync-timeout", defaultValue = "PT60S", converter = DurationConverter.class, description = "How long to wait for the caches to sync at start (default: ${DEFAULT-VALUE}).")
  Duration syncTimeout;

  @Option(names = "--cache-wait", defaultValue = "PT5S", converter = DurationConverter.class, description = "How long a write waits to show in the caches (read-your-writes) (default: ${DEFAULT-VALUE}).")
  Duration cacheWait;

  public static void main(String[] args) {
    ServiceMain.main(new Main(), args);
  }

  /** Starts everything and returns once the ports are bound; close() stops it. */
  public static AutoCloseable start(String... args) {
    return ServiceMain.start(new Main(), args);
  }

  @Override
  public AutoCloseable call() {
    KubernetesClient client = KubeClients.create(kubeconfig);
    LibraryBackend backend = null;
    GrpcServers.Running grpc = null;
    try {
      PrometheusMeterRegistry registry = Metrics.newRegistry("library-service");
      // assigned before start, so informers already running are closed when the other cache fails to sync
      backend = new LibraryBackend(client, namespace, Clock.systemUTC(), cacheWait);
      backend.start(syncTimeout);
      backend.bindMetrics(registry);
      grpc = GrpcServers.start(grpcPort, registry, backend.grpcService());
      LibraryBackend ready = backend;
      AdminServer admin = AdminServer.start(adminHost, adminPort, registry, ready::ready);
      log.info("event=library_started grpc_port={} admin_port={} namespace={}", grpc.port(), admin.port(), namespace);
      GrpcServers.Running server = grpc;
      return () -> {
        server.close();
        admin.close();
        ready.close();
        client.close();
        log.info("event=library_stopped");
      };
    } catch (RuntimeException e) {
      if (grpc != null) grpc.close();
      if (backend != null) backend.close();
      client.close();
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
