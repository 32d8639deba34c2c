package io.voyager.bdk.relay;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.MessageTtl;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The line of an {@code ordered} endpoint across relay replicas: a key-value entry per endpoint
 * ({@code <endpoint_key>} → the work-stream sequence of the webhook that holds the line), created
 * only if absent and with a per-key TTL (nats-server ≥ 2.11), so exactly one webhook of that
 * endpoint is in flight or waiting for its retry at a time, whichever replica JetStream hands it
 * to, and a line held by a relay that died frees itself when its TTL runs out.
 *
 * <p>{@link EndpointLanes} keeps the same rule inside one relay without a round trip; this adds the
 * other replicas. A lease that cannot be read or written (NATS trouble) counts as busy: the webhook
 * waits, it is not delivered out of line.
 */
final class OrderedLeases {
  private static final Logger log = LoggerFactory.getLogger(OrderedLeases.class);

  private final KeyValue bucket;
  private final Duration holdFor;

  /** {@code holdFor}: how long a line is held without news (at least one attempt's ack wait). */
  OrderedLeases(Connection connection, QueueSettings queue, Duration holdFor) throws java.io.IOException {
    this.bucket = connection.keyValue(queue.leasesBucket());
    this.holdFor = holdFor;
  }

  /** True when {@code sequence} holds (or now took) the line of {@code endpointKey}. */
  boolean acquire(String endpointKey, long sequence) {
    try {
      try {
        bucket.create(endpointKey, Long.toString(sequence).getBytes(), ttl(holdFor));
        return true;
      } catch (JetStreamApiException exists) {
        KeyValueEntry entry = bucket.get(endpointKey);
        if (entry == null || entry.getOperation() != KeyValueOperation.PUT) {
          bucket.create(endpointKey, Long.toString(sequence).getBytes(), ttl(holdFor));
          return true;
        }
        return Long.toString(sequence).equals(entry.getValueAsString());
      }
    } catch (Exception e) {
      log.debug("event=ordered_lease_busy endpoint_key={} seq={} error=\"{}\"", endpointKey, sequence, e.toString());
      return false;
    }
  }

  /** {@code sequence} keeps the line while it waits {@code retryIn} for its next attempt. */
  void hold(String endpointKey, long sequence, Duration retryIn) {
    try {
      KeyValueEntry entry = bucket.get(endpointKey);
      if (entry != null && Long.toString(sequence).equals(entry.getValueAsString())) {
        bucket.purge(endpointKey, entry.getRevision(), ttl(Duration.ofSeconds(1)));
        bucket.create(endpointKey, Long.toString(sequence).getBytes(), ttl(retryIn.plus(holdFor)));
      }
    } catch (Exception e) {
      log.warn("event=ordered_lease_hold_failed endpoint_key={} seq={} error=\"{}\"", endpointKey, sequence,
          DeadLetters.oneLine(e.toString()));
    }
  }

  /** {@code sequence} is done (delivered or dead-lettered): the next webhook of the endpoint may go. */
  void release(String endpointKey, long sequence) {
    try {
      KeyValueEntry entry = bucket.get(endpointKey);
      if (entry != null && Long.toString(sequence).equals(entry.getValueAsString())) {
        bucket.purge(endpointKey, entry.getRevision(), ttl(Duration.ofSeconds(1)));
      }
    } catch (Exception e) {
      log.warn("event=ordered_lease_release_failed endpoint_key={} seq={} error=\"{}\"", endpointKey, sequence,
          DeadLetters.oneLine(e.toString()));
    }
  }

  private static MessageTtl ttl(Duration duration) {
    return MessageTtl.seconds((int) Math.max(1, Math.min(Integer.MAX_VALUE, duration.toSeconds())));
  }
}
