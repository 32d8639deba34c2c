package io.voyager.bdk.extauthz.shared;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.KeyValueOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ext-authz's connection to NATS and its two key-value buckets ({@link SharedStateSettings#REPLAY_BUCKET},
 * {@link SharedStateSettings#RATE_LIMIT_BUCKET}), file storage, one revision per key, per-key TTLs
 * allowed (nats-server &gt;= 2.11; the pinned one is 2.15).
 *
 * <p>ext-authz starts whether NATS is up or not (the connection keeps reconnecting for ever): the
 * buckets are created (or updated to the configured limits, idempotently, whichever replica comes
 * first) on first use, and every read or write that fails or takes longer than the settings'
 * timeout throws {@link SharedStateUnavailable}, which the check answers with 503. Nothing is
 * buffered while disconnected (reconnect buffer 0): a write either reaches JetStream or fails.
 */
public final class SharedState implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SharedState.class);

  private final SharedStateSettings settings;
  private final Connection connection;
  private final KeyValueOptions kvOptions;
  private final JetStreamOptions jsOptions;
  private final LongAdder failures = new LongAdder();
  private volatile Buckets buckets;
  /** After a failed creation, no new attempt before this (System.nanoTime): a failing NATS is not asked on every check. */
  private long nextAttemptNanos;
  private Exception lastFailure;
  static final Duration RETRY_CREATE = Duration.ofSeconds(1);

  /** The buckets and the JetStream context, once they are known to exist. */
  public record Buckets(KeyValue replay, KeyValue rateLimit, JetStream jetStream, JetStreamManagement management, Connection connection) {}

  private SharedState(SharedStateSettings settings, Connection connection) {
    this.settings = settings;
    this.connection = connection;
    this.jsOptions = JetStreamOptions.builder().requestTimeout(settings.timeout()).build();
    this.kvOptions = KeyValueOptions.builder().jetStreamOptions(jsOptions).build();
  }

  /** Connects (in the background when NATS is not reachable yet) and returns at once. */
  public static SharedState connect(SharedStateSettings settings) {
    Options options = Options.builder()
        .server(settings.natsUrl())
        .connectionName("ext-authz")
        .maxReconnects(-1)
        .reconnectWait(Duration.ofMillis(500))
        .connectionTimeout(Duration.ofSeconds(5))
        .reconnectBufferSize(0)
        .errorListener(new io.nats.client.ErrorListener() {
          @Override
          public void exceptionOccurred(Connection conn, Exception exp) {
            log.warn("event=nats_error error=\"{}\"", oneLine(exp.toString()));
          }

          @Override
          public void errorOccurred(Connection conn, String error) {
            log.warn("event=nats_error error=\"{}\"", oneLine(error));
          }
        })
        .connectionListener((conn, event) -> {
          if (event != ConnectionListener.Events.DISCOVERED_SERVERS) {
            log.info("event=nats_connection state={}", event.name().toLowerCase(Locale.ROOT));
          }
        })
        .build();
    try {
      return new SharedState(settings, Nats.connectReconnectOnConnect(options));
    } catch (IOException e) {
      throw new IllegalArgumentException("--nats-url " + settings.natsUrl() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while connecting to NATS", e);
    }
  }

  public SharedStateSettings settings() {
    return settings;
  }

  /** The buckets, created on first use; {@link SharedStateUnavailable} when NATS cannot be reached. */
  public Buckets buckets() {
    Buckets b = buckets;
    return b != null ? b : ensure();
  }

  /** Counts a failed read or write (the metric {@code bdk_extauthz_state_failures_total}) and returns the exception to throw. */
  public SharedStateUnavailable unavailable(String what, Exception cause) {
    failures.increment();
    if (cause instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    log.warn("event=shared_state_unavailable op={} nats={} error=\"{}\"", what, connection.getStatus().name().toLowerCase(Locale.ROOT),
        oneLine(cause.toString()));
    return new SharedStateUnavailable("replay and rate-limit state (NATS JetStream) unavailable: " + what, cause);
  }

  /** Messages this connection sent to NATS since it was made (requests and publishes). */
  public long messagesSent() {
    return connection.getStatistics().getOutMsgs();
  }

  /** Reads and writes that failed since start. */
  public long failures() {
    return failures.sum();
  }

  public boolean connected() {
    return connection.getStatus() == Connection.Status.CONNECTED;
  }

  private synchronized Buckets ensure() {
    if (buckets != null) {
      return buckets;
    }
    if (connection.getStatus() != Connection.Status.CONNECTED) {
      throw unavailable("connect", new IOException("not connected to " + settings.natsUrl() + " (" + connection.getStatus() + ")"));
    }
    if (lastFailure != null && System.nanoTime() - nextAttemptNanos < 0) {
      throw unavailable("create_buckets", lastFailure);
    }
    try {
      KeyValueManagement kvm = connection.keyValueManagement(kvOptions);
      ensureBucket(kvm, KeyValueConfiguration.builder()
          .name(SharedStateSettings.REPLAY_BUCKET)
          .description("Webhook deliveries ext-authz accepted, by digest, for their replay window (per-key TTL)")
          .storageType(StorageType.File)
          .replicas(settings.replicas())
          .maxHistoryPerKey(1)
          .maxBucketSize(settings.replayMaxBytes())
          .limitMarker(Duration.ofSeconds(1))
          .build());
      ensureBucket(kvm, KeyValueConfiguration.builder()
          .name(SharedStateSettings.RATE_LIMIT_BUCKET)
          .description("Webhook endpoints' token buckets, shared by ext-authz replicas (a key leaves when its bucket is full)")
          .storageType(StorageType.File)
          .replicas(settings.replicas())
          .maxHistoryPerKey(1)
          .maxBucketSize(settings.rateLimitMaxBytes())
          .limitMarker(Duration.ofSeconds(1))
          .build());
      Buckets b = new Buckets(connection.keyValue(SharedStateSettings.REPLAY_BUCKET, kvOptions),
          connection.keyValue(SharedStateSettings.RATE_LIMIT_BUCKET, kvOptions), connection.jetStream(jsOptions),
          connection.jetStreamManagement(jsOptions), connection);
      buckets = b;
      log.info("event=shared_state_ready nats={} buckets={},{} replicas={}", settings.natsUrl(),
          SharedStateSettings.REPLAY_BUCKET, SharedStateSettings.RATE_LIMIT_BUCKET, settings.replicas());
      return b;
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      lastFailure = e;
      nextAttemptNanos = System.nanoTime() + RETRY_CREATE.toNanos();
      throw unavailable("create_buckets", e);
    }
  }

  private static void ensureBucket(KeyValueManagement kvm, KeyValueConfiguration bucket) throws IOException, JetStreamApiException {
    if (kvm.getBucketNames().contains(bucket.getBucketName())) {
      kvm.update(bucket);
    } else {
      try {
        kvm.create(bucket);
      } catch (JetStreamApiException e) {
        if (!kvm.getBucketNames().contains(bucket.getBucketName())) {
          throw e;
        }
        kvm.update(bucket); // another replica created it meanwhile
      }
    }
  }

  static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("[\\r\\n\"]+", " ");
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
