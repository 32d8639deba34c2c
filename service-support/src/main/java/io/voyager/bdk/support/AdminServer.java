package io.voyager.bdk.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP endpoint every service exposes: {@code /healthz} (the process is alive),
 * {@code /readyz} (it can serve), {@code /metrics} (Prometheus text), plus service-specific
 * handlers added with {@link #handle}.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

  private final HttpServer server;
  private final ExecutorService executor;

  private AdminServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Binds {@code host:port} (port 0 picks a free one) and starts serving. */
  public static AdminServer start(
      String host, int port, PrometheusMeterRegistry registry, BooleanSupplier ready) {
    JdkHttpServers.tune();
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
      ExecutorService executor = Executors.newFixedThreadPool(2, daemonThreads("admin-http"));
      server.setExecutor(executor);
      server.createContext("/healthz", exchange -> respond(exchange, 200, "text/plain", "ok\n"));
      server.createContext(
          "/readyz",
          exchange -> {
            boolean isReady = ready.getAsBoolean();
            respond(exchange, isReady ? 200 : 503, "text/plain", isReady ? "ready\n" : "not ready\n");
          });
      server.createContext(
          "/metrics",
          exchange ->
              respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
      server.start();
      AdminServer admin = new AdminServer(server, executor);
      log.info("event=admin_listening address={}:{}", host, admin.port());
      return admin;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind admin HTTP on " + host + ":" + port, e);
    }
  }

  /** Adds an endpoint, e.g. {@code /debug/snapshot}. */
  public AdminServer handle(String path, HttpHandler handler) {
    server.createContext(path, handler);
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Writes a complete response and closes the exchange. */
  public static void respond(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  static ThreadFactory daemonThreads(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
