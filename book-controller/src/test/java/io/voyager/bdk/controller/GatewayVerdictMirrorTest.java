package io.voyager.bdk.controller;

import io.voyager.bdk.controller.status.GatewayVerdict;
import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.WebhookEndpoint;
import io.voyager.bdk.model.WebhookRoutes;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The instance's status mirrors the gateway's verdict on its webhooks: when the xds-server writes
 * the ExternalBookDefinition's {@code webhooks} and {@code WebhooksRouted} (here played by a status
 * patch as it sends it), that change reconciles the instance, whose status then lists exactly the
 * routed paths and the same condition (status, reason, message; the instance's generation). A
 * mirrored verdict that does not change costs no writes, on either object.
 */
class GatewayVerdictMirrorTest extends ControllerOnRealApiTest {
  static final String NAMESPACE = "customer-gateway-verdict";
  static final String NAME = "verdict";

  static final String PATH = WebhookRoutes.publicPath(NAMESPACE, NAME, "zendesk");
  static final List<WebhookEndpoint> ROUTED = List.of(new WebhookEndpoint("zendesk", PATH));
  static final Condition ROUTED_TRUE = new Condition(GatewayVerdict.CONDITION, "True", "Routed",
      "webhook routes are served by the gateway", "2024-01-01T00:00:00Z", 1L);
  static final String REFUSED_MESSAGE =
      "held out of the gateway until its resources change: Envoy rejected cluster 'book-customer-gateway-verdict-verdict'";
  static final Condition ENVOY_REJECTED = new Condition(GatewayVerdict.CONDITION, "False", "EnvoyRejected",
      REFUSED_MESSAGE, "2024-01-01T00:00:05Z", 1L);
  static final Condition ACCEPTED = new Condition("Accepted", "True", "Accepted", "Envoy accepted it", "2024-01-01T00:00:00Z", 1L);

  @Override
  String classNamespace() {
    return NAMESPACE;
  }

  @Test
  void beforeTheGatewayWroteAnything_aReadyInstanceClaimsNoPath() {
    BookInstanceDefinitionStatus ready = readyInstance();

    assertThat(ready.webhooks()).isNullOrEmpty();
    assertThat(ready.conditions()).extracting(Condition::type).doesNotContain(GatewayVerdict.CONDITION);
  }

  @Test
  void routedPathsAndTheConditionAreMirrored_thenARefusalWithItsMessage() {
    readyInstance();
    long generation = get(client, NAME).getMetadata().getGeneration();

    gatewayWrites(ROUTED, List.of(ROUTED_TRUE, ACCEPTED));
    BookInstanceDefinitionStatus routed = awaitStatus(s -> s.webhooks() != null && !s.webhooks().isEmpty());
    assertThat(routed.webhooks()).isEqualTo(ROUTED);
    assertThat(webhooksRouted(routed)).satisfies(c -> {
      assertThat(c.status()).isEqualTo("True");
      assertThat(c.reason()).isEqualTo("Routed");
      assertThat(c.message()).isEqualTo(ROUTED_TRUE.message());
      assertThat(c.observedGeneration()).isEqualTo(generation);
    });
    assertThat(routed.phase()).isEqualTo(BookInstanceDefinitionStatus.READY);
    assertThat(routed.conditions()).extracting(Condition::type).doesNotContain("Accepted"); // only the verdict is mirrored

    // Envoy refused the book's resources: the xds-server holds it out (no routes) and says why.
    gatewayWrites(List.of(), List.of(ENVOY_REJECTED, ACCEPTED));
    BookInstanceDefinitionStatus refused = awaitStatus(s -> webhooksRouted(s) != null && "False".equals(webhooksRouted(s).status()));
    assertThat(refused.webhooks()).isNullOrEmpty();
    assertThat(webhooksRouted(refused)).satisfies(c -> {
      assertThat(c.reason()).isEqualTo("EnvoyRejected");
      assertThat(c.message()).isEqualTo(REFUSED_MESSAGE);
      assertThat(c.lastTransition()).isEqualTo(ENVOY_REJECTED.lastTransition());
      assertThat(c.observedGeneration()).isEqualTo(generation);
    });
    assertThat(refused.phase()).isEqualTo(BookInstanceDefinitionStatus.READY); // the workload still runs
  }

  @Test
  void anInvalidIntegrationIsMirroredWithTheGatewaysMessage() {
    readyInstance();
    String message = "externalIntegrations[0].authentication.secretRef: required for a webhook";
    gatewayWrites(List.of(), List.of(new Condition(GatewayVerdict.CONDITION, "False", "InvalidWebhookIntegration",
        message, "2024-01-01T00:00:00Z", 1L)));

    BookInstanceDefinitionStatus refused = awaitStatus(s -> webhooksRouted(s) != null);
    assertThat(refused.webhooks()).isNullOrEmpty();
    assertThat(webhooksRouted(refused).status()).isEqualTo("False");
    assertThat(webhooksRouted(refused).reason()).isEqualTo("InvalidWebhookIntegration");
    assertThat(webhooksRouted(refused).message()).isEqualTo(message);
  }

  @Test
  void anInstanceThatBecomesInvalidKeepsShowingWhatTheGatewayStillRoutes() {
    readyInstance();
    gatewayWrites(ROUTED, List.of(ROUTED_TRUE));
    awaitStatus(s -> s.webhooks() != null && !s.webhooks().isEmpty());

    var spec = Fixtures.spec(NAMESPACE, "primary");
    updateSpec(client, NAME, new BookInstanceDefinitionSpec(
        new BookInstanceDefinitionSpec.BookRef("no-such-book", "1.0.0"), spec.customer(), spec.deployment(),
        spec.networking(), spec.credentials(), spec.configuration(), spec.webhooks()));

    BookInstanceDefinitionStatus failed = awaitStatus(s -> BookInstanceDefinitionStatus.FAILED.equals(s.phase()));
    // Its ExternalBookDefinition stays, and the gateway keeps routing it: the status says so.
    assertThat(failed.webhooks()).isEqualTo(ROUTED);
    assertThat(webhooksRouted(failed).status()).isEqualTo("True");
    assertThat(webhooksRouted(failed).observedGeneration()).isEqualTo(get(client, NAME).getMetadata().getGeneration());
  }

  @Test
  void aMirroredVerdictCostsNoFurtherWrites() {
    readyInstance();
    gatewayWrites(ROUTED, List.of(ROUTED_TRUE, ACCEPTED));
    awaitStatus(s -> s.webhooks() != null && !s.webhooks().isEmpty());
    String instanceVersion = get(client, NAME).getMetadata().getResourceVersion();
    String bookVersion = externalBook().getMetadata().getResourceVersion();
    double reconciled = reconciliations();

    // A change to the book that does not change what runs: the instance is reconciled again…
    client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(Fixtures.BOOK)
        .edit(b -> {
          b.getMetadata().getLabels().put("touched", String.valueOf(System.nanoTime()));
          return b;
        });
    await().atMost(WAIT).until(() -> reconciliations() > reconciled);

    // …and neither the instance nor its ExternalBookDefinition is written.
    assertThat(get(client, NAME).getMetadata().getResourceVersion()).isEqualTo(instanceVersion);
    assertThat(externalBook().getMetadata().getResourceVersion()).isEqualTo(bookVersion);
  }

  private BookInstanceDefinitionStatus readyInstance() {
    create(client, Fixtures.instance(NAME, Fixtures.spec(NAMESPACE, "primary")));
    awaitDeployment(client, NAMESPACE, NAME);
    await().atMost(WAIT).until(() -> externalBook() != null);
    markReady(client, NAMESPACE, NAME);
    return awaitPhase(client, NAME, BookInstanceDefinitionStatus.READY);
  }

  private ExternalBookDefinition externalBook() {
    return client.resources(ExternalBookDefinition.class).inNamespace(NAMESPACE).withName(NAME).get();
  }

  /** The xds-server's write, as it sends it: a JSON Patch of the status subresource replacing both lists. */
  private void gatewayWrites(List<WebhookEndpoint> webhooks, List<Condition> conditions) {
    var serialization = client.getKubernetesSerialization();
    String patch = serialization.asJson(List.of(
        Map.of("op", "add", "path", "/status/webhooks", "value", webhooks),
        Map.of("op", "add", "path", "/status/conditions", "value", conditions)));
    // The controller writes the phase on the same status: wait until there is one to patch into.
    await().atMost(WAIT).until(() -> externalBook().getStatus() != null);
    client.resources(ExternalBookDefinition.class).inNamespace(NAMESPACE).withName(NAME).subresource("status")
        .patch(PatchContext.of(PatchType.JSON), patch);
  }

  private BookInstanceDefinitionStatus awaitStatus(Predicate<BookInstanceDefinitionStatus> wanted) {
    return await().atMost(WAIT).until(() -> {
      BookInstanceDefinition i = get(client, NAME);
      return i == null ? null : i.getStatus();
    }, s -> s != null && wanted.test(s));
  }

  private static Condition webhooksRouted(BookInstanceDefinitionStatus status) {
    return status.conditions() == null ? null : status.conditions().stream()
        .filter(c -> GatewayVerdict.CONDITION.equals(c.type())).findFirst().orElse(null);
  }

  private double reconciliations() {
    return controller.count("operator.sdk.reconciliations.started");
  }
}
