package io.voyager.bdk.controller.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.BookInstanceDefinitionStatus.DeploymentStatus;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinitionStatus;
import io.voyager.bdk.model.WebhookEndpoint;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExternalBookPhaseTest {
  static final Instant NOW = Instant.parse("2024-01-01T00:00:00Z");

  static BookInstanceDefinitionStatus instance(String phase, DeploymentStatus deployment) {
    return new BookInstanceDefinitionStatus(phase, deployment, NOW.toString(), List.of(), 1L, List.of());
  }

  @Test
  void takesPhaseAndReplicasFromTheInstanceStatus() {
    ExternalBookPhase phase = ExternalBookPhase.of(instance("Updating", new DeploymentStatus(1, 2)));

    assertThat(phase).isEqualTo(new ExternalBookPhase("Updating", 2, 1));
  }

  @Test
  void anInstanceThatNeverSawADeploymentHasNoReplicas() {
    assertThat(ExternalBookPhase.of(instance("Failed", null))).isEqualTo(new ExternalBookPhase("Failed", 0, 0));
    assertThat(ExternalBookPhase.of(instance("Pending", new DeploymentStatus(null, null))))
        .isEqualTo(new ExternalBookPhase("Pending", 0, 0));
  }

  @Test
  void thePatchHoldsExactlyTheFourOwnedFields_zerosIncluded() {
    Map<String, Object> patch = new ExternalBookPhase("Pending", 0, 0).statusPatch(NOW);

    assertThat(new KubernetesSerialization().asJson(patch)).isEqualTo(
        "{\"status\":{\"phase\":\"Pending\",\"replicas\":0,\"ready_replicas\":0,"
            + "\"last_updated\":\"2024-01-01T00:00:00Z\"}}");
  }

  @Test
  void isShownByAStatusWithTheSamePhaseAndCounts_whateverElseItHolds() {
    var others = new ExternalBookDefinitionStatus("Ready", 2, 2, "2023-12-31T00:00:00Z",
        List.of(new WebhookEndpoint("zendesk", "/api/v1/webhooks/zendesk/x")),
        List.of(new Condition("Accepted", "True", "Accepted", "ok", NOW.toString(), 1L)));

    assertThat(new ExternalBookPhase("Ready", 2, 2).shownBy(others)).isTrue();
  }

  @Test
  void isNotShownWhenPhaseCountsOrTimestampDifferOrThereIsNoStatus() {
    ExternalBookPhase ready = new ExternalBookPhase("Ready", 2, 2);

    assertThat(ready.shownBy(null)).isFalse();
    assertThat(ready.shownBy(new ExternalBookDefinitionStatus("Updating", 2, 2, "t", null, null))).isFalse();
    assertThat(ready.shownBy(new ExternalBookDefinitionStatus("Ready", 3, 2, "t", null, null))).isFalse();
    assertThat(ready.shownBy(new ExternalBookDefinitionStatus("Ready", 2, 1, "t", null, null))).isFalse();
    assertThat(ready.shownBy(new ExternalBookDefinitionStatus("Ready", 2, 2, null, null, null))).isFalse();
    // Only the xds-server's fields so far (as before the controller first wrote):
    assertThat(ready.shownBy(new ExternalBookDefinitionStatus(null, null, null, null,
        List.of(new WebhookEndpoint("zendesk", "/p")), null))).isFalse();
  }
}
