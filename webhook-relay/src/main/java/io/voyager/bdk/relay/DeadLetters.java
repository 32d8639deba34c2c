package io.voyager.bdk.relay;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The dead-letter stream: webhooks that will not be retried any more, each with why, after how many
 * attempts and with what last status or error. A dead letter stays (for the stream's max age) until
 * it is replayed: {@link #replay} publishes it to the work stream again as a new message (same
 * webhook id to the book, attempts from zero) and then deletes it here. Shared by the relay and
 * {@code bdkctl webhook dlq}.
 */
public final class DeadLetters {
  static final String REASON = "Bdk-Dead-Reason";
  static final String ATTEMPTS = "Bdk-Attempts";
  static final String LAST_STATUS = "Bdk-Last-Status";
  static final String LAST_ERROR = "Bdk-Last-Error";
  static final String DEAD_AT = "Bdk-Dead-At";
  static final String WORK_SEQUENCE = "Bdk-Work-Seq";
  private static final int NO_MESSAGE_FOUND = 10037;

  private final JetStreamManagement jsm;
  private final JetStream jetStream;
  private final QueueSettings queue;
  private final Duration timeout;

  public DeadLetters(Connection connection, QueueSettings queue, Duration timeout) throws IOException {
    this.jsm = connection.jetStreamManagement();
    this.jetStream = connection.jetStream();
    this.queue = queue;
    this.timeout = timeout;
  }

  /** One dead letter as stored. */
  public record DeadLetter(long sequence, WebhookEnvelope webhook, String reason, int attempts, Integer lastStatus,
      String lastError, Instant deadAt) {}

  /**
   * Stores {@code webhook} (work-stream message {@code workSequence}) as dead, waiting for the
   * acknowledgement. Its message id is derived from the work sequence, so a worker that dies after
   * this and before acknowledging the original stores it only once.
   */
  public void add(WebhookEnvelope webhook, long workSequence, DeadLetterReason reason, int attempts,
      DeliveryOutcome last, Instant now) throws Exception {
    Headers headers = webhook.headers("dead-" + workSequence);
    headers.put(REASON, reason.label());
    headers.put(ATTEMPTS, Integer.toString(attempts));
    headers.put(DEAD_AT, now.toString());
    headers.put(WORK_SEQUENCE, Long.toString(workSequence));
    if (last != null && last.answered()) {
      headers.put(LAST_STATUS, Integer.toString(last.status()));
    }
    if (last != null && !last.answered()) {
      headers.put(LAST_ERROR, oneLine(last.describe()));
    }
    NatsMessage message = NatsMessage.builder()
        .subject(QueueSettings.DEAD_SUBJECT_PREFIX + webhook.endpointKey())
        .headers(headers)
        .data(webhook.body())
        .build();
    jetStream.publishAsync(message, PublishOptions.builder()
            .messageId("dead-" + workSequence).expectedStream(queue.deadLetterStream()).build())
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Dead letters oldest first: those stored at or after {@code since} (null: all), only webhook
   * {@code webhookId} when given, only instance {@code namespace/name} when given, at most
   * {@code limit}.
   */
  public List<DeadLetter> list(Instant since, String webhookId, String instance, int limit) throws IOException {
    List<DeadLetter> found = new ArrayList<>();
    String all = QueueSettings.DEAD_SUBJECT_PREFIX + ">";
    try {
      MessageInfo next = since == null ? jsm.getFirstMessage(queue.deadLetterStream(), all)
          : jsm.getFirstMessage(queue.deadLetterStream(), since.atZone(ZoneOffset.UTC), all);
      while (next != null && found.size() < limit) {
        DeadLetter letter = read(next);
        if ((webhookId == null || webhookId.equals(letter.webhook().webhookId()))
            && (instance == null || instance.equals(letter.webhook().instance()))) {
          found.add(letter);
        }
        next = nextAfter(next.getSeq(), all);
      }
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != NO_MESSAGE_FOUND) {
        throw new IOException(e.getMessage(), e);
      }
    }
    return found;
  }

  private MessageInfo nextAfter(long sequence, String subject) throws IOException {
    try {
      return jsm.getNextMessage(queue.deadLetterStream(), sequence + 1, subject);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
        return null;
      }
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Publishes the dead letter to the work stream again, then deletes it; returns the new work sequence. */
  public long replay(DeadLetter letter) throws Exception {
    NatsMessage message = NatsMessage.builder()
        .subject(letter.webhook().subject())
        .headers(letter.webhook().headers("replay-" + letter.sequence()))
        .data(letter.webhook().body())
        .build();
    PublishAck ack = jetStream.publishAsync(message, PublishOptions.builder()
            .messageId("replay-" + letter.sequence()).expectedStream(queue.workStream()).build())
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    try {
      jsm.deleteMessage(queue.deadLetterStream(), letter.sequence());
    } catch (JetStreamApiException e) {
      // already deleted (a concurrent replay): the duplicate window kept the republish single
    }
    return ack.getSeqno();
  }

  /** How many dead letters the stream holds. */
  public long count() throws IOException, JetStreamApiException {
    return jsm.getStreamInfo(queue.deadLetterStream()).getStreamState().getMsgCount();
  }

  private static DeadLetter read(MessageInfo info) {
    Headers h = info.getHeaders();
    WebhookEnvelope webhook = WebhookEnvelope.from(h, info.getData());
    String status = h.getFirst(LAST_STATUS);
    String attempts = h.getFirst(ATTEMPTS);
    String deadAt = h.getFirst(DEAD_AT);
    return new DeadLetter(info.getSeq(), webhook, h.getFirst(REASON),
        attempts == null ? 0 : Integer.parseInt(attempts),
        status == null ? null : Integer.valueOf(status), h.getFirst(LAST_ERROR),
        deadAt == null ? info.getTime().toInstant() : Instant.parse(deadAt));
  }

  static String oneLine(String text) {
    String flat = text == null ? "" : text.replaceAll("[\\r\\n\\t]+", " ").replaceAll("[^\\x20-\\x7e]", "?");
    return flat.length() > 200 ? flat.substring(0, 200) : flat;
  }
}
