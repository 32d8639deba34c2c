package io.voyager.bdk.library;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.util.Durations;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Nats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Options;
import io.voyager.bdk.library.v1.WebhookDeliverySummary;
import io.voyager.bdk.library.v1.WebhookQueueSummary;
import io.voyager.bdk.relay.QueueSettings;
import io.voyager.bdk.relay.QueueSummaries;
import io.voyager.bdk.relay.QueueSummaries.EndpointQueue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery summary of an instance's {@code queued} webhook bindings ({@link
 * WebhookDeliverySummary}), read from JetStream when an instance is read ({@link QueueSummaries}:
 * per binding, two filtered stream infos and at most two message reads), and kept for {@code ttl}
 * in a bounded cache, so instances read often cost JetStream one read per {@code ttl} and 10,000
 * instances cost at most {@code maxEntries} small entries. Nothing is written anywhere: the relay
 * keeps no summary of its own.
 *
 * <p>When NATS is not configured, not connected (the connection is made in the background and kept
 * reconnecting) or does not answer within {@code timeout}, the summary says {@code unavailable}
 * with the reason, and the instance read answers as always.
 */
final class DeliverySummaries implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeliverySummaries.class);
  static final String AVAILABLE = "available";
  static final String UNAVAILABLE = "unavailable";
  static final Duration DEFAULT_TTL = Duration.ofSeconds(5);
  static final long MAX_ENTRIES = 10_000;

  private final String url;
  private final QueueSettings queue;
  private final Duration timeout;
  private final Clock clock;
  private final AtomicReference<Connection> connection = new AtomicReference<>();
  private final AtomicReference<Connection> anyConnection = new AtomicReference<>();
  private volatile boolean closed;
  private final Cache<Key, Read> cache;
  private final Counter readsAvailable;
  private final Counter readsUnavailable;

  private record Key(String namespace, String name, List<String> integrations) {}

  /** What one read found: per integration its queue, or why nothing could be read. */
  private record Read(Instant at, List<EndpointQueue> queues, String unavailableReason) {}

  private DeliverySummaries(String url, QueueSettings queue, Duration timeout, Duration ttl, Clock clock,
      MeterRegistry registry) {
    this.url = url;
    this.readsAvailable = reads(registry, AVAILABLE);
    this.readsUnavailable = reads(registry, UNAVAILABLE);
    this.queue = queue;
    this.timeout = timeout;
    this.clock = clock;
    this.cache = Caffeine.newBuilder().maximumSize(MAX_ENTRIES).expireAfterWrite(ttl).build();
  }

  /** No NATS: every summary says unavailable. */
  static DeliverySummaries unconfigured() {
    return new DeliverySummaries(null, QueueSettings.defaults(), Duration.ofSeconds(1), DEFAULT_TTL, Clock.systemUTC(),
        new SimpleMeterRegistry());
  }

  private static Counter reads(MeterRegistry registry, String result) {
    return Counter.builder("bdk.library.delivery.summary.reads")
        .description("Delivery summaries read from JetStream (cache misses), by result: available, or unavailable (NATS not connected or not answering)")
        .tag("result", result).register(registry);
  }

  /**
   * Reads from the NATS at {@code url}, connecting in the background (the library starts and
   * answers whether NATS is up or not).
   */
  static DeliverySummaries connecting(String url, QueueSettings queue, Duration timeout, Duration ttl, Clock clock,
      MeterRegistry registry) {
    DeliverySummaries summaries = new DeliverySummaries(url, queue, timeout, ttl, clock, registry);
    Options options = Options.builder()
        .server(url)
        .connectionName("library-service")
        .maxReconnects(-1)
        .reconnectWait(Duration.ofSeconds(1))
        .connectionTimeout(timeout)
        .connectionListener((conn, event) -> {
          summaries.anyConnection.set(conn); // still trying its first connect: closed with close() too
          if (summaries.closed) {
            // not from the client's own callback thread
            CompletableFuture.runAsync(() -> closeQuietly(conn));
            return;
          }
          // a first connect that failed and was retried in the background reports RECONNECTED
          if (event == ConnectionListener.Events.CONNECTED || event == ConnectionListener.Events.RECONNECTED) {
            summaries.connection.set(conn);
          }
          if (event != ConnectionListener.Events.DISCOVERED_SERVERS) {
            log.info("event=nats_connection state={} url={}", event.name().toLowerCase(), url);
          }
        })
        .build();
    try {
      Nats.connectAsynchronously(options, true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return summaries;
  }

  /**
   * The summary of instance {@code namespace/name} (its ExternalBookDefinition) for the queued
   * bindings {@code integrations}; null when there is none.
   */
  WebhookDeliverySummary summarize(String namespace, String name, List<String> integrations) {
    if (integrations.isEmpty()) {
      return null;
    }
    Read read = cache.get(new Key(namespace, name, List.copyOf(integrations)), this::read);
    WebhookDeliverySummary.Builder b = WebhookDeliverySummary.newBuilder();
    if (read.unavailableReason() != null) {
      return b.setState(UNAVAILABLE).setUnavailableReason(read.unavailableReason()).build();
    }
    Instant now = clock.instant();
    b.setState(AVAILABLE).setReadTime(read.at().toString());
    Instant oldest = null;
    for (int i = 0; i < integrations.size(); i++) {
      EndpointQueue q = read.queues().get(i);
      WebhookQueueSummary.Builder s = WebhookQueueSummary.newBuilder()
          .setIntegration(integrations.get(i))
          .setWaitingCount(q.waiting())
          .setDeadLetteredCount(q.deadLettered());
      if (q.oldestWaitingSince() != null) {
        s.setOldestWaitingTime(q.oldestWaitingSince().toString()).setOldestWaitingAge(age(q.oldestWaitingSince(), now));
        oldest = oldest == null || q.oldestWaitingSince().isBefore(oldest) ? q.oldestWaitingSince() : oldest;
      }
      if (q.lastDeadLetter() != null) {
        QueueSummaries.LastDeadLetter last = q.lastDeadLetter();
        s.setLastDeadLetterReason(last.reason() == null ? "" : last.reason())
            .setLastDeadLetterStatus(last.lastStatus() == null ? 0 : last.lastStatus())
            .setLastDeadLetterError(last.lastError() == null ? "" : last.lastError())
            .setLastDeadLetterTime(last.deadAt() == null ? "" : last.deadAt().toString());
      }
      b.addBindings(s);
      b.setWaitingCount(b.getWaitingCount() + q.waiting()).setDeadLetteredCount(b.getDeadLetteredCount() + q.deadLettered());
    }
    if (oldest != null) {
      b.setOldestWaitingAge(age(oldest, now));
    }
    return b.build();
  }

  private static com.google.protobuf.Duration age(Instant since, Instant now) {
    return Durations.fromMillis(Math.max(0, Duration.between(since, now).toMillis()));
  }

  private Read read(Key key) {
    Instant at = clock.instant();
    if (url == null) {
      return new Read(at, List.of(), "the library has no NATS configured (--nats-url)");
    }
    Connection conn = connection.get();
    if (conn == null || conn.getStatus() != Connection.Status.CONNECTED) {
      readsUnavailable.increment();
      return new Read(at, List.of(), "NATS at " + url + " is not connected");
    }
    try {
      QueueSummaries summaries = new QueueSummaries(conn, queue, timeout);
      List<EndpointQueue> queues = new ArrayList<>();
      for (String integration : key.integrations()) {
        queues.add(summaries.read(key.namespace(), key.name(), integration));
      }
      readsAvailable.increment();
      return new Read(at, List.copyOf(queues), null);
    } catch (Exception e) {
      log.warn("event=delivery_summary_unavailable instance={}/{} error={}", key.namespace(), key.name(),
          LogValues.of(e.toString()));
      readsUnavailable.increment();
      return new Read(at, List.of(), "NATS did not answer: " + e.getClass().getSimpleName());
    }
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    connection.set(null);
    Connection conn = anyConnection.getAndSet(null);
    if (conn != null) {
      conn.close();
    }
  }

  private static void closeQuietly(Connection conn) {
    try {
      conn.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
