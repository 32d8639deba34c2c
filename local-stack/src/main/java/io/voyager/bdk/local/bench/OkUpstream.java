package io.voyager.bdk.local.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP server answering every request 200 {@code ok} (its body read and dropped): the
 * one upstream of every synthetic book in a benchmark that sends real webhooks through Envoy.
 * Its threads are named {@code upstream-N}.
 */
final class OkUpstream implements AutoCloseable {
  private static final byte[] OK = "ok".getBytes(StandardCharsets.US_ASCII);

  private final HttpServer server;
  private final ExecutorService threads;

  private OkUpstream(HttpServer server, ExecutorService threads) {
    this.server = server;
    this.threads = threads;
  }

  /** Started on 127.0.0.1, a free port, {@code threads} handler threads. */
  static OkUpstream start(int threads) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    AtomicInteger n = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads, task -> {
      Thread thread = new Thread(task, "upstream-" + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(pool);
    server.createContext("/", exchange -> {
      try (InputStream body = exchange.getRequestBody()) {
        body.transferTo(java.io.OutputStream.nullOutputStream());
      }
      exchange.sendResponseHeaders(200, OK.length);
      exchange.getResponseBody().write(OK);
      exchange.close();
    });
    server.start();
    return new OkUpstream(server, pool);
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

}
