package io.voyager.bdk.samplebook;

import io.voyager.bdk.support.JdkHttpServers;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running sample book backend: the book that webhooks reach in the local stack and in tests.
 * See {@link SampleBookHandler} for its endpoints. {@link #close()} stops it.
 */
public final class SampleBook implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SampleBook.class);

  /** How many received webhooks a sample book remembers unless told otherwise. */
  public static final int DEFAULT_HISTORY = 100;

  private final String name;
  private final HttpServer server;
  private final ExecutorService executor;
  private final ReceivedHistory history;

  private SampleBook(String name, HttpServer server, ExecutorService executor, ReceivedHistory history) {
    this.name = name;
    this.server = server;
    this.executor = executor;
    this.history = history;
  }

  /** Starts a sample book named {@code name} on {@code 127.0.0.1:port} (0 picks a free port). */
  public static SampleBook start(int port, String name) {
    return start("127.0.0.1", port, name, DEFAULT_HISTORY);
  }

  /** Starts a sample book on {@code host:port} remembering the last {@code history} webhooks. */
  public static SampleBook start(String host, int port, String name, int history) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("sample book name is required");
    }
    ReceivedHistory received = new ReceivedHistory(history);
    HttpServer server;
    JdkHttpServers.tune();
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind sample book " + name + " on " + host + ":" + port, e);
    }
    ExecutorService executor =
        Executors.newFixedThreadPool(
            2,
            runnable -> {
              Thread thread = new Thread(runnable, "sample-book-" + name);
              thread.setDaemon(true);
              return thread;
            });
    server.setExecutor(executor);
    server.createContext("/", new SampleBookHandler(name, received));
    server.start();
    SampleBook book = new SampleBook(name, server, executor, received);
    log.info("event=sample_book_listening backend={} address={}:{}", LogValues.safe(name), host, book.port());
    return book;
  }

  public String name() {
    return name;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The last webhooks received, oldest first. */
  public List<ReceivedWebhook> received() {
    return history.recent();
  }

  /** How many webhooks were received since start. */
  public long receivedTotal() {
    return history.total();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    log.info("event=sample_book_stopped backend={} port={}", LogValues.safe(name), port());
  }
}
