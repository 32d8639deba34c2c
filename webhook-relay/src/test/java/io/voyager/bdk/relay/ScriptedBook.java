package io.voyager.bdk.relay;

import com.sun.net.httpserver.HttpServer;
import io.voyager.bdk.support.LoopbackPorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP book on a loopback port that answers from a script (then its default status), records
 * every request it received, and can be stopped and started again on the same port (a book that is
 * down, then back). {@link #hold()} makes it keep requests waiting until {@link #release()}.
 */
public final class ScriptedBook implements AutoCloseable {
  /** One request as the book saw it. */
  public record Received(String path, String webhookId, String attempt, String instance, String integration, String event,
      String body) {}

  private final int port;
  private final Deque<Integer> script = new ArrayDeque<>();
  private final List<Received> received = new ArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private volatile int defaultStatus = 200;
  private volatile String retryAfter;
  private volatile long answerAfterMillis;
  private volatile CountDownLatch held;
  private HttpServer server;
  private ExecutorService executor;

  private ScriptedBook(int port) {
    this.port = port;
  }

  /**
   * A book on a free port, not started: connections are refused until {@link #start()}.
   *
   * <p>The port is taken below the kernel's ephemeral range ({@code LoopbackPorts}): while the
   * book is down its port is free, and a port the kernel hands out for a bind to port 0 (the
   * relay's admin server, another test's server) could otherwise be this one, so a "down" book
   * would answer as someone else.
   */
  public static ScriptedBook down() throws IOException {
    return new ScriptedBook(LoopbackPorts.freePort());
  }


  public static ScriptedBook up() throws IOException {
    ScriptedBook book = down();
    book.start();
    return book;
  }

  public int port() {
    return port;
  }

  public synchronized ScriptedBook answer(Integer... statuses) {
    script.addAll(List.of(statuses));
    return this;
  }

  public ScriptedBook otherwise(int status) {
    defaultStatus = status;
    return this;
  }

  public ScriptedBook retryAfter(String value) {
    retryAfter = value;
    return this;
  }

  /** Each answer comes this much later (a slow book), so overlapping deliveries would show. */
  public ScriptedBook slow(long millis) {
    answerAfterMillis = millis;
    return this;
  }

  public void hold() {
    held = new CountDownLatch(1);
  }

  public void release() {
    CountDownLatch latch = held;
    held = null;
    if (latch != null) {
      latch.countDown();
    }
  }

  public synchronized List<Received> received() {
    return List.copyOf(received);
  }

  public List<Received> receivedFor(String webhookId) {
    return received().stream().filter(r -> webhookId.equals(r.webhookId())).toList();
  }

  public int maxInFlight() {
    return maxInFlight.get();
  }

  public synchronized void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    executor = Executors.newFixedThreadPool(8);
    server.setExecutor(executor);
    server.createContext("/", exchange -> {
      try (exchange) {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
          body = in.readAllBytes();
        }
        var h = exchange.getRequestHeaders();
        synchronized (this) {
          received.add(new Received(exchange.getRequestURI().getPath(), h.getFirst("x-bdk-webhook-id"),
              h.getFirst("x-bdk-delivery-attempt"), h.getFirst("x-bdk-instance"), h.getFirst("x-bdk-integration"),
              h.getFirst("x-github-event"), new String(body)));
        }
        if (answerAfterMillis > 0) {
          try {
            Thread.sleep(answerAfterMillis); // the book's own slowness, not test synchronisation
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        CountDownLatch latch = held;
        if (latch != null) {
          try {
            latch.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        int status;
        synchronized (this) {
          status = script.isEmpty() ? defaultStatus : script.poll();
        }
        if (retryAfter != null) {
          exchange.getResponseHeaders().set("Retry-After", retryAfter);
        }
        inFlight.decrementAndGet();
        exchange.sendResponseHeaders(status, -1);
      } catch (IOException e) {
        inFlight.decrementAndGet();
      }
    });
    server.start();
  }

  public synchronized void stop() {
    if (server != null) {
      release();
      server.stop(0);
      executor.shutdownNow();
      server = null;
    }
  }

  @Override
  public void close() {
    stop();
  }
}
