package io.voyager.bdk.controller.desired;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which revision a workload runs, and whether it sleeps. Pure. */
class RolloutAndSleepTest {
  static final Optional<Rollout.RevisionFailure> PULL =
      Optional.of(new Rollout.RevisionFailure("ImagePullBackOff", "container book: ImagePullBackOff for x:2"));

  static Deployment running(String revision, Map<String, String> annotations) {
    return new DeploymentBuilder().withNewMetadata().withAnnotations(annotations).withCreationTimestamp("2026-01-01T00:00:00Z")
        .endMetadata().withNewSpec().withNewTemplate().withNewMetadata().addToAnnotations(ManagedLabels.CONFIG_HASH, revision)
        .endMetadata().endTemplate().endSpec().build();
  }

  @Test
  void theLastReadyRevisionIsWrittenDownWhenTheTemplateChangesAwayFromIt() {
    Rollout r = Rollout.decide("r2", Optional.of(running("r1", Map.of())), true, Optional.empty());
    assertThat(r.kind()).isEqualTo(Rollout.Kind.WANTED);
    assertThat(r.annotations()).containsExactly(Map.entry(ManagedLabels.LAST_READY_REVISION, "r1"));
    assertThat(Rollout.decide("r1", Optional.of(running("r1", Map.of())), true, Optional.empty()).annotations())
        .as("no annotation write while nothing changes").isEmpty();
  }

  @Test
  void aFailingWantedRevisionRollsBack_thenStaysRolledBackUntilTheSpecChanges() {
    var afterUpgrade = running("r2", Map.of(ManagedLabels.LAST_READY_REVISION, "r1"));
    Rollout back = Rollout.decide("r2", Optional.of(afterUpgrade), false, PULL);
    assertThat(back.kind()).isEqualTo(Rollout.Kind.ROLL_BACK);
    assertThat(back.lastReady()).isEqualTo("r1");
    var rolledBack = running("r1", back.annotations());
    Rollout stays = Rollout.decide("r2", Optional.of(rolledBack), true, Optional.empty());
    assertThat(stays.kind()).isEqualTo(Rollout.Kind.ROLLED_BACK);
    assertThat(stays.reason()).isEqualTo("ImagePullBackOff");
    assertThat(stays.message()).isEqualTo("container book: ImagePullBackOff for x:2");
    assertThat(Rollout.decide("r3", Optional.of(rolledBack), true, Optional.empty()).kind()).isEqualTo(Rollout.Kind.WANTED);
  }

  @Test
  void aFailingFirstRevisionHasNothingToRollBackTo() {
    assertThat(Rollout.decide("r1", Optional.of(running("r1", Map.of())), false, PULL).kind()).isEqualTo(Rollout.Kind.WANTED);
  }

  @Test
  void aWebhookTriggeredWorkloadSleepsAfterItsIdlePeriodAndWakesOnALaterWebhook() {
    Duration idle = Duration.ofMinutes(15);
    Instant created = Instant.parse("2026-01-01T00:00:00Z");
    var fresh = running("r1", Map.of());
    SleepSchedule early = SleepSchedule.decide(idle, true, Optional.of(fresh), Optional.empty(), created.plusSeconds(60));
    assertThat(early.asleep()).isFalse();
    assertThat(early.recheckIn()).contains(Duration.ofMinutes(14));
    assertThat(early.annotations()).as("nothing written while it just runs").isEmpty();
    SleepSchedule busy = SleepSchedule.decide(idle, true, Optional.of(fresh), Optional.of(created.plusSeconds(600)),
        created.plusSeconds(960));
    assertThat(busy.asleep()).isFalse();
    assertThat(busy.recheckIn()).contains(Duration.ofSeconds(540));
    SleepSchedule idleNow = SleepSchedule.decide(idle, true, Optional.of(fresh), Optional.of(created.plusSeconds(60)),
        created.plusSeconds(60 + 900));
    assertThat(idleNow.asleep()).isTrue();
    var asleep = running("r1", idleNow.annotations());
    assertThat(SleepSchedule.decide(idle, true, Optional.of(asleep), Optional.of(created.plusSeconds(60)), created.plusSeconds(2000))
        .asleep()).as("an older webhook does not wake it").isTrue();
    SleepSchedule woken = SleepSchedule.decide(idle, true, Optional.of(asleep), Optional.of(created.plusSeconds(1999)),
        created.plusSeconds(2000));
    assertThat(woken.asleep()).isFalse();
    assertThat(woken.annotations()).containsEntry(ManagedLabels.AWAKE_SINCE, created.plusSeconds(2000).toString());
  }

  @Test
  void otherWorkloadsAndAZeroIdlePeriodNeverSleep() {
    var old = running("r1", Map.of());
    Instant much = Instant.parse("2027-01-01T00:00:00Z");
    assertThat(SleepSchedule.decide(Duration.ofMinutes(15), false, Optional.of(old), Optional.empty(), much)).isEqualTo(SleepSchedule.ALWAYS_AWAKE);
    assertThat(SleepSchedule.decide(Duration.ZERO, true, Optional.of(old), Optional.empty(), much)).isEqualTo(SleepSchedule.ALWAYS_AWAKE);
  }
}
