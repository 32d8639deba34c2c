package io.voyager.bdk.relay;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamInfoOptions;
import io.nats.client.impl.Headers;
import io.voyager.bdk.model.WebhookRoutes;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

/**
 * What waits in JetStream for one queued endpoint ({@code namespace/name/integration}), read on
 * demand: each endpoint has a subject of its own in the work stream ({@code bdk.webhooks.<key>})
 * and in the dead-letter stream ({@code bdk.dead.<key>}), so a stream info filtered to that
 * subject counts its messages without reading them, and only the oldest waiting message and the
 * newest dead letter are fetched (at most four JetStream API calls per endpoint, whatever the
 * queue's size). Read-only: shared by the library's instance read and {@code bdkctl webhook queue}.
 */
public final class QueueSummaries {
  private static final int NO_MESSAGE_FOUND = 10037;
  private static final int STREAM_NOT_FOUND = 10059;

  private final JetStreamManagement jsm;
  private final QueueSettings queue;

  /** {@code timeout} bounds each JetStream API call. */
  public QueueSummaries(Connection connection, QueueSettings queue, Duration timeout) throws IOException {
    this.jsm = connection.jetStreamManagement(JetStreamOptions.builder().requestTimeout(timeout).build());
    this.queue = queue;
  }

  /** The newest dead letter of an endpoint: why, its last status or error, when. */
  public record LastDeadLetter(String reason, Integer lastStatus, String lastError, Instant deadAt) {}

  /**
   * One endpoint's queue.
   *
   * @param waiting webhooks accepted and not yet delivered or dead-lettered (an attempt in flight
   *     included)
   * @param oldestWaitingSince when the oldest of them was stored (null when none waits)
   * @param deadLettered dead letters kept for replay
   * @param lastDeadLetter the newest of them (null when none)
   */
  public record EndpointQueue(long waiting, Instant oldestWaitingSince, long deadLettered,
      LastDeadLetter lastDeadLetter) {}

  public static String workSubject(String namespace, String name, String integration) {
    return WebhookEnvelope.SUBJECT_PREFIX + WebhookRoutes.endpointKey(namespace, name, integration);
  }

  public static String deadSubject(String namespace, String name, String integration) {
    return QueueSettings.DEAD_SUBJECT_PREFIX + WebhookRoutes.endpointKey(namespace, name, integration);
  }

  /**
   * Reads endpoint {@code namespace/name/integration}'s queue. Streams the relay has not created
   * yet read as empty.
   *
   * @throws IOException when JetStream does not answer or refuses
   */
  public EndpointQueue read(String namespace, String name, String integration) throws IOException {
    String work = workSubject(namespace, name, integration);
    String dead = deadSubject(namespace, name, integration);
    long waiting = count(queue.workStream(), work);
    Instant oldest = null;
    if (waiting > 0) {
      MessageInfo first = message(true, queue.workStream(), work);
      oldest = first == null || first.getTime() == null ? null : first.getTime().toInstant();
      if (first == null) {
        waiting = 0; // delivered between the two reads
      }
    }
    long deadLettered = count(queue.deadLetterStream(), dead);
    LastDeadLetter last = null;
    if (deadLettered > 0) {
      MessageInfo newest = message(false, queue.deadLetterStream(), dead);
      if (newest != null) {
        last = lastDeadLetter(newest);
      }
    }
    return new EndpointQueue(waiting, oldest, deadLettered, last);
  }

  private long count(String stream, String subject) throws IOException {
    try {
      Long count = jsm.getStreamInfo(stream, StreamInfoOptions.filterSubjects(subject)).getStreamState()
          .getSubjectMap().get(subject);
      return count == null ? 0 : count;
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
        return 0;
      }
      throw new IOException(e.getMessage(), e);
    }
  }

  private MessageInfo message(boolean first, String stream, String subject) throws IOException {
    try {
      return first ? jsm.getFirstMessage(stream, subject) : jsm.getLastMessage(stream, subject);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == NO_MESSAGE_FOUND || e.getApiErrorCode() == STREAM_NOT_FOUND) {
        return null;
      }
      throw new IOException(e.getMessage(), e);
    }
  }

  private static LastDeadLetter lastDeadLetter(MessageInfo info) {
    Headers h = info.getHeaders();
    String status = h == null ? null : h.getFirst(DeadLetters.LAST_STATUS);
    String deadAt = h == null ? null : h.getFirst(DeadLetters.DEAD_AT);
    Integer lastStatus = null;
    try {
      lastStatus = status == null ? null : Integer.valueOf(status);
    } catch (NumberFormatException e) {
      // a foreign message: shown without a status
    }
    Instant at = info.getTime() == null ? null : info.getTime().toInstant();
    try {
      at = deadAt == null ? at : Instant.parse(deadAt);
    } catch (java.time.format.DateTimeParseException e) {
      // keep the stored time
    }
    return new LastDeadLetter(h == null ? null : h.getFirst(DeadLetters.REASON), lastStatus,
        h == null ? null : h.getFirst(DeadLetters.LAST_ERROR), at);
  }
}
