package io.voyager.bdk.support;

import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.support.tls.ServerTls;
import io.voyager.bdk.support.tls.ServerTlsOptions;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code --grpc-host} and {@code --grpc-port} flags of a gRPC service and its TLS flags
 * ({@link ServerTlsOptions}: mutual TLS unless {@code --plaintext}) — a picocli mixin; the
 * service gives its own default port: {@code @Mixin GrpcOptions grpc = new GrpcOptions(50051)}.
 */
public final class GrpcOptions {
  @Option(names = "--grpc-host", description = "gRPC bind address (default: ${DEFAULT-VALUE}).")
  String host = "0.0.0.0";

  @Option(names = "--grpc-port", description = "gRPC port (default: ${DEFAULT-VALUE}; 0 picks one).")
  int port;

  @Mixin ServerTlsOptions tlsOptions = new ServerTlsOptions();

  public GrpcOptions(int port) {
    this.port = port;
  }

  /**
   * The server's TLS as the flags say.
   *
   * @throws IllegalArgumentException naming the flag that is missing or wrong
   */
  public ServerTls tls() {
    return tlsOptions.tls();
  }

  /** Starts the gRPC server on the flags' address (health, reflection and metrics included). */
  public GrpcServers.Running start(MeterRegistry registry, BindableService... services) {
    return start(registry, tls(), services);
  }

  /** As {@link #start(MeterRegistry, BindableService...)} with {@code tls} checked beforehand ({@link #tls()}). */
  public GrpcServers.Running start(MeterRegistry registry, ServerTls tls, BindableService... services) {
    return GrpcServers.start(new InetSocketAddress(host, port), registry, tls, services);
  }

  /** As above, running calls on {@code executor} (see {@link GrpcServers#start(InetSocketAddress, MeterRegistry, ServerTls, java.util.concurrent.Executor, BindableService...)}). */
  public GrpcServers.Running start(MeterRegistry registry, ServerTls tls, Executor executor,
      BindableService... services) {
    return GrpcServers.start(new InetSocketAddress(host, port), registry, tls, executor, services);
  }

  public String host() {
    return host;
  }
}
