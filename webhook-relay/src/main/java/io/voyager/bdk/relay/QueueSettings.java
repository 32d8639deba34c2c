package io.voyager.bdk.relay;

import java.time.Duration;

/**
 * The JetStream objects the relay keeps its state in, and their limits. Every relay replica and
 * {@code bdkctl webhook …} use the same names.
 *
 * @param replicas 1 for a single nats-server, 3 for the k8s/ cluster (R3)
 * @param duplicateWindow how long a webhook id is remembered by the work stream: a second publish
 *     of the same id within it is acknowledged as a duplicate and stored once
 * @param maxMessageBytes the largest queued message (body plus headers); larger → 413
 * @param queueMaxBytes storage the work stream may use; when full, publishes fail (503)
 * @param deadLetterMaxAge how long dead letters are kept for replay
 * @param recordTtl how long a delivery record is kept after its last change
 */
public record QueueSettings(
    String workStream,
    String deadLetterStream,
    String consumer,
    String recordsBucket,
    String leasesBucket,
    int replicas,
    Duration duplicateWindow,
    long maxMessageBytes,
    long queueMaxBytes,
    long deadLetterMaxBytes,
    Duration deadLetterMaxAge,
    long recordsMaxBytes,
    Duration recordTtl) {

  public static final String DEAD_SUBJECT_PREFIX = "bdk.dead.";

  public QueueSettings {
    if (replicas < 1 || replicas > 5) {
      throw new IllegalArgumentException("--stream-replicas must be 1..5, got " + replicas);
    }
    if (duplicateWindow.isNegative() || duplicateWindow.isZero()) {
      throw new IllegalArgumentException("--duplicate-window must be positive, got " + duplicateWindow);
    }
    if (maxMessageBytes < 1024) {
      throw new IllegalArgumentException("--max-message-bytes must be at least 1024, got " + maxMessageBytes);
    }
  }

  /** The names and limits used unless flags say otherwise (a single local nats-server). */
  public static QueueSettings defaults() {
    return new QueueSettings("BDK_WEBHOOKS", "BDK_WEBHOOKS_DEAD", "delivery-workers", "BDK_DELIVERIES",
        "BDK_ORDERED_LEASES", 1,
        Duration.ofMinutes(10), 1024 * 1024 + 128 * 1024, 512L * 1024 * 1024, 256L * 1024 * 1024,
        Duration.ofDays(14), 128L * 1024 * 1024, Duration.ofDays(7));
  }

  public QueueSettings withReplicas(int replicas) {
    return new QueueSettings(workStream, deadLetterStream, consumer, recordsBucket, leasesBucket, replicas, duplicateWindow,
        maxMessageBytes, queueMaxBytes, deadLetterMaxBytes, deadLetterMaxAge, recordsMaxBytes, recordTtl);
  }
}
