package io.voyager.bdk.localruntime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import org.junit.jupiter.api.Test;

class EndpointSlicesTest {
  @Test
  void aSlicePointsEveryServicePortAtTheBackendOnLoopback() {
    var service =
        new ServiceBuilder(Fixtures.service("customer-acme", "support", "support"))
            .editSpec().addNewPort().withName("grpc").withPort(9090).withProtocol("TCP").endPort().endSpec()
            .build();

    EndpointSlice slice = EndpointSlices.forBackend(service, "support", 41000);

    assertThat(slice.getMetadata().getNamespace()).isEqualTo("customer-acme");
    assertThat(slice.getMetadata().getName()).isEqualTo("support-support");
    assertThat(slice.getMetadata().getLabels())
        .containsEntry("kubernetes.io/service-name", "support")
        .containsEntry("endpointslice.kubernetes.io/managed-by", "local-runtime.bdk.voyager.io");
    assertThat(slice.getAddressType()).isEqualTo("IPv4");
    assertThat(slice.getEndpoints()).singleElement().satisfies(endpoint -> {
      assertThat(endpoint.getAddresses()).containsExactly("127.0.0.1");
      assertThat(endpoint.getConditions().getReady()).isTrue();
    });
    assertThat(slice.getPorts()).extracting(p -> p.getName() + ":" + p.getPort() + "/" + p.getProtocol())
        .containsExactly("http:41000/TCP", "grpc:41000/TCP");
  }

  @Test
  void sameIgnoresServerFieldsButNoticesAPortChange() {
    var service = Fixtures.service("customer-acme", "support", "support");
    EndpointSlice stored = EndpointSlices.forBackend(service, "support", 41000);
    stored.getMetadata().setResourceVersion("7");
    stored.getMetadata().setUid("u-1");

    assertThat(EndpointSlices.same(stored, EndpointSlices.forBackend(service, "support", 41000))).isTrue();
    assertThat(EndpointSlices.same(stored, EndpointSlices.forBackend(service, "support", 41001))).isFalse();
  }

  @Test
  void aRunningDeploymentReportsAllReplicasReadyAtItsGeneration() {
    var deployment = Fixtures.deployment("customer-acme", "support", 3);
    deployment.getMetadata().setGeneration(4L);

    DeploymentStatus status = DeploymentStatuses.desired(deployment, true, "2025-01-01T00:00:00Z");

    assertThat(status.getReplicas()).isEqualTo(3);
    assertThat(status.getReadyReplicas()).isEqualTo(3);
    assertThat(status.getAvailableReplicas()).isEqualTo(3);
    assertThat(status.getUpdatedReplicas()).isEqualTo(3);
    assertThat(status.getObservedGeneration()).isEqualTo(4L);
    assertThat(status.getConditions()).anySatisfy(c -> {
      assertThat(c.getType()).isEqualTo("Available");
      assertThat(c.getStatus()).isEqualTo("True");
    });
  }

  @Test
  void aDeploymentWithoutItsBackendReportsNoReadyReplicas() {
    var deployment = Fixtures.deployment("customer-acme", "support", 2);

    DeploymentStatus status = DeploymentStatuses.desired(deployment, false, "2025-01-01T00:00:00Z");

    assertThat(status.getReadyReplicas()).isZero();
    assertThat(status.getUnavailableReplicas()).isEqualTo(2);
    assertThat(status.getConditions()).anySatisfy(c -> {
      assertThat(c.getType()).isEqualTo("Available");
      assertThat(c.getStatus()).isEqualTo("False");
    });
  }

  @Test
  void statusComparisonIgnoresTimestamps() {
    var deployment = Fixtures.deployment("customer-acme", "support", 1);

    assertThat(DeploymentStatuses.same(
            DeploymentStatuses.desired(deployment, true, "2025-01-01T00:00:00Z"),
            DeploymentStatuses.desired(deployment, true, "2025-06-01T00:00:00Z")))
        .isTrue();
    assertThat(DeploymentStatuses.same(null, DeploymentStatuses.desired(deployment, true, "t"))).isFalse();
  }

  @Test
  void aConditionKeepsItsTransitionTimeWhileItsStatusHolds() {
    var deployment = Fixtures.deployment("customer-acme", "support", 1);
    deployment.setStatus(DeploymentStatuses.desired(deployment, true, "2025-01-01T00:00:00Z"));

    DeploymentStatus later = DeploymentStatuses.desired(deployment, true, "2025-06-01T00:00:00Z");
    assertThat(later.getConditions()).allSatisfy(c -> {
      assertThat(c.getLastTransitionTime()).isEqualTo("2025-01-01T00:00:00Z");
      assertThat(c.getLastUpdateTime()).isEqualTo("2025-06-01T00:00:00Z");
    });
    DeploymentStatus down = DeploymentStatuses.desired(deployment, false, "2025-06-01T00:00:00Z");
    assertThat(down.getConditions()).filteredOn(c -> c.getType().equals("Available")).singleElement()
        .satisfies(c -> assertThat(c.getLastTransitionTime()).isEqualTo("2025-06-01T00:00:00Z"));
  }
}
