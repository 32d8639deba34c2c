package io.voyager.bdk.controller.desired;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.util.Optional;

/**
 * What a workload's Deployment takes from what happened to it rather than from its instances'
 * spec alone: the revision it runs ({@link Rollout}, with the last Ready pod template when it is
 * rolled back), whether it sleeps ({@link SleepSchedule}), and whether it serves (for its wake
 * Lease's {@code ready}).
 *
 * @param configHash the config hash of the pod template the spec asks for
 * @param rolledBackTemplate the last Ready revision's pod template, when {@code rollout} rolls back
 * @param serving whether the workload has a ready replica and is not asleep
 */
public record WorkloadRuntime(
    String configHash, Rollout rollout, Optional<PodTemplateSpec> rolledBackTemplate, SleepSchedule sleep, boolean serving) {

  /** A workload whose Deployment is exactly what its spec asks for, awake. */
  public static WorkloadRuntime asSpecified(String configHash) {
    return new WorkloadRuntime(configHash, new Rollout(Rollout.Kind.WANTED, configHash, null, null, null), Optional.empty(),
        SleepSchedule.ALWAYS_AWAKE, false);
  }
}
