package io.voyager.bdk.relay;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.NatsMessage;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes one webhook to the work stream and waits for JetStream's acknowledgement: only then is
 * the webhook stored (on a quorum of replicas when R3). Sizes are checked first, so a message the
 * stream would refuse is refused here before anything is claimed.
 */
public final class WebhookPublisher {
  /** JetStream's "message size exceeds maximum allowed". */
  private static final int MESSAGE_TOO_LARGE = 10054;
  private final Connection connection;
  private final JetStream jetStream;
  private final QueueSettings queue;
  private final Duration timeout;

  public WebhookPublisher(Connection connection, QueueSettings queue, Duration timeout) throws java.io.IOException {
    this.connection = connection;
    this.jetStream = connection.jetStream();
    this.queue = queue;
    this.timeout = timeout;
  }

  /** The outcome of one publish. */
  public sealed interface Result {
    record Stored(long sequence, boolean duplicate) implements Result {}

    record TooLarge(long bytes, long limit) implements Result {}

    record Failed(String reason) implements Result {}
  }

  /** The largest message the stream and the server both take. */
  public long limit() {
    long serverMax = connection.getServerInfo() == null ? Long.MAX_VALUE : connection.getServerInfo().getMaxPayload();
    return Math.min(queue.maxMessageBytes(), serverMax);
  }

  public Result publish(WebhookEnvelope webhook) {
    NatsMessage message = webhook.toMessage();
    long bytes = (long) message.getHeaders().serializedLength() + message.getData().length;
    long limit = limit();
    if (bytes > limit) {
      return new Result.TooLarge(bytes, limit);
    }
    try {
      PublishAck ack = jetStream.publishAsync(message, PublishOptions.builder()
              .messageId(webhook.webhookId())
              .expectedStream(queue.workStream())
              .build())
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new Result.Stored(ack.getSeqno(), ack.isDuplicate());
    } catch (TimeoutException e) {
      return new Result.Failed("no acknowledgement from JetStream within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof io.nats.client.JetStreamApiException api && api.getApiErrorCode() == MESSAGE_TOO_LARGE) {
        return new Result.TooLarge(bytes, limit); // the stream's own limit is lower than this relay was told
      }
      return new Result.Failed(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result.Failed("interrupted");
    } catch (RuntimeException e) {
      return new Result.Failed(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
