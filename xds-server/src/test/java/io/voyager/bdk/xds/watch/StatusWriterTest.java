package io.voyager.bdk.xds.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionStatus;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.nack.AcceptedConditionWriter;
import io.voyager.bdk.xds.nack.NackAttribution.BookRef;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * The xds-server's two writers of an ExternalBookDefinition's conditions (StatusWriter's
 * WebhooksRouted, the NACK write-back's Accepted) never lose each other's update in one process.
 * (Across processes the API server's optimistic locking does it: StatusWritesRealApiServerTest in
 * local-stack.)
 */
@EnableKubernetesMockClient(crud = true)
class StatusWriterTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  KubernetesClient client;

  BiFunction<String, String, ExternalBookDefinition> live() {
    return (ns, name) -> client.resources(ExternalBookDefinition.class).inNamespace(ns).withName(name).get();
  }

  ExternalBookDefinition stored(String name) {
    return client.resources(ExternalBookDefinition.class).inNamespace("customer-acme").withName(name).get();
  }

  static String status(ExternalBookDefinition book, String type) {
    return book.getStatus().conditions().stream().filter(c -> type.equals(c.type())).map(Condition::status)
        .findFirst().orElse(null);
  }

  @Test
  void anAcceptedWriteArrivingDuringAStatusWriteWaitsForItAndBothConditionsStay() throws Exception {
    client.resource(GatewayWatcherTest.ebd("customer-acme", "book")).createOr(NonDeletingOperation::update); // a retried POST (busy machine) must not fail the set-up
    BookStatusLocks locks = new BookStatusLocks();
    AcceptedConditionWriter accepted = new AcceptedConditionWriter(client, locks);
    AtomicReference<Thread> acceptedThread = new AtomicReference<>();
    CompletableFuture<Boolean> acceptedWritten = new CompletableFuture<>();
    // While this writer holds what it read, the NACK write-back (its own thread) sets Accepted=True.
    StatusWriter writer = new StatusWriter(client, locks, () -> {
      Thread t = new Thread(() -> acceptedWritten.complete(accepted.write(new BookRef("customer-acme", "book"), null)));
      acceptedThread.set(t);
      t.start();
      await("the Accepted write waits for the book's lock").atMost(WAIT)
          .until(() -> t.getState() == Thread.State.BLOCKED);
    });
    BookTranslation rejected = new BookTranslation.Rejected("customer-acme", "book", "secret_ref: is required");

    assertThat(writer.write(rejected, live())).isEqualTo(StatusWriter.Result.WRITTEN);
    assertThat(acceptedWritten.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    ExternalBookDefinition book = stored("book");
    assertThat(status(book, AcceptedConditionWriter.CONDITION)).isEqualTo("True");
    assertThat(status(book, StatusWriter.CONDITION)).isEqualTo("False");
  }

  @Test
  void anUnchangedStatusIsNotWrittenAgain() {
    client.resource(GatewayWatcherTest.ebd("customer-acme", "same")).createOr(NonDeletingOperation::update);
    StatusWriter writer = new StatusWriter(client, new BookStatusLocks());
    BookTranslation rejected = new BookTranslation.Rejected("customer-acme", "same", "secret_ref: is required");
    assertThat(writer.write(rejected, live())).isEqualTo(StatusWriter.Result.WRITTEN);
    String version = stored("same").getMetadata().getResourceVersion();

    assertThat(writer.write(rejected, live())).isEqualTo(StatusWriter.Result.UNCHANGED);
    assertThat(stored("same").getMetadata().getResourceVersion()).isEqualTo(version);
  }

  @Test
  void theBookControllersFieldsAreKept() {
    ExternalBookDefinition book = GatewayWatcherTest.ebd("customer-acme", "phased");
    client.resource(book).createOr(NonDeletingOperation::update);
    ExternalBookDefinition current = stored("phased");
    current.setStatus(new ExternalBookDefinitionStatus("Ready", 2, 2, "2026-12-05T00:00:00Z", null, null));
    client.resource(current).updateStatus();

    new StatusWriter(client, new BookStatusLocks())
        .write(new BookTranslation.Rejected("customer-acme", "phased", "secret_ref: is required"), live());

    var status = stored("phased").getStatus();
    assertThat(status.phase()).isEqualTo("Ready");
    assertThat(status.readyReplicas()).isEqualTo(2);
    assertThat(status.lastUpdated()).isEqualTo("2026-12-05T00:00:00Z");
    assertThat(status(stored("phased"), StatusWriter.CONDITION)).isEqualTo("False");
  }
}
