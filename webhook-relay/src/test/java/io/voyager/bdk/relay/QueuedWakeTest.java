package io.voyager.bdk.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.support.Kubeconfig;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Queued delivery to a book that sleeps when idle: the relay (started through its Main with
 * --wake-books) on a real nats-server, the wake Lease on the fabric8 mock API server (CRUD), the
 * book a real HTTP server on loopback. The test plays the book-controller's part on the Lease
 * ({@code ready}), which the controller's own tests cover.
 */
@EnableKubernetesMockClient(crud = true)
class QueuedWakeTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String LEASE = "orders-wake";
  private static final String WAKE_LEASE = RelayHarness.NAMESPACE + "/" + LEASE;

  KubernetesClient client;
  @TempDir Path dir;

  @Test
  void aQueuedWebhookWakesTheSleepingBookAndIsDeliveredOnceItIsReady() throws Exception {
    lease(false);
    try (ScriptedBook book = ScriptedBook.down();
        RelayHarness relay = new RelayHarness(dir, book, wakeFlags("--wake-timeout", "5m", "--breaker-failures", "1"))) {
      String id = RelayHarness.newId();
      HttpResponse<String> accepted = relay.send(id, "{\"n\":1}", BookWake.HEADER_WAKE_LEASE, WAKE_LEASE);
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);

      await("the wake-up call on the Lease").atMost(WAIT).until(() -> lastWebhook() != null);
      assertThat(lastWebhook()).isAfter(Instant.now().minusSeconds(60));
      await("waiting for the book, no attempt made").atMost(WAIT).untilAsserted(() ->
          assertThat(relay.record(id)).hasValueSatisfying(r -> {
            assertThat(r.state()).isEqualTo(DeliveryRecord.WAKING);
            assertThat(r.attempts()).isZero();
          }));

      // The controller scales the Deployment up; once it is rolled out the Lease says ready.
      book.start();
      markReady(true);

      await("delivered once the book is ready").atMost(WAIT).untilAsserted(() ->
          assertThat(relay.record(id)).hasValueSatisfying(r -> {
            assertThat(r.state()).isEqualTo(DeliveryRecord.DELIVERED);
            assertThat(r.attempts()).as("the wait was not an attempt").isEqualTo(1);
          }));
      assertThat(book.receivedFor(id)).hasSize(1);
      assertThat(book.receivedFor(id).get(0).body()).isEqualTo("{\"n\":1}");
      assertThat(relay.deadLettersOf(id)).isEmpty();
      String metrics = relay.adminGet("/metrics");
      assertThat(metrics)
          .contains("bdk_relay_wake_lease_writes_total{kind=\"wake\",result=\"written\",service=\"webhook-relay\"}")
          .contains("bdk_relay_breakers{service=\"webhook-relay\",state=\"open\"} 0.0")
          .contains("bdk_relay_retries_total{reason=\"connection_error\",service=\"webhook-relay\"} 0.0");
      assertThat(metrics).containsPattern("bdk_relay_wake_waits_total\\{service=\"webhook-relay\"} [1-9]");
    }
  }

  @Test
  void aBookThatNeverWakesEndsDeadLetteredAsWakeTimeoutWithoutAnAttempt() throws Exception {
    lease(false);
    try (ScriptedBook book = ScriptedBook.up();
        RelayHarness relay = new RelayHarness(dir, book, wakeFlags("--wake-timeout", "2s", "--wake-recheck", "200ms"))) {
      String id = RelayHarness.newId();
      assertThat(relay.send(id, "{}", BookWake.HEADER_WAKE_LEASE, WAKE_LEASE).statusCode()).isEqualTo(202);

      await("dead-lettered after the wake timeout").atMost(WAIT).untilAsserted(() ->
          assertThat(relay.deadLettersOf(id)).hasSize(1));
      DeadLetters.DeadLetter letter = relay.deadLettersOf(id).get(0);
      assertThat(letter.reason()).isEqualTo("wake_timeout");
      assertThat(letter.attempts()).isZero();
      assertThat(letter.lastError()).contains("did not become ready within").contains(WAKE_LEASE);
      assertThat(book.receivedFor(id)).as("a sleeping book is not sent anything").isEmpty();
      assertThat(lastWebhook()).as("it was asked to wake").isNotNull();
      assertThat(relay.adminGet("/metrics"))
          .contains("bdk_relay_dead_lettered_total{reason=\"wake_timeout\",service=\"webhook-relay\"} 1.0");
    }
  }

  @Test
  void anAwakeBooksWebhookIsDeliveredAtOnceAndRecordedAsActivity() throws Exception {
    lease(true);
    try (ScriptedBook book = ScriptedBook.up();
        RelayHarness relay = new RelayHarness(dir, book, wakeFlags())) {
      String id = RelayHarness.newId();
      assertThat(relay.send(id, "{}", BookWake.HEADER_WAKE_LEASE, WAKE_LEASE).statusCode()).isEqualTo(202);
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(relay.record(id)).hasValueSatisfying(r -> assertThat(r.state()).isEqualTo(DeliveryRecord.DELIVERED)));
      await("the activity record for the idle timer").atMost(WAIT).until(() -> lastWebhook() != null);
    }
  }

  @Test
  void aWakeLeaseHeaderOutsideTheWebhooksNamespaceIsRefusedNamingTheHeader() throws Exception {
    try (ScriptedBook book = ScriptedBook.up();
        RelayHarness relay = new RelayHarness(dir, book, wakeFlags())) {
      HttpResponse<String> refused = relay.send(RelayHarness.newId(), "{}",
          BookWake.HEADER_WAKE_LEASE, "customer-other/orders-wake");
      assertThat(refused.statusCode()).isEqualTo(400);
      assertThat(refused.body()).contains(BookWake.HEADER_WAKE_LEASE).doesNotContain("customer-other");
    }
  }

  private String[] wakeFlags(String... more) throws Exception {
    Path kubeconfig = Kubeconfig.write(dir.resolve("kubeconfig"), client.getMasterUrl().toString(), "default");
    List<String> flags = new ArrayList<>(List.of(
        "--wake-books", "true", "--kubeconfig", kubeconfig.toString(), "--wake-settle", "0s", "--wake-recheck", "200ms"));
    flags.addAll(List.of(more));
    return flags.toArray(String[]::new);
  }

  private void lease(boolean ready) {
    client.leases().inNamespace(RelayHarness.NAMESPACE).resource(new LeaseBuilder()
        .withNewMetadata().withNamespace(RelayHarness.NAMESPACE).withName(LEASE)
        .withLabels(Map.of(BookWake.LEASE_LABEL, "true"))
        .withAnnotations(Map.of(BookWake.READY, Boolean.toString(ready))).endMetadata()
        .build()).create();
  }

  private void markReady(boolean ready) {
    client.leases().inNamespace(RelayHarness.NAMESPACE).withName(LEASE).patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + BookWake.READY + "\":\"" + ready + "\"}}}");
  }

  private Instant lastWebhook() {
    Lease lease = client.leases().inNamespace(RelayHarness.NAMESPACE).withName(LEASE).get();
    String value = lease.getMetadata().getAnnotations().get(BookWake.LAST_WEBHOOK);
    return value == null ? null : Instant.parse(value);
  }
}
