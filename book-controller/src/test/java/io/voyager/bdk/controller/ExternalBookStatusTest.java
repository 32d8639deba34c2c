package io.voyager.bdk.controller;

import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionStatus;
import io.voyager.bdk.model.WebhookEndpoint;
import io.voyager.bdk.model.WebhookRoutes;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The ExternalBookDefinition's status shows the seed's phase, replicas and ready_replicas from the
 * Deployment's real state, beside the fields the xds-server writes there (webhooks, conditions),
 * which survive the controller's writes; a steady state costs no status write.
 */
class ExternalBookStatusTest extends ControllerOnRealApiTest {
  static final String NAMESPACE = "customer-ebd-status";
  static final String NAME = "ebd-status";

  /** What the xds-server would have written: the public webhook path and its conditions. */
  static final List<WebhookEndpoint> GATEWAY_WEBHOOKS =
      List.of(new WebhookEndpoint("zendesk", WebhookRoutes.publicPath(NAMESPACE, NAME, "zendesk")));
  static final List<Condition> GATEWAY_CONDITIONS = List.of(
      new Condition("WebhooksRouted", "True", "Routed", "webhook routes are served by the gateway", "2024-01-01T00:00:00Z", 1L),
      new Condition("Accepted", "True", "Accepted", "Envoy accepted the gateway config made from this resource", "2024-01-01T00:00:00Z", 1L));

  @Override
  String classNamespace() {
    return NAMESPACE;
  }

  @Test
  void showsPhaseAndReplicasFromTheDeployment_andKeepsWhatTheGatewayWroteThere() {
    create(client, Fixtures.instance(NAME, Fixtures.spec(NAMESPACE, "primary")));
    awaitDeployment(client, NAMESPACE, NAME);

    ExternalBookDefinitionStatus pending = awaitBookStatus(s -> BookInstanceDefinitionStatus.PENDING.equals(s.phase()));
    assertThat(pending.replicas()).isZero();
    assertThat(pending.readyReplicas()).isZero();
    assertThat(pending.lastUpdated()).isNotBlank();

    // The xds-server's part of the status, as it writes it: a JSON merge patch of the status subresource.
    patchStatus(Map.of("webhooks", GATEWAY_WEBHOOKS, "conditions", GATEWAY_CONDITIONS));

    markReady(client, NAMESPACE, NAME);
    ExternalBookDefinitionStatus ready = awaitBookStatus(s -> BookInstanceDefinitionStatus.READY.equals(s.phase()));
    assertThat(ready.replicas()).isEqualTo(2);
    assertThat(ready.readyReplicas()).isEqualTo(2);
    assertThat(ready.lastUpdated()).isNotBlank();
    assertThat(ready.webhooks()).isEqualTo(GATEWAY_WEBHOOKS);
    assertThat(ready.conditions()).isEqualTo(GATEWAY_CONDITIONS);

    // A rollout in progress: one of two replicas ready.
    setDeploymentStatus(2, 1);
    ExternalBookDefinitionStatus updating = awaitBookStatus(s -> BookInstanceDefinitionStatus.UPDATING.equals(s.phase()));
    assertThat(updating.replicas()).isEqualTo(2);
    assertThat(updating.readyReplicas()).isEqualTo(1);
    assertThat(updating.webhooks()).isEqualTo(GATEWAY_WEBHOOKS);
    assertThat(updating.conditions()).isEqualTo(GATEWAY_CONDITIONS);
  }

  @Test
  void aSteadyInstanceWritesNoExternalBookStatus_andKeepsItsLastUpdated() {
    create(client, Fixtures.instance(NAME, Fixtures.spec(NAMESPACE, "primary")));
    awaitDeployment(client, NAMESPACE, NAME);
    markReady(client, NAMESPACE, NAME);
    awaitBookStatus(s -> BookInstanceDefinitionStatus.READY.equals(s.phase()));
    awaitPhase(client, NAME, BookInstanceDefinitionStatus.READY);
    ExternalBookDefinition before = externalBook();
    double reconciled = reconciliations();

    // A change to the book that does not change what runs: the instance is reconciled again…
    client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(Fixtures.BOOK)
        .edit(b -> {
          b.getMetadata().getLabels().put("touched", String.valueOf(System.nanoTime()));
          return b;
        });
    await().atMost(WAIT).until(() -> reconciliations() > reconciled);

    // …and the ExternalBookDefinition is not written: same version, same last_updated.
    ExternalBookDefinition after = externalBook();
    assertThat(after.getMetadata().getResourceVersion()).isEqualTo(before.getMetadata().getResourceVersion());
    assertThat(after.getStatus().lastUpdated()).isEqualTo(before.getStatus().lastUpdated());
  }

  @Test
  void anInstanceThatBecomesInvalidShowsFailed_andKeepsTheGatewaysFields() {
    create(client, Fixtures.instance(NAME, Fixtures.spec(NAMESPACE, "primary")));
    awaitDeployment(client, NAMESPACE, NAME);
    markReady(client, NAMESPACE, NAME);
    awaitBookStatus(s -> BookInstanceDefinitionStatus.READY.equals(s.phase()));
    patchStatus(Map.of("webhooks", GATEWAY_WEBHOOKS, "conditions", GATEWAY_CONDITIONS));

    var spec = Fixtures.spec(NAMESPACE, "primary");
    updateSpec(client, NAME, new BookInstanceDefinitionSpec(
        new BookInstanceDefinitionSpec.BookRef("no-such-book", "1.0.0"), spec.customer(), spec.deployment(),
        spec.networking(), spec.credentials(), spec.configuration(), spec.webhooks()));

    ExternalBookDefinitionStatus failed = awaitBookStatus(s -> BookInstanceDefinitionStatus.FAILED.equals(s.phase()));
    assertThat(failed.replicas()).isEqualTo(2);
    assertThat(failed.readyReplicas()).isEqualTo(2);
    assertThat(failed.webhooks()).isEqualTo(GATEWAY_WEBHOOKS);
    assertThat(failed.conditions()).isEqualTo(GATEWAY_CONDITIONS);
  }

  private ExternalBookDefinition externalBook() {
    return client.resources(ExternalBookDefinition.class).inNamespace(NAMESPACE).withName(NAME).get();
  }

  private ExternalBookDefinitionStatus awaitBookStatus(Predicate<ExternalBookDefinitionStatus> wanted) {
    return await().atMost(WAIT).until(() -> {
      ExternalBookDefinition book = externalBook();
      return book == null ? null : book.getStatus();
    }, s -> s != null && wanted.test(s));
  }

  private void patchStatus(Map<String, Object> status) {
    client.resources(ExternalBookDefinition.class).inNamespace(NAMESPACE).withName(NAME).subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), client.getKubernetesSerialization().asJson(Map.of("status", status)));
  }

  /** The Deployment's current generation observed with {@code ready} of {@code replicas} ready. */
  private void setDeploymentStatus(int replicas, int ready) {
    await().atMost(WAIT).ignoreExceptions().until(() -> {
      Deployment d = client.apps().deployments().inNamespace(NAMESPACE).withName(NAME).get();
      d.setStatus(new DeploymentStatusBuilder()
          .withReplicas(replicas).withReadyReplicas(ready).withUpdatedReplicas(replicas).withAvailableReplicas(ready)
          .withObservedGeneration(d.getMetadata().getGeneration())
          .build());
      return client.resource(d).updateStatus() != null;
    });
  }

  private double reconciliations() {
    return controller.count("operator.sdk.reconciliations.started");
  }
}
