package io.voyager.bdk.localruntime;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.voyager.bdk.model.Conditions;
import java.util.List;
import java.util.Arrays;

/**
 * The status a Deployment would get from kubelet and the deployment controller once its pods run:
 * all requested replicas ready, available and updated, at the observed generation. Pure.
 */
final class DeploymentStatuses {
  private DeploymentStatuses() {}

  /**
   * The status for {@code deployment}; {@code running} says whether its pods (for the local
   * runtime: its backend, when it needs one) are up. Not running means zero ready replicas.
   */
  static DeploymentStatus desired(Deployment deployment, boolean running, String now) {
    int replicas = Selection.replicas(deployment);
    int ready = running ? replicas : 0;
    boolean available = ready >= replicas;
    return new DeploymentStatusBuilder()
        .withObservedGeneration(deployment.getMetadata().getGeneration())
        .withReplicas(replicas)
        .withUpdatedReplicas(replicas)
        .withReadyReplicas(ready)
        .withAvailableReplicas(ready)
        .withUnavailableReplicas(replicas - ready == 0 ? null : replicas - ready)
        .withConditions(
            condition(deployment, "Available", available, available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable", now),
            condition(deployment, "Progressing", true, "NewReplicaSetAvailable", now))
        .build();
  }

  /** True when {@code current} already reports the counts and generation of {@code desired}. */
  static boolean same(DeploymentStatus current, DeploymentStatus desired) {
    return current != null && fingerprint(current).equals(fingerprint(desired));
  }

  /** What the runtime decides about a status: generation, counts and condition states, not times. */
  static List<Object> fingerprint(DeploymentStatus status) {
    return Arrays.asList(
        status.getObservedGeneration(),
        status.getReplicas(),
        status.getUpdatedReplicas(),
        status.getReadyReplicas(),
        status.getAvailableReplicas(),
        conditionStatuses(status));
  }

  private static List<String> conditionStatuses(DeploymentStatus status) {
    return status.getConditions() == null
        ? List.of()
        : status.getConditions().stream().map(c -> c.getType() + "=" + c.getStatus()).sorted().toList();
  }

  /** The condition as it now is; its transition time stays what the Deployment shows while the status holds (bdk-model's Conditions rule). */
  private static DeploymentCondition condition(Deployment deployment, String type, boolean status, String reason, String now) {
    String value = status ? "True" : "False";
    DeploymentCondition previous = deployment.getStatus() == null || deployment.getStatus().getConditions() == null ? null
        : deployment.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    return new DeploymentConditionBuilder()
        .withType(type)
        .withStatus(value)
        .withReason(reason)
        .withMessage("reported by the BDK local runtime")
        .withLastUpdateTime(now)
        .withLastTransitionTime(Conditions.since(previous == null ? null : previous.getStatus(),
            previous == null ? null : previous.getLastTransitionTime(), value, now))
        .build();
  }
}
