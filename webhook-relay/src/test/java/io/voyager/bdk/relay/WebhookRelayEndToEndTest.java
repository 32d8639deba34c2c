package io.voyager.bdk.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay against a real nats-server (JetStream, file storage) and a real HTTP book on loopback:
 * what the sender is told, what the book receives, what JetStream keeps. Schedules are short through
 * the relay's own flags; nothing sleeps to synchronise.
 */
class WebhookRelayEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void aBookThatIsDownGets202NowAndTheWebhookWhenItComesBack() throws Exception {
    try (ScriptedBook book = ScriptedBook.down();
        RelayHarness relay = new RelayHarness(dir, book, "--retry-schedule", repeat("0s", "500ms", 100))) {
      String id = RelayHarness.newId();
      HttpResponse<String> accepted = relay.send(id, "{\"n\":1}");
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
      assertThat(accepted.body()).as("the 202 is headers only").isEmpty();
      assertThat(accepted.headers().firstValue("x-bdk-webhook-id")).contains(id);
      assertThat(accepted.headers().firstValue("x-bdk-queued")).contains("true");
      assertThat(accepted.headers().firstValue("x-bdk-duplicate")).isEmpty();

      await("a failed attempt is on record").atMost(WAIT).untilAsserted(() ->
          assertThat(relay.record(id)).hasValueSatisfying(r -> {
            assertThat(r.attempts()).isGreaterThanOrEqualTo(1);
            assertThat(r.lastError()).contains("connection");
          }));
      book.start();
      await("delivered once the book is back").atMost(WAIT).untilAsserted(() ->
          assertThat(relay.record(id)).hasValueSatisfying(r -> assertThat(r.state()).isEqualTo("delivered")));
      ScriptedBook.Received got = book.receivedFor(id).get(0);
      assertThat(got.path()).isEqualTo("/hooks/customer-acme/orders-1/github");
      assertThat(got.body()).isEqualTo("{\"n\":1}");
      assertThat(got.event()).as("the sender's headers travel with it").isEqualTo("push");
      assertThat(got.instance()).isEqualTo("customer-acme/orders-1");
      assertThat(got.integration()).isEqualTo("github");
    }
  }

  @Test
  void fiveHundredTwiceThenTwoHundredIsDeliveredOnTheThirdAttemptWithOneWebhookId() throws Exception {
    try (ScriptedBook book = ScriptedBook.up().answer(500, 500, 200);
        RelayHarness relay = new RelayHarness(dir, book)) {
      String id = RelayHarness.newId();
      assertThat(relay.send(id, "{}").statusCode()).isEqualTo(202);
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(relay.record(id)).hasValueSatisfying(r -> {
            assertThat(r.state()).isEqualTo("delivered");
            assertThat(r.attempts()).isEqualTo(3);
            assertThat(r.lastStatus()).isEqualTo(200);
          }));
      assertThat(book.receivedFor(id)).extracting(ScriptedBook.Received::attempt).containsExactly("1", "2", "3");
      assertThat(book.received()).extracting(ScriptedBook.Received::webhookId).containsOnly(id);
      assertThat(relay.adminGet("/metrics"))
          .contains("bdk_relay_delivered_total{service=\"webhook-relay\"} 1.0")
          .contains("bdk_relay_retries_total{reason=\"server_error\",service=\"webhook-relay\"} 2.0");
    }
  }

  @Test
  void fourHundredIsDeadLetteredAtOnceAndAReplayDeliversItOnceTheBookIsFixed() throws Exception {
    try (ScriptedBook book = ScriptedBook.up().otherwise(400);
        RelayHarness relay = new RelayHarness(dir, book, "--retry-schedule", "0s,100ms,100ms,100ms,100ms")) {
      String id = RelayHarness.newId();
      assertThat(relay.send(id, "{\"order\":7}").statusCode()).isEqualTo(202);
      await("dead-lettered").atMost(WAIT).untilAsserted(() -> assertThat(relay.deadLettersOf(id)).hasSize(1));
      DeadLetters.DeadLetter letter = relay.deadLettersOf(id).get(0);
      assertThat(letter.reason()).isEqualTo("client_error");
      assertThat(letter.attempts()).as("at once: no retry for a 400").isEqualTo(1);
      assertThat(letter.lastStatus()).isEqualTo(400);
      assertThat(book.receivedFor(id)).hasSize(1);
      assertThat(relay.record(id)).hasValueSatisfying(r -> assertThat(r.state()).isEqualTo("dead_lettered"));

      book.otherwise(200);
      relay.deadLetters().replay(letter);
      await("replayed and delivered").atMost(WAIT).untilAsserted(() ->
          assertThat(relay.record(id)).hasValueSatisfying(r -> {
            assertThat(r.state()).isEqualTo("delivered");
            assertThat(r.attempts()).as("a replay counts its attempts afresh").isEqualTo(1);
          }));
      assertThat(book.receivedFor(id)).hasSize(2).extracting(ScriptedBook.Received::body).containsOnly("{\"order\":7}");
      assertThat(relay.deadLettersOf(id)).as("a replayed dead letter leaves the dead-letter stream").isEmpty();
    }
  }

  @Test
  void aBookThatNeverRecoversEndsInTheDeadLetterStreamWithItsLastStatus() throws Exception {
    try (ScriptedBook book = ScriptedBook.up().otherwise(503);
        RelayHarness relay = new RelayHarness(dir, book)) {
      String id = RelayHarness.newId();
      assertThat(relay.send(id, "{}").statusCode()).isEqualTo(202);
      await().atMost(WAIT).untilAsserted(() -> assertThat(relay.deadLettersOf(id)).hasSize(1));
      DeadLetters.DeadLetter letter = relay.deadLettersOf(id).get(0);
      assertThat(letter.reason()).isEqualTo("attempts_exhausted");
      assertThat(letter.attempts()).isEqualTo(3);
      assertThat(letter.lastStatus()).isEqualTo(503);
      assertThat(book.receivedFor(id)).hasSize(3);
      assertThat(relay.adminGet("/metrics"))
          .contains("bdk_relay_dead_lettered_total{reason=\"attempts_exhausted\",service=\"webhook-relay\"} 1.0");
    }
  }

  @Test
  void aDuplicateIdIsAcknowledgedAsSuchAndStoredOnce() throws Exception {
    try (ScriptedBook book = ScriptedBook.up(); RelayHarness relay = new RelayHarness(dir, book)) {
      String id = RelayHarness.newId();
      assertThat(relay.send(id, "{}").headers().firstValue("x-bdk-duplicate")).isEmpty();
      HttpResponse<String> again = relay.send(id, "{}");
      assertThat(again.statusCode()).isEqualTo(202);
      assertThat(again.headers().firstValue("x-bdk-webhook-id")).contains(id);
      assertThat(again.headers().firstValue("x-bdk-queued")).contains("true");
      assertThat(again.headers().firstValue("x-bdk-duplicate")).contains("true");
      String other = RelayHarness.newId();
      relay.send(other, "{}");
      await().atMost(WAIT).until(() -> !book.receivedFor(other).isEmpty() && !book.receivedFor(id).isEmpty());
      assertThat(book.receivedFor(id)).hasSize(1);
    }
  }

  @Test
  void tooLargeOrUnroutableRequestsAreRefusedBeforeAnythingIsQueued() throws Exception {
    try (ScriptedBook book = ScriptedBook.up();
        RelayHarness relay = new RelayHarness(dir, book, "--max-body-bytes", "1000", "--max-message-bytes", "2048")) {
      HttpResponse<String> big = relay.send(RelayHarness.newId(), "x".repeat(1001));
      assertThat(big.statusCode()).isEqualTo(413);
      assertThat(big.body()).contains("\"reason\":\"body_too_large\"").contains("at most 1000");

      HttpResponse<String> headers = relay.send(RelayHarness.newId(), "{}", "x-padding", "p".repeat(1900));
      assertThat(headers.statusCode()).as("fits the body limit, not the stream's message size").isEqualTo(413);
      assertThat(headers.body()).contains("\"reason\":\"message_too_large\"").contains("at most 2048 bytes");

      HttpResponse<String> unrouted = relay.send(null, "{}");
      assertThat(unrouted.statusCode()).isEqualTo(400);
      assertThat(unrouted.body()).contains("header x-bdk-webhook-id is missing");

      String ok = RelayHarness.newId();
      assertThat(relay.send(ok, "{}").statusCode()).isEqualTo(202);
      await().atMost(WAIT).until(() -> !book.receivedFor(ok).isEmpty());
      assertThat(book.received()).as("only the accepted one reached the book").hasSize(1);
    }
  }

  @Test
  void aPublishJetStreamDoesNotAcknowledgeIs503AndNothingIsClaimed() throws Exception {
    try (ScriptedBook book = ScriptedBook.up();
        RelayHarness relay = new RelayHarness(dir, book, "--publish-timeout", "1s")) {
      relay.nats.stop();
      String id = RelayHarness.newId();
      HttpResponse<String> refused = relay.send(id, "{}");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("retry-after")).contains("5");
      assertThat(refused.body()).contains("\"reason\":\"queue_unavailable\"").contains("nothing was kept");

      relay.nats.startAgain();
      await("the relay reconnected and takes webhooks again").atMost(WAIT).until(() -> relay.send(id, "{}").statusCode() == 202);
      await().atMost(WAIT).until(() -> !book.receivedFor(id).isEmpty());
      assertThat(book.receivedFor(id)).hasSize(1);
    }
  }

  @Test
  void aRelayStoppedMidDeliveryLosesNothingTheNextOneDeliversIt() throws Exception {
    try (ScriptedBook book = ScriptedBook.up();
        RelayHarness relay = new RelayHarness(dir, book, "--delivery-timeout", "20s", "--ack-wait", "21s")) {
      book.hold();
      String id = RelayHarness.newId();
      assertThat(relay.send(id, "{}").statusCode()).isEqualTo(202);
      await("the attempt reached the book").atMost(WAIT).until(() -> !book.receivedFor(id).isEmpty());
      relay.stopRelay(); // stops before the book answers: no verdict, no acknowledgement
      book.release();
      relay.startRelay();
      await("offered again after the ack wait and delivered by the new relay").atMost(Duration.ofSeconds(90))
          .untilAsserted(() -> assertThat(relay.record(id))
              .hasValueSatisfying(r -> assertThat(r.state()).isEqualTo("delivered")));
      assertThat(book.receivedFor(id)).hasSizeGreaterThanOrEqualTo(2)
          .extracting(ScriptedBook.Received::webhookId).containsOnly(id);
    }
  }

  @Test
  void aNatsServerRestartLosesNothingQueued() throws Exception {
    try (ScriptedBook book = ScriptedBook.down();
        RelayHarness relay = new RelayHarness(dir, book, "--retry-schedule", repeat("0s", "500ms", 100),
            "--delivery-timeout", "2s", "--ack-wait", "3s")) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String id = RelayHarness.newId();
        assertThat(relay.send(id, "{\"i\":" + i + "}").statusCode()).isEqualTo(202);
        ids.add(id);
      }
      relay.nats.kill();
      relay.nats.startAgain();
      book.start();
      await("every accepted webhook delivered after the restart").atMost(WAIT).untilAsserted(() ->
          assertThat(book.received().stream().map(ScriptedBook.Received::webhookId).distinct().toList())
              .containsExactlyInAnyOrderElementsOf(ids));
    }
  }

  @Test
  void anOrderedEndpointGetsOneDeliveryAtATimeInOrder() throws Exception {
    try (ScriptedBook book = ScriptedBook.up();
        RelayHarness relay = new RelayHarness(dir, book, "--per-endpoint-concurrency", "8")) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String id = RelayHarness.newId();
        assertThat(relay.send(id, "{}", "x-bdk-ordered", "true").statusCode()).isEqualTo(202);
        ids.add(id);
      }
      await().atMost(WAIT).until(() -> book.received().size() >= 6);
      assertThat(book.maxInFlight()).isEqualTo(1);
      assertThat(book.received()).extracting(ScriptedBook.Received::webhookId).containsExactlyElementsOf(ids);
    }
  }

  @Test
  void anOrderedEndpointGetsOneDeliveryAtATimeAcrossRelayReplicas() throws Exception {
    try (ScriptedBook book = ScriptedBook.up().slow(150);
        RelayHarness relay = new RelayHarness(dir, book, "--per-endpoint-concurrency", "8");
        Main.Running second = relay.startAnotherRelay()) {
      List<String> ordered = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String id = RelayHarness.newId();
        assertThat(relay.send(id, "{}", "x-bdk-ordered", "true").statusCode()).isEqualTo(202);
        ordered.add(id);
      }
      await().atMost(WAIT).until(() -> book.received().stream().map(ScriptedBook.Received::webhookId).distinct().count() >= 8);
      assertThat(book.maxInFlight()).as("two replicas consume, the line is shared").isEqualTo(1);
      assertThat(book.received().stream().map(ScriptedBook.Received::webhookId).distinct().toList())
          .containsExactlyInAnyOrderElementsOf(ordered);
    }
  }

  @Test
  void unorderedWebhooksOfOneEndpointGoInParallel() throws Exception {
    try (ScriptedBook book = ScriptedBook.up().slow(300);
        RelayHarness relay = new RelayHarness(dir, book, "--per-endpoint-concurrency", "4")) {
      for (int i = 0; i < 8; i++) {
        relay.send(RelayHarness.newId(), "{}");
      }
      await().atMost(WAIT).until(() -> book.received().size() >= 8);
      assertThat(book.maxInFlight()).as("the ordered test's 1 is the lanes' doing, not the book's").isBetween(2, 4);
    }
  }

  @Test
  void aFailingEndpointIsPausedByItsBreakerWhileAnotherBookIsServed() throws Exception {
    try (ScriptedBook failing = ScriptedBook.up().otherwise(500);
        RelayHarness relay = new RelayHarness(dir, failing, "--breaker-failures", "2", "--breaker-open", "1h",
            "--retry-schedule", "0s,100ms,100ms,100ms,100ms,100ms")) {
      for (int i = 0; i < 5; i++) {
        relay.send(RelayHarness.newId(), "{}");
      }
      await("the breaker opened").atMost(WAIT).until(() -> relay.adminGet("/debug/breakers").contains("customer-acme/orders-1/github"));
      int attemptsWhenOpened = failing.received().size();
      assertThat(relay.adminGet("/metrics")).contains("bdk_relay_breakers{service=\"webhook-relay\",state=\"open\"} 1.0");

      // another endpoint of the same book host, not paused: it is served while the first waits
      String id = RelayHarness.newId();
      failing.answer(200);
      HttpResponse<String> other = relay.send(id, "{}", "x-bdk-instance", "customer-acme/invoices-2");
      assertThat(other.statusCode()).isEqualTo(202);
      await().atMost(WAIT).until(() -> !failing.receivedFor(id).isEmpty());
      assertThat(failing.received().stream().filter(r -> r.path().contains("orders-1")).count())
          .as("no further attempts at the paused endpoint").isEqualTo(attemptsWhenOpened);
    }
  }

  private static String repeat(String first, String wait, int times) {
    return first + ("," + wait).repeat(times - 1);
  }
}
