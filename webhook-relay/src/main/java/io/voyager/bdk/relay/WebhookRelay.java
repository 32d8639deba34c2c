package io.voyager.bdk.relay;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.voyager.bdk.support.AdminServer;
import io.voyager.bdk.support.Closer;
import io.voyager.bdk.support.JdkHttpServers;
import io.voyager.bdk.support.tls.JdkTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running webhook relay: the accept endpoint, the delivery workers and the queue sampler, on one
 * NATS connection. {@link #close()} stops accepting, stops consuming (unacknowledged messages go
 * back to JetStream for another replica or the next start) and closes the connection.
 */
public final class WebhookRelay implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookRelay.class);

  private final Closer closer;
  private final int httpPort;
  private final Connection connection;
  private final CircuitBreakers breakers;

  private WebhookRelay(Closer closer, int httpPort, Connection connection, CircuitBreakers breakers) {
    this.closer = closer;
    this.httpPort = httpPort;
    this.connection = connection;
    this.breakers = breakers;
  }

  /** Where to listen and whom to talk to. */
  public record Endpoints(String natsUrl, String httpHost, int httpPort) {}

  /** Waking books that sleep when idle: the Kubernetes API their wake Leases live in, and the timings. */
  public record Wake(io.fabric8.kubernetes.client.KubernetesClient client, BookWakes.Settings settings) {}

  /**
   * Starts the relay. With {@code tls} (null: plaintext, local tools only) the accept endpoint is
   * HTTPS requiring a client certificate of the internal CA, and deliveries to an https target
   * present the relay's certificate and verify the gateway's. With {@code wake} (null: off) the
   * workers wake books that sleep when idle through their wake Leases before delivering to them.
   */
  public static WebhookRelay start(Endpoints endpoints, QueueSettings queue, AcceptSettings accept,
      DeliverySettings delivery, JdkTls tls, Wake wake, PrometheusMeterRegistry registry, Clock clock) {
    Closer closer = new Closer();
    try {
      AtomicReference<Runnable> onReconnect = new AtomicReference<>();
      Connection connection = connect(endpoints.natsUrl(), () -> {
        Runnable hook = onReconnect.get();
        if (hook != null) {
          hook.run();
        }
      });
      closer.register(connection::close);
      JetStreamSetup.ensure(connection, queue, delivery.ackWait(), delivery.maxInFlight());
      CircuitBreakers breakers = new CircuitBreakers(delivery.breakerFailures(), delivery.breakerOpenFor(),
          delivery.breakerMaxOpenFor());
      RelayMetrics metrics = new RelayMetrics(registry, breakers, clock);
      DeadLetters deadLetters = new DeadLetters(connection, queue, accept.publishTimeout());
      BookWakes wakes = wake == null ? null : closer.register(new BookWakes(wake.client(), wake.settings(), registry, clock));
      DeliveryWorkers workers = closer.register(new DeliveryWorkers(connection, queue, delivery,
          new DeliveryRecords(connection, queue), deadLetters, metrics, breakers,
          tls == null ? null : tls.clientContext(), wakes, clock));
      workers.start();
      onReconnect.set(workers::restartAfterReconnect);
      QueueSampler sampler = closer.register(new QueueSampler(connection, queue, metrics, clock));
      sampler.start(Duration.ofSeconds(5));

      JdkHttpServers.tune();
      HttpServer server;
      if (tls == null) {
        server = HttpServer.create(new InetSocketAddress(endpoints.httpHost(), endpoints.httpPort()), 0);
      } else {
        HttpsServer https = HttpsServer.create(new InetSocketAddress(endpoints.httpHost(), endpoints.httpPort()), 0);
        https.setHttpsConfigurator(tls.serverConfigurator());
        server = https;
      }
      ExecutorService httpThreads = Executors.newFixedThreadPool(16, runnable -> {
        Thread thread = new Thread(runnable, "relay-accept");
        thread.setDaemon(true);
        return thread;
      });
      server.setExecutor(httpThreads);
      server.createContext("/", new AcceptHandler(new WebhookPublisher(connection, queue, accept.publishTimeout()),
          accept, metrics, clock));
      server.start();
      closer.register(() -> {
        server.stop(0);
        httpThreads.shutdownNow();
      });
      int port = server.getAddress().getPort();
      log.info("event=relay_listening address={}:{} tls={} nats={} delivery_url={} wake_books={}", endpoints.httpHost(), port,
          tls == null ? "off" : "mutual", endpoints.natsUrl(), delivery.target().template(), wake == null ? "off" : "on");
      return new WebhookRelay(closer, port, connection, breakers);
    } catch (IOException e) {
      closer.close();
      throw new UncheckedIOException("cannot start the webhook relay: " + e.getMessage(), e);
    } catch (Exception e) {
      closer.close();
      throw e instanceof RuntimeException r ? r : new IllegalStateException("cannot start the webhook relay: " + e, e);
    }
  }

  /** Connects and keeps reconnecting for ever (a restarted nats-server is picked up again). */
  public static Connection connect(String url) throws IOException, InterruptedException {
    return connect(url, () -> { });
  }

  /** As {@link #connect(String)}, running {@code onReconnect} after each reconnect. */
  static Connection connect(String url, Runnable onReconnect) throws IOException, InterruptedException {
    Options options = Options.builder()
        .server(url)
        .connectionName("webhook-relay")
        .maxReconnects(-1)
        .reconnectWait(Duration.ofMillis(500))
        .connectionTimeout(Duration.ofSeconds(5))
        .errorListener(new io.nats.client.ErrorListener() {
          @Override
          public void exceptionOccurred(Connection conn, Exception exp) {
            log.warn("event=nats_error error=\"{}\"", DeadLetters.oneLine(exp.toString()));
          }

          @Override
          public void errorOccurred(Connection conn, String error) {
            log.warn("event=nats_error error=\"{}\"", DeadLetters.oneLine(error));
          }
        })
        .connectionListener((conn, event) -> {
          if (event != ConnectionListener.Events.DISCOVERED_SERVERS) {
            log.info("event=nats_connection state={}", event.name().toLowerCase());
          }
          if (event == ConnectionListener.Events.RECONNECTED) {
            onReconnect.run();
          }
        })
        .build();
    return Nats.connect(options);
  }

  /** Adds the relay's admin endpoints ({@code /debug/breakers}) to {@code admin}. */
  public void addAdminEndpoints(AdminServer admin) {
    admin.handle("/debug/breakers", exchange -> {
      try (exchange) {
        AdminServer.respond(exchange, 200, "application/json", new String(Json.write(breakers.open()),
            java.nio.charset.StandardCharsets.UTF_8));
      }
    });
  }

  public int httpPort() {
    return httpPort;
  }

  /** Ready while connected to NATS. */
  public boolean ready() {
    return connection.getStatus() == Connection.Status.CONNECTED;
  }

  @Override
  public void close() {
    closer.close();
    log.info("event=relay_stopped");
  }
}
