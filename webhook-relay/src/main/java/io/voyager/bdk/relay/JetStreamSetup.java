package io.voyager.bdk.relay;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates (or updates to the configured limits) the relay's JetStream objects, idempotently, so
 * any replica may start first:
 * <ul>
 *   <li>the work stream: {@code bdk.webhooks.>}, file storage, work-queue retention (a message
 *       leaves when a worker acknowledges it), duplicate window keyed by {@code Nats-Msg-Id};</li>
 *   <li>its durable pull consumer, explicit acks, no server-side delivery limit (the relay counts
 *       attempts itself: {@link DeliveryWorkers});</li>
 *   <li>the dead-letter stream: {@code bdk.dead.>}, file storage, kept for replay;</li>
 *   <li>the key-value bucket of delivery records, and the one of ordered endpoints' lines
 *       ({@link OrderedLeases}).</li>
 * </ul>
 */
public final class JetStreamSetup {
  private static final Logger log = LoggerFactory.getLogger(JetStreamSetup.class);
  private static final int STREAM_NOT_FOUND = 10059;

  private JetStreamSetup() {}

  public static void ensure(Connection connection, QueueSettings q, Duration ackWait, int maxAckPending)
      throws IOException, JetStreamApiException {
    JetStreamManagement jsm = connection.jetStreamManagement();
    ensureStream(jsm, StreamConfiguration.builder()
        .name(q.workStream())
        .description("BDK webhooks accepted for queued delivery (webhook-relay)")
        .subjects(WebhookEnvelope.SUBJECT_PREFIX + ">")
        .storageType(StorageType.File)
        .retentionPolicy(RetentionPolicy.WorkQueue)
        .replicas(q.replicas())
        .duplicateWindow(q.duplicateWindow())
        .maximumMessageSize((int) Math.min(Integer.MAX_VALUE, q.maxMessageBytes()))
        .maxBytes(q.queueMaxBytes())
        .discardPolicy(DiscardPolicy.New)
        .build());
    ensureStream(jsm, StreamConfiguration.builder()
        .name(q.deadLetterStream())
        .description("BDK webhooks that could not be delivered, kept for replay (webhook-relay)")
        .subjects(QueueSettings.DEAD_SUBJECT_PREFIX + ">")
        .storageType(StorageType.File)
        .retentionPolicy(RetentionPolicy.Limits)
        .replicas(q.replicas())
        .duplicateWindow(q.duplicateWindow())
        .maxAge(q.deadLetterMaxAge())
        .maxBytes(q.deadLetterMaxBytes())
        .discardPolicy(DiscardPolicy.Old)
        .build());
    jsm.addOrUpdateConsumer(q.workStream(), ConsumerConfiguration.builder()
        .durable(q.consumer())
        .description("webhook-relay delivery workers")
        .ackPolicy(AckPolicy.Explicit)
        .deliverPolicy(DeliverPolicy.All)
        .ackWait(ackWait)
        .maxDeliver(-1)
        .maxAckPending(maxAckPending)
        .build());
    KeyValueManagement kvm = connection.keyValueManagement();
    KeyValueConfiguration bucket = KeyValueConfiguration.builder()
        .name(q.recordsBucket())
        .description("BDK webhook delivery records (webhook-relay, bdkctl webhook deliveries)")
        .storageType(StorageType.File)
        .replicas(q.replicas())
        .maxHistoryPerKey(1)
        .ttl(q.recordTtl())
        .maxBucketSize(q.recordsMaxBytes())
        .build();
    ensureBucket(kvm, bucket);
    // per-key TTLs (nats-server >= 2.11): a line held by a relay that died frees itself
    ensureBucket(kvm, KeyValueConfiguration.builder()
        .name(q.leasesBucket())
        .description("Which webhook holds each ordered endpoint's line (webhook-relay)")
        .storageType(StorageType.File)
        .replicas(q.replicas())
        .maxHistoryPerKey(1)
        .limitMarker(Duration.ofSeconds(1))
        .build());
    log.info("event=jetstream_ready work_stream={} dead_letter_stream={} consumer={} bucket={} replicas={}",
        q.workStream(), q.deadLetterStream(), q.consumer(), q.recordsBucket(), q.replicas());
  }

  private static void ensureBucket(KeyValueManagement kvm, KeyValueConfiguration bucket)
      throws IOException, JetStreamApiException {
    if (kvm.getBucketNames().contains(bucket.getBucketName())) {
      kvm.update(bucket);
    } else {
      kvm.create(bucket);
    }
  }

  private static void ensureStream(JetStreamManagement jsm, StreamConfiguration config)
      throws IOException, JetStreamApiException {
    try {
      jsm.getStreamInfo(config.getName());
      jsm.updateStream(config);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
        throw e;
      }
      jsm.addStream(config);
    }
  }
}
