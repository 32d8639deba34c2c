package io.voyager.bdk.support;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.voyager.bdk.support.tls.PeerIdentity;
import io.voyager.bdk.support.tls.ServerTls;
import io.voyager.bdk.support.tls.TlsFiles;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server with what every service registers: the services given, gRPC health (SERVING for
 * the overall server and each service) and reflection, and request metrics.
 *
 * <p>With {@link ServerTls.MutualTls} the server presents its certificate and requires a client
 * certificate that chains to the configured CA: a plaintext client, or one with a certificate of
 * another CA, fails the TLS handshake before any RPC (health and reflection included). Certificate,
 * key and CA files are re-read every {@link #RELOAD_PERIOD_SECONDS} s when they changed, so a
 * renewed certificate (cert-manager rewrites the mounted Secret) is used without a restart. Each
 * call's verified client identity is in {@link PeerIdentity#current()}.
 */
public final class GrpcServers {
  private static final Logger log = LoggerFactory.getLogger(GrpcServers.class);

  private GrpcServers() {}

  /** How often certificate files are checked for a change. */
  public static final long RELOAD_PERIOD_SECONDS = 30;

  /** A started server and the health manager that reports it. */
  public record Running(Server server, HealthStatusManager health, List<AutoCloseable> resources) implements AutoCloseable {
    public Running {
      resources = List.copyOf(resources);
    }

    public int port() {
      return server.getPort();
    }

    @Override
    public void close() {
      health.enterTerminalState();
      server.shutdown();
      try {
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
          server.shutdownNow();
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
        Thread.currentThread().interrupt();
      }
      for (AutoCloseable resource : resources) {
        try {
          resource.close();
        } catch (Exception e) {
          log.warn("event=grpc_resource_close_failed error=\"{}\"", e.toString());
        }
      }
    }
  }

  /** Binds {@code port} on all interfaces (0 picks a free one) and starts serving plaintext. */
  public static Running start(int port, MeterRegistry registry, BindableService... services) {
    return start(new InetSocketAddress(port), registry, ServerTls.PLAINTEXT, services);
  }

  public static Running start(
      InetSocketAddress address, MeterRegistry registry, ServerTls tls, BindableService... services) {
    return start(address, registry, tls, null, services);
  }

  /**
   * As {@link #start(InetSocketAddress, MeterRegistry, ServerTls, BindableService...)}, running calls
   * on {@code executor} instead of gRPC's shared thread pool (null: that pool). Guava's
   * {@code MoreExecutors.directExecutor()} runs them on the network thread that read them — only for
   * services whose calls never block.
   */
  public static Running start(InetSocketAddress address, MeterRegistry registry, ServerTls tls,
      Executor executor, BindableService... services) {
    HealthStatusManager health = new HealthStatusManager();
    MetricCollectingServerInterceptor metrics = new MetricCollectingServerInterceptor(registry);
    List<AutoCloseable> resources = new ArrayList<>();
    NettyServerBuilder builder;
    if (tls instanceof ServerTls.MutualTls mtls) {
      ScheduledExecutorService reloader = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "grpc-tls-reload");
        t.setDaemon(true);
        return t;
      });
      resources.add(reloader::shutdownNow);
      builder = NettyServerBuilder.forAddress(address, credentials(mtls.files(), reloader, resources));
    } else {
      builder = NettyServerBuilder.forAddress(address);
    }
    if (executor != null) {
      builder.executor(executor);
    }
    for (BindableService service : services) {
      builder.addService(ServerInterceptors.intercept(service, metrics, PeerIdentity.INTERCEPTOR));
    }
    builder.addService(health.getHealthService());
    builder.addService(ProtoReflectionService.newInstance());
    try {
      Server server = builder.build().start();
      for (BindableService service : services) {
        health.setStatus(service.bindService().getServiceDescriptor().getName(), ServingStatus.SERVING);
      }
      health.setStatus("", ServingStatus.SERVING);
      log.info("event=grpc_listening port={} services={} tls={}", server.getPort(), services.length,
          tls instanceof ServerTls.MutualTls ? "mutual" : "off");
      return new Running(server, health, resources);
    } catch (IOException e) {
      resources.forEach(GrpcServers::closeQuietly);
      throw new UncheckedIOException("cannot bind gRPC on " + address, e);
    }
  }

  /**
   * Server credentials presenting {@code files}' certificate and requiring a client certificate
   * of its CA, both re-read from the files every {@link #RELOAD_PERIOD_SECONDS} s.
   */
  static TlsServerCredentials.Builder credentialsBuilder(TlsFiles files, ScheduledExecutorService reloader,
      List<AutoCloseable> resources) {
    try {
      AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
      resources.add(keys.updateIdentityCredentials(files.certificate().toFile(), files.privateKey().toFile(),
          RELOAD_PERIOD_SECONDS, TimeUnit.SECONDS, reloader)::close);
      // The CA alone decides: a client certificate has no host name to check.
      AdvancedTlsX509TrustManager trust = AdvancedTlsX509TrustManager.newBuilder()
          .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
          .build();
      resources.add(trust.updateTrustCredentials(files.trustedCa().toFile(), RELOAD_PERIOD_SECONDS,
          TimeUnit.SECONDS, reloader)::close);
      return TlsServerCredentials.newBuilder()
          .keyManager(keys)
          .trustManager(trust)
          .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    } catch (IOException | GeneralSecurityException e) {
      resources.forEach(GrpcServers::closeQuietly);
      throw new IllegalArgumentException("cannot load TLS files (certificate " + files.certificate() + ", key "
          + files.privateKey() + ", CA " + files.trustedCa() + "): " + e.getMessage(), e);
    }
  }

  private static io.grpc.ServerCredentials credentials(TlsFiles files, ScheduledExecutorService reloader,
      List<AutoCloseable> resources) {
    return credentialsBuilder(files, reloader, resources).build();
  }

  private static void closeQuietly(AutoCloseable resource) {
    try {
      resource.close();
    } catch (Exception e) {
      // best effort
    }
  }
}
