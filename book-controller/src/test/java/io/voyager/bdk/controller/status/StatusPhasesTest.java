package io.voyager.bdk.controller.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.voyager.bdk.controller.desired.Rollout;
import io.voyager.bdk.controller.desired.SleepSchedule;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.Condition;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which phase and conditions each observed situation gives. Pure. */
class StatusPhasesTest {
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  static final Rollout WANTED = new Rollout(Rollout.Kind.WANTED, "r2", null, null, null);
  static final RuntimeFailures.Failure PULL = new RuntimeFailures.Failure("ImagePullBackOff",
      "container book: ImagePullBackOff for x:1", "r2", true, 1);

  static Deployment deployment(int replicas, int ready) {
    return new DeploymentBuilder().withNewMetadata().withGeneration(1L).endMetadata().withNewSpec().withReplicas(replicas).endSpec()
        .withNewStatus().withObservedGeneration(1L).withReplicas(replicas).withReadyReplicas(ready).withUpdatedReplicas(replicas)
        .endStatus().build();
  }

  static BookInstanceDefinitionStatus status(BookInstanceDefinitionStatus previous, Deployment d, List<RuntimeFailures.Failure> failures,
      Rollout rollout, SleepSchedule sleep, List<String> missing) {
    return StatusCalculator.observed(previous, 1L, new StatusCalculator.Observed(Optional.of(d), failures, rollout, sleep, missing,
        "customer-a/x-credentials", Optional.empty()), GatewayVerdict.NONE, NOW);
  }

  static Condition condition(BookInstanceDefinitionStatus s, String type) {
    return s.conditions().stream().filter(c -> type.equals(c.type())).findFirst().orElse(null);
  }

  @Test
  void failuresWithoutAReadyReplicaAreFailed_withSomeReadyDegraded() {
    var failed = status(null, deployment(1, 0), List.of(PULL), WANTED, SleepSchedule.ALWAYS_AWAKE, List.of());
    assertThat(failed.phase()).isEqualTo(BookInstanceDefinitionStatus.FAILED);
    assertThat(condition(failed, StatusCalculator.DEPLOYMENT_READY).message())
        .isEqualTo("container book: ImagePullBackOff for x:1; 0/1 replicas ready");
    var degraded = status(null, deployment(2, 1), List.of(PULL), WANTED, SleepSchedule.ALWAYS_AWAKE, List.of());
    assertThat(degraded.phase()).isEqualTo(BookInstanceDefinitionStatus.DEGRADED);
    assertThat(status(degraded, deployment(2, 2), List.of(), WANTED, SleepSchedule.ALWAYS_AWAKE, List.of()).phase())
        .isEqualTo(BookInstanceDefinitionStatus.READY);
  }

  @Test
  void aRolledBackInstanceServesDegradedWithTheFailureNamed() {
    var rolledBack = new Rollout(Rollout.Kind.ROLLED_BACK, "r2", "r1", "ImagePullBackOff", "container book: ImagePullBackOff for x:2");
    var s = status(null, deployment(1, 1), List.of(), rolledBack, SleepSchedule.ALWAYS_AWAKE, List.of());
    assertThat(s.phase()).isEqualTo(BookInstanceDefinitionStatus.DEGRADED);
    assertThat(condition(s, StatusCalculator.ROLLED_BACK).reason()).isEqualTo("ImagePullBackOff");
    assertThat(condition(s, StatusCalculator.DEPLOYMENT_READY).status()).isEqualTo("False");
  }

  @Test
  void sleepingThenWakingThenReady() {
    var asleep = new SleepSchedule(true, NOW, Optional.empty(), true);
    var sleeping = status(null, deployment(0, 0), List.of(), WANTED, asleep, List.of());
    assertThat(sleeping.phase()).isEqualTo(BookInstanceDefinitionStatus.SLEEPING);
    var awake = new SleepSchedule(false, NOW, Optional.empty(), true);
    var waking = status(sleeping, deployment(1, 0), List.of(), WANTED, awake, List.of());
    assertThat(waking.phase()).isEqualTo(BookInstanceDefinitionStatus.WAKING);
    assertThat(status(waking, deployment(1, 1), List.of(), WANTED, awake, List.of()).phase()).isEqualTo(BookInstanceDefinitionStatus.READY);
    assertThat(status(waking, deployment(1, 0), List.of(PULL), WANTED, awake, List.of()).phase()).isEqualTo(BookInstanceDefinitionStatus.FAILED);
  }

  @Test
  void aMissingExternalCredentialIsPendingWithItsCondition() {
    var s = StatusCalculator.observed(null, 1L, new StatusCalculator.Observed(Optional.empty(), List.of(), WANTED,
        SleepSchedule.ALWAYS_AWAKE, List.of("zendesk"), "customer-a/x-credentials", Optional.empty()), GatewayVerdict.NONE, NOW);
    assertThat(s.phase()).isEqualTo(BookInstanceDefinitionStatus.PENDING);
    assertThat(condition(s, StatusCalculator.CREDENTIALS_READY).message())
        .startsWith("waiting for key 'zendesk' in Secret customer-a/x-credentials: credentials with source 'external'");
  }
}
