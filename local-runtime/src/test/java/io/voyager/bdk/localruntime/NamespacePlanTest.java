package io.voyager.bdk.localruntime;

import static io.voyager.bdk.localruntime.Fixtures.deployment;
import static io.voyager.bdk.localruntime.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NamespacePlanTest {
  private static final String NS = "customer-acme";

  @Test
  void aServiceSelectingARunningDeploymentGetsASliceAndTheDeploymentABackend() {
    NamespacePlan plan =
        NamespacePlan.of(NS, List.of(deployment(NS, "support", 2)), List.of(service(NS, "support-svc", "support")));

    assertThat(plan.backends()).containsExactly("support");
    assertThat(plan.slices()).singleElement().satisfies(target -> {
      assertThat(target.service().getMetadata().getName()).isEqualTo("support-svc");
      assertThat(target.deployment()).isEqualTo("support");
    });
    assertThat(plan.deployments()).hasSize(1);
  }

  @Test
  void aDeploymentScaledToZeroGetsNeitherBackendNorSliceButStillAStatus() {
    NamespacePlan plan =
        NamespacePlan.of(NS, List.of(deployment(NS, "support", 0)), List.of(service(NS, "support", "support")));

    assertThat(plan.backends()).isEmpty();
    assertThat(plan.slices()).isEmpty();
    assertThat(plan.deployments()).hasSize(1);
  }

  @Test
  void aDeploymentNoServiceSelectsGetsNoBackend() {
    NamespacePlan plan =
        NamespacePlan.of(NS, List.of(deployment(NS, "poller", 1)), List.of(service(NS, "other", "other")));

    assertThat(plan.backends()).isEmpty();
    assertThat(plan.slices()).isEmpty();
  }

  @Test
  void aServiceWithoutSelectorSelectsNothing() {
    var headless = new ServiceBuilder(service(NS, "manual", "x")).editSpec().withSelector(null).endSpec().build();

    assertThat(Selection.selects(headless, deployment(NS, "x", 1))).isFalse();
  }

  @Test
  void aSelectorMustMatchEveryLabel() {
    var narrow =
        new ServiceBuilder(service(NS, "s", "support")).editSpec().addToSelector("tier", "other").endSpec().build();

    assertThat(Selection.selects(narrow, deployment(NS, "support", 1))).isFalse();
    assertThat(Selection.selects(service(NS, "s", "support"), deployment(NS, "support", 1))).isTrue();
  }

  @Test
  void unsetReplicasMeansOne() {
    var deployment = deployment(NS, "d", 1);
    deployment.getSpec().setReplicas(null);

    assertThat(Selection.replicas(deployment)).isEqualTo(1);
  }

  @Test
  void twoDeploymentsBehindOneServiceGetOneSliceEach() {
    var shared = new ServiceBuilder(service(NS, "books", "x")).editSpec().withSelector(Map.of("tier", "book")).endSpec().build();

    NamespacePlan plan =
        NamespacePlan.of(NS, List.of(deployment(NS, "b", 1), deployment(NS, "a", 1)), List.of(shared));

    assertThat(plan.backends()).containsExactly("a", "b");
    assertThat(plan.slices()).extracting(NamespacePlan.SliceTarget::deployment).containsExactly("a", "b");
  }
}
