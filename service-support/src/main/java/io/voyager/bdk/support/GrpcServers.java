package io.voyager.bdk.support;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
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
 */
public final class GrpcServers {
  private static final Logger log = LoggerFactory.getLogger(GrpcServers.class);

  private GrpcServers() {}

  /** A started server and the health manager that reports it. */
  public record Running(Server server, HealthStatusManager health) implements AutoCloseable {
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
    }
  }

  /** Binds {@code port} on all interfaces (0 picks a free one) and starts serving. */
  public static Running start(int port, MeterRegistry registry, BindableService... services) {
    return start(new InetSocketAddress(port), registry, services);
  }

  public static Running start(
      InetSocketAddress address, MeterRegistry registry, BindableService... services) {
    HealthStatusManager health = new HealthStatusManager();
    MetricCollectingServerInterceptor metrics = new MetricCollectingServerInterceptor(registry);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address);
    for (BindableService service : services) {
      builder.addService(ServerInterceptors.intercept(service, metrics));
    }
    builder.addService(health.getHealthService());
    builder.addService(ProtoReflectionService.newInstance());
    try {
      Server server = builder.build().start();
      for (BindableService service : services) {
        health.setStatus(service.bindService().getServiceDescriptor().getName(), ServingStatus.SERVING);
      }
      health.setStatus("", ServingStatus.SERVING);
      log.info("event=grpc_listening port={} services={}", server.getPort(), services.length);
      return new Running(server, health);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind gRPC on " + address, e);
    }
  }
}
