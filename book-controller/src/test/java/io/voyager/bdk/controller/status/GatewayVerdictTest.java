package io.voyager.bdk.controller.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionStatus;
import io.voyager.bdk.model.WebhookEndpoint;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GatewayVerdictTest {
  static final Instant T1 = Instant.parse("2024-02-01T00:00:00Z");
  static final Instant T2 = Instant.parse("2024-02-01T00:05:00Z");
  static final List<WebhookEndpoint> ROUTED = List.of(new WebhookEndpoint("zendesk", "/api/v1/webhooks/zendesk/0123456789abcdef0123"));
  static final Condition ROUTED_TRUE = new Condition("WebhooksRouted", "True", "Routed", "served", "2024-01-01T00:00:00Z", 4L);

  @Test
  void noBookOrNothingWrittenByTheGatewayIsNoVerdict() {
    assertThat(GatewayVerdict.of(Optional.empty())).isEqualTo(GatewayVerdict.NONE);
    assertThat(GatewayVerdict.of(Optional.of(book(null)))).isEqualTo(GatewayVerdict.NONE);
    GatewayVerdict phaseOnly = GatewayVerdict.of(Optional.of(book(new ExternalBookDefinitionStatus("Ready", 1, 1, "t", null, null))));
    assertThat(phaseOnly.routed()).isEmpty();
    assertThat(phaseOnly.condition()).isEmpty();
  }

  @Test
  void takesTheRoutedPathsAndOnlyTheWebhooksRoutedCondition() {
    Condition accepted = new Condition("Accepted", "False", "EnvoyRejected", "no", "t", 4L);
    GatewayVerdict verdict = GatewayVerdict.of(Optional.of(book(
        new ExternalBookDefinitionStatus("Ready", 1, 1, "t", ROUTED, List.of(accepted, ROUTED_TRUE)))));

    assertThat(verdict.routed()).isEqualTo(ROUTED);
    assertThat(verdict.condition()).contains(ROUTED_TRUE);
  }

  @Test
  void theMirroredConditionCarriesTheInstancesGeneration_andKeepsItsTransitionWhileTheStatusHolds() {
    GatewayVerdict verdict = new GatewayVerdict(ROUTED, Optional.of(ROUTED_TRUE));

    Condition first = verdict.instanceCondition(null, 7L, T1).orElseThrow();
    assertThat(first).isEqualTo(new Condition("WebhooksRouted", "True", "Routed", "served", "2024-01-01T00:00:00Z", 7L));

    BookInstanceDefinitionStatus shown = new BookInstanceDefinitionStatus("Ready", null, T1.toString(),
        List.of(new Condition("WebhooksRouted", "True", "Routed", "served", "2023-12-31T00:00:00Z", 7L)), 7L, ROUTED);
    GatewayVerdict rewritten = new GatewayVerdict(ROUTED, Optional.of(
        new Condition("WebhooksRouted", "True", "Routed", "served", "2024-01-02T00:00:00Z", 5L)));
    assertThat(rewritten.instanceCondition(shown, 7L, T2).orElseThrow().lastTransition()).isEqualTo("2023-12-31T00:00:00Z");

    GatewayVerdict refused = new GatewayVerdict(List.of(), Optional.of(
        new Condition("WebhooksRouted", "False", "EnvoyRejected", "held out", null, 5L)));
    Condition flipped = refused.instanceCondition(shown, 7L, T2).orElseThrow();
    assertThat(flipped.status()).isEqualTo("False");
    assertThat(flipped.message()).isEqualTo("held out");
    assertThat(flipped.lastTransition()).isEqualTo(T2.toString()); // the gateway gave no time: now
  }

  @Test
  void anUnchangedVerdictIsNoStatusChange_aChangedOneIs() {
    Deployment deployment = readyDeployment();
    GatewayVerdict verdict = new GatewayVerdict(ROUTED, Optional.of(ROUTED_TRUE));
    BookInstanceDefinitionStatus first = StatusCalculator.observed(null, 3L, Optional.of(deployment), verdict, T1);
    assertThat(first.webhooks()).isEqualTo(ROUTED);
    assertThat(first.conditions()).extracting(Condition::type).containsExactly("Valid", "DeploymentReady", "WebhooksRouted");

    BookInstanceDefinitionStatus again = StatusCalculator.observed(first, 3L, Optional.of(deployment), verdict, T2);
    assertThat(StatusCalculator.differs(first, again)).isFalse();

    BookInstanceDefinitionStatus unrouted = StatusCalculator.observed(first, 3L, Optional.of(deployment), GatewayVerdict.NONE, T2);
    assertThat(StatusCalculator.differs(first, unrouted)).isTrue();
    assertThat(unrouted.webhooks()).isEmpty();
    assertThat(unrouted.conditions()).extracting(Condition::type).containsExactly("Valid", "DeploymentReady");
  }

  @Test
  void aFailedInstanceStillShowsWhatTheGatewayRoutes() {
    BookInstanceDefinitionStatus failed = StatusCalculator.failed(null, 2L, "InvalidSpec", "bookRef.name: no such book",
        new GatewayVerdict(ROUTED, Optional.of(ROUTED_TRUE)), T1);

    assertThat(failed.phase()).isEqualTo(BookInstanceDefinitionStatus.FAILED);
    assertThat(failed.webhooks()).isEqualTo(ROUTED);
    assertThat(failed.conditions()).extracting(Condition::type).containsExactly("Valid", "DeploymentReady", "WebhooksRouted");
  }

  private static ExternalBookDefinition book(ExternalBookDefinitionStatus status) {
    ExternalBookDefinition book = new ExternalBookDefinition();
    book.setMetadata(new ObjectMetaBuilder().withName("b").withNamespace("customer-x").withGeneration(4L).build());
    book.setStatus(status);
    return book;
  }

  private static Deployment readyDeployment() {
    return new DeploymentBuilder()
        .withNewMetadata().withName("d").withGeneration(1L).endMetadata()
        .withNewSpec().withReplicas(1).endSpec()
        .withNewStatus().withReplicas(1).withReadyReplicas(1).withUpdatedReplicas(1).withObservedGeneration(1L).endStatus()
        .build();
  }
}
