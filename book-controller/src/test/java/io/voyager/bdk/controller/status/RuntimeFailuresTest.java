package io.voyager.bdk.controller.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.voyager.bdk.controller.desired.ManagedLabels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading runtime failures from pods and Deployment conditions the way kubelet and the controller-manager write them. Pure. */
class RuntimeFailuresTest {

  static Pod pod(String name, String revision, io.fabric8.kubernetes.api.model.ContainerStatus... containers) {
    return new PodBuilder().withNewMetadata().withName(name).addToAnnotations(ManagedLabels.CONFIG_HASH, revision).endMetadata()
        .withNewStatus().withPhase("Running").withContainerStatuses(containers).endStatus().build();
  }

  static io.fabric8.kubernetes.api.model.ContainerStatus waiting(String container, String reason, String message) {
    return new ContainerStatusBuilder().withName(container).withImage("voyager/book-runtime-python:3.11").withReady(false)
        .withRestartCount(0).withState(new ContainerStateBuilder().withNewWaiting().withReason(reason).withMessage(message)
            .endWaiting().build()).build();
  }

  static io.fabric8.kubernetes.api.model.ContainerStatus running(String container) {
    return new ContainerStatusBuilder().withName(container).withReady(true).withRestartCount(0)
        .withState(new ContainerStateBuilder().withNewRunning().endRunning().build()).build();
  }

  @Test
  void eachCauseIsNamedWithItsContainer() {
    assertThat(RuntimeFailures.of(null, List.of(pod("p", "r1", waiting("book", "ImagePullBackOff", "Back-off")))))
        .singleElement().satisfies(f -> {
          assertThat(f.reason()).isEqualTo("ImagePullBackOff");
          assertThat(f.message()).isEqualTo("container book: ImagePullBackOff for voyager/book-runtime-python:3.11");
          assertThat(f.revision()).isEqualTo("r1");
          assertThat(f.immediate()).isTrue();
        });
    assertThat(RuntimeFailures.of(null, List.of(pod("p", "r1",
        waiting("tailscale", "CreateContainerConfigError", "couldn't find key tailscale_auth_key in Secret a/b-credentials"))))
    ).singleElement().satisfies(f -> assertThat(f.describe())
        .isEqualTo("container tailscale: CreateContainerConfigError: couldn't find key tailscale_auth_key in Secret a/b-credentials"));
  }

  @Test
  void theSameFailureInSeveralPodsIsCountedOnce_healthyContainersAndTerminatingPodsAreNot() {
    Pod a = pod("a", "r1", waiting("book", "ErrImagePull", "x"), running("tailscale"));
    Pod b = pod("b", "r1", waiting("book", "ErrImagePull", "x"));
    Pod leaving = new PodBuilder(pod("c", "r0", waiting("book", "CrashLoopBackOff", "x"))).editMetadata()
        .withDeletionTimestamp("2024-01-01T00:00:00Z").endMetadata().build();
    assertThat(RuntimeFailures.of(null, List.of(a, b, leaving))).singleElement()
        .satisfies(f -> assertThat(f.describe()).isEqualTo("container book: ErrImagePull for voyager/book-runtime-python:3.11 (2 pods)"));
    assertThat(RuntimeFailures.of(null, List.of(pod("ok", "r1", running("book"))))).isEmpty();
  }

  @Test
  void unschedulablePodsWaitForTheProgressDeadlineBeforeTheyRollAnythingBack() {
    Pod pending = new PodBuilder().withNewMetadata().withName("p").endMetadata().withNewStatus().withPhase("Pending")
        .withConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("False").withReason("Unschedulable")
            .withMessage("0/1 nodes are available: 1 Insufficient memory.").build()).endStatus().build();
    assertThat(RuntimeFailures.of(null, List.of(pending))).singleElement().satisfies(f -> {
      assertThat(f.message()).isEqualTo("pods cannot be scheduled: 0/1 nodes are available: 1 Insufficient memory.");
      assertThat(f.immediate()).isFalse();
    });
    Deployment late = new DeploymentBuilder().withNewStatus()
        .addToConditions(new DeploymentConditionBuilder().withType("Progressing").withStatus("False")
            .withReason("ProgressDeadlineExceeded").withMessage("ReplicaSet \"x\" has timed out progressing.").build())
        .addToConditions(new DeploymentConditionBuilder().withType("ReplicaFailure").withStatus("True").withReason("FailedCreate")
            .withMessage("pods \"x-1\" is forbidden: exceeded quota: bdk, requested: requests.cpu=2").build())
        .endStatus().build();
    assertThat(RuntimeFailures.of(late, List.of())).extracting(RuntimeFailures.Failure::describe).containsExactly(
        "the rollout exceeded its progress deadline: ReplicaSet \"x\" has timed out progressing.",
        "pods cannot be created: pods \"x-1\" is forbidden: exceeded quota: bdk, requested: requests.cpu=2");
  }

  @Test
  void aPodUpdateThatChangesNothingTheStatusReadsHasTheSameSignature() {
    Pod a = pod("a", "r1", running("book"));
    Pod probed = new PodBuilder(a).editMetadata().withResourceVersion("99").endMetadata().build();
    assertThat(RuntimeFailures.signature(probed)).isEqualTo(RuntimeFailures.signature(a));
    assertThat(RuntimeFailures.signature(pod("a", "r1", waiting("book", "CrashLoopBackOff", "x"))))
        .isNotEqualTo(RuntimeFailures.signature(a));
  }
}
