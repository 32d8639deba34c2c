package io.voyager.bdk.support;

import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import picocli.CommandLine.Option;

/**
 * The {@code --grpc-host} and {@code --grpc-port} flags of a gRPC service (a picocli mixin; the
 * service gives its own default port: {@code @Mixin GrpcOptions grpc = new GrpcOptions(50051)}).
 */
public final class GrpcOptions {
  @Option(names = "--grpc-host", description = "gRPC bind address (default: ${DEFAULT-VALUE}).")
  String host = "0.0.0.0";

  @Option(names = "--grpc-port", description = "gRPC port (default: ${DEFAULT-VALUE}; 0 picks one).")
  int port;

  public GrpcOptions(int port) {
    this.port = port;
  }

  /** Starts the gRPC server on the flags' address (health, reflection and metrics included). */
  public GrpcServers.Running start(MeterRegistry registry, BindableService... services) {
    return GrpcServers.start(new InetSocketAddress(host, port), registry, services);
  }

  public String host() {
    return host;
  }
}
