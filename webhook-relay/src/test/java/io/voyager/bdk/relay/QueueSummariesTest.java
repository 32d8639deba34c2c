package io.voyager.bdk.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link QueueSummaries} against a real nats-server and relay: a webhook for a book that is down
 * waits (counted, with the time it was stored); once the book answers 400 it is a dead letter
 * (counted, with its reason and status); another endpoint's queue reads empty.
 */
class QueueSummariesTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void countsWaitingAndDeadLetteredWebhooksPerEndpoint() throws Exception {
    try (ScriptedBook book = ScriptedBook.down().otherwise(400);
        RelayHarness relay = new RelayHarness(dir, book, "--retry-schedule", "0s,200ms,200ms,200ms,200ms,200ms,200ms")) {
      QueueSummaries summaries = new QueueSummaries(relay.observer(), QueueSettings.defaults(), Duration.ofSeconds(2));
      QueueSummaries.EndpointQueue empty = summaries.read(RelayHarness.NAMESPACE, RelayHarness.NAME, RelayHarness.INTEGRATION);
      assertThat(empty).isEqualTo(new QueueSummaries.EndpointQueue(0, null, 0, null));

      Instant before = Instant.now().minusSeconds(1);
      String id = RelayHarness.newId();
      assertThat(relay.send(id, "{}").statusCode()).isEqualTo(202);
      QueueSummaries.EndpointQueue waiting = summaries.read(RelayHarness.NAMESPACE, RelayHarness.NAME, RelayHarness.INTEGRATION);
      assertThat(waiting.waiting()).isEqualTo(1);
      assertThat(waiting.oldestWaitingSince()).isAfter(before).isBefore(Instant.now().plusSeconds(1));
      assertThat(waiting.deadLettered()).isZero();
      assertThat(summaries.read(RelayHarness.NAMESPACE, RelayHarness.NAME, "other").waiting())
          .as("another endpoint's subject").isZero();

      book.start();
      await("dead-lettered").atMost(WAIT).untilAsserted(() -> {
        QueueSummaries.EndpointQueue dead = summaries.read(RelayHarness.NAMESPACE, RelayHarness.NAME, RelayHarness.INTEGRATION);
        assertThat(dead.waiting()).isZero();
        assertThat(dead.oldestWaitingSince()).isNull();
        assertThat(dead.deadLettered()).isEqualTo(1);
        assertThat(dead.lastDeadLetter().reason()).isEqualTo("client_error");
        assertThat(dead.lastDeadLetter().lastStatus()).isEqualTo(400);
        assertThat(dead.lastDeadLetter().deadAt()).isAfter(before);
      });
    }
  }
}
