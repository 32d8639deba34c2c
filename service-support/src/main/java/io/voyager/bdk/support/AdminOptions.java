package io.voyager.bdk.support;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Option;

/**
 * The {@code --admin-host} and {@code --admin-port} flags every service has (a picocli mixin; the
 * service gives its own defaults: {@code @Mixin AdminOptions admin = new AdminOptions("0.0.0.0", 50052)}).
 */
public final class AdminOptions {
  @Option(names = "--admin-host", description = "Admin HTTP bind address (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--admin-port",
      description = "Admin HTTP port: /healthz, /readyz, /metrics (default: ${DEFAULT-VALUE}; 0 picks one).")
  int port;

  public AdminOptions(String host, int port) {
    this.host = host;
    this.port = port;
  }

  /** Starts the admin HTTP server on the flags' address. */
  public AdminServer start(PrometheusMeterRegistry registry, BooleanSupplier ready) {
    return AdminServer.start(host, port, registry, ready);
  }

  public String host() {
    return host;
  }
}
