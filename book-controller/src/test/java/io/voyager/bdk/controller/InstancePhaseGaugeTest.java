package io.voyager.bdk.controller;

import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.voyager.bdk.controller.status.InstancePhaseGauge;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** bdk.controller.instances{phase} on a real kube-apiserver: counts follow the instances' phases. */
@ExtendWith(RealApiServer.class)
class InstancePhaseGaugeTest {
  private static final String NS = "customer-phase-gauge";
  static KubernetesClient client;
  static RunningController controller;

  @BeforeAll
  static void start(KubernetesClient apiServer) {
    client = apiServer;
    Fixtures.namespace(client, NS);
    controller = RunningController.start(client);
  }

  @AfterAll
  static void stop() {
    if (controller != null) {
      try {
        deleteAllInstances(client);
      } finally {
        controller.close();
      }
    }
  }

  @Test
  void everyPhaseIsRegisteredFromTheStart() {
    for (String phase : InstancePhaseGauge.PHASES) {
      assertThat(controller.metrics().find(InstancePhaseGauge.NAME).tag("phase", phase).gauge())
          .as("gauge for phase " + phase).isNotNull();
    }
  }

  @Test
  void countsInstancesByPhaseAsTheControllerSetsThem() {
    create(client, Fixtures.instance("gauge-ready", Fixtures.spec(NS, "primary")));
    var s = Fixtures.spec(NS, "primary");
    create(client, Fixtures.instance("gauge-failed", new BookInstanceDefinitionSpec(
        new BookInstanceDefinitionSpec.BookRef("no-such-book", null), s.customer(), s.deployment(),
        null, null, null, null)));
    markReady(client, NS, awaitDeployment(client, NS, "gauge-ready").getMetadata().getName());
    awaitPhase(client, "gauge-ready", BookInstanceDefinitionStatus.READY);
    awaitPhase(client, "gauge-failed", BookInstanceDefinitionStatus.FAILED);

    await().atMost(WAIT).untilAsserted(() -> {
      Map<String, Long> listed = phasesListedByTheApi();
      assertThat(listed).containsKeys(BookInstanceDefinitionStatus.READY, BookInstanceDefinitionStatus.FAILED);
      for (String phase : InstancePhaseGauge.PHASES) {
        assertThat(controller.gauge(InstancePhaseGauge.NAME, "phase", phase)).as(phase)
            .isEqualTo(listed.getOrDefault(phase, 0L).doubleValue());
      }
    });
    double failed = controller.gauge(InstancePhaseGauge.NAME, "phase", BookInstanceDefinitionStatus.FAILED);
    assertThat(failed).isGreaterThanOrEqualTo(1);

    client.resource(get(client, "gauge-failed")).delete();
    await().atMost(WAIT).until(() -> get(client, "gauge-failed") == null);
    await().atMost(WAIT).untilAsserted(() -> assertThat(
        controller.gauge(InstancePhaseGauge.NAME, "phase", BookInstanceDefinitionStatus.FAILED)).isEqualTo(failed - 1));
  }

  @Test
  void anInstanceWithoutAKnownPhaseCountsAsUnknown() {
    BookInstanceDefinition fresh = Fixtures.instance("fresh", Fixtures.spec(NS, "primary"));
    assertThat(InstancePhaseGauge.phaseOf(fresh)).isEqualTo(InstancePhaseGauge.UNKNOWN);
    fresh.setStatus(new BookInstanceDefinitionStatus("Exploded", null, null, null, null, null));
    assertThat(InstancePhaseGauge.phaseOf(fresh)).isEqualTo(InstancePhaseGauge.UNKNOWN);
    fresh.setStatus(new BookInstanceDefinitionStatus(BookInstanceDefinitionStatus.UPDATING, null, null, null, null, null));
    assertThat(InstancePhaseGauge.phaseOf(fresh)).isEqualTo(BookInstanceDefinitionStatus.UPDATING);
  }

  private static Map<String, Long> phasesListedByTheApi() {
    List<BookInstanceDefinition> all =
        client.resources(BookInstanceDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).list().getItems();
    return all.stream().collect(Collectors.groupingBy(InstancePhaseGauge::phaseOf, Collectors.counting()));
  }
}
