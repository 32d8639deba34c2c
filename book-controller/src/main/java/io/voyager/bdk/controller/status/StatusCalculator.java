package io.voyager.bdk.controller.status;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.BookInstanceDefinitionStatus.DeploymentStatus;
import io.voyager.bdk.model.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Computes an instance's status from what is really there: the Deployment's own status, and the
 * gateway's verdict on its webhooks ({@link GatewayVerdict}: the paths the xds-server routes and its
 * {@code WebhooksRouted} condition, mirrored from the ExternalBookDefinition). Pure; the
 * reconciler writes the result only when it differs from the current status in more than
 * timestamps, so a steady state costs no writes.
 *
 * <p>Phases: {@code Failed} when the instance is invalid; {@code Ready} when the Deployment has
 * rolled out its current generation with all replicas ready; otherwise {@code Updating} if the
 * instance had been Ready (a rollout is in progress) and {@code Pending} if it never was. The phase
 * is the workload's; whether the gateway serves the webhooks is told apart by {@code webhooks}
 * (only the paths it routes) and the mirrored {@code WebhooksRouted} condition.
 */
public final class StatusCalculator {
  private StatusCalculator() {}

  public static final String VALID = "Valid";
  public static final String DEPLOYMENT_READY = "DeploymentReady";

  public static BookInstanceDefinitionStatus failed(
      BookInstanceDefinitionStatus previous, Long generation, String reason, String message,
      GatewayVerdict gateway, Instant now) {
    List<Condition> conditions = new ArrayList<>();
    conditions.add(condition(previous, VALID, "False", reason, message, generation, now));
    conditions.add(condition(previous, DEPLOYMENT_READY, "False", reason, "not deployed: " + message, generation, now));
    gateway.instanceCondition(previous, generation, now).ifPresent(conditions::add);
    return new BookInstanceDefinitionStatus(
        BookInstanceDefinitionStatus.FAILED,
        previous == null ? null : previous.deploymentStatus(),
        now.toString(),
        conditions,
        generation,
        gateway.routed());
  }

  public static BookInstanceDefinitionStatus observed(
      BookInstanceDefinitionStatus previous,
      Long generation,
      Optional<Deployment> deployment,
      GatewayVerdict gateway,
      Instant now) {
    int ready = deployment.map(d -> d.getStatus() == null ? null : d.getStatus().getReadyReplicas()).map(StatusCalculator::orZero).orElse(0);
    int total = deployment.map(d -> d.getStatus() == null ? null : d.getStatus().getReplicas()).map(StatusCalculator::orZero).orElse(0);
    boolean rolledOut = deployment.map(StatusCalculator::rolledOut).orElse(false);

    String phase;
    String reason;
    String message;
    if (deployment.isEmpty()) {
      phase = BookInstanceDefinitionStatus.PENDING;
      reason = "DeploymentMissing";
      message = "the Deployment has not been observed yet";
    } else if (rolledOut) {
      phase = BookInstanceDefinitionStatus.READY;
      reason = "MinimumReplicasAvailable";
      message = ready + "/" + desired(deployment.get()) + " replicas ready";
    } else {
      boolean wasRunning = previous != null
          && (BookInstanceDefinitionStatus.READY.equals(previous.phase())
              || BookInstanceDefinitionStatus.UPDATING.equals(previous.phase()));
      phase = wasRunning ? BookInstanceDefinitionStatus.UPDATING : BookInstanceDefinitionStatus.PENDING;
      reason = wasRunning ? "RollingOut" : "ReplicasNotReady";
      message = ready + "/" + desired(deployment.get()) + " replicas ready";
    }
    List<Condition> conditions = new ArrayList<>();
    conditions.add(condition(previous, VALID, "True", "Valid", "the instance and its book are valid", generation, now));
    conditions.add(condition(previous, DEPLOYMENT_READY, rolledOut ? "True" : "False", reason, message, generation, now));
    gateway.instanceCondition(previous, generation, now).ifPresent(conditions::add);
    return new BookInstanceDefinitionStatus(
        phase, new DeploymentStatus(ready, total), now.toString(), conditions, generation, gateway.routed());
  }

  /** Whether {@code next} says anything {@code current} does not, ignoring timestamps. */
  public static boolean differs(BookInstanceDefinitionStatus current, BookInstanceDefinitionStatus next) {
    if (current == null) {
      return true;
    }
    return !Objects.equals(current.phase(), next.phase())
        || !Objects.equals(current.deploymentStatus(), next.deploymentStatus())
        || !Objects.equals(current.observedGeneration(), next.observedGeneration())
        || !Objects.equals(orEmpty(current.webhooks()), orEmpty(next.webhooks()))
        || !Objects.equals(withoutTimes(current.conditions()), withoutTimes(next.conditions()));
  }

  static boolean rolledOut(Deployment d) {
    var s = d.getStatus();
    if (s == null) {
      return false;
    }
    Long generation = d.getMetadata().getGeneration();
    if (generation != null && s.getObservedGeneration() != null && s.getObservedGeneration() < generation) {
      return false;
    }
    int desired = desired(d);
    if (s.getUpdatedReplicas() != null && s.getUpdatedReplicas() < desired) {
      return false;
    }
    return orZero(s.getReadyReplicas()) >= desired && (desired > 0 || orZero(s.getReplicas()) == 0);
  }

  private static int desired(Deployment d) {
    return d.getSpec() == null || d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
  }

  private static Condition condition(
      BookInstanceDefinitionStatus previous, String type, String status, String reason, String message,
      Long generation, Instant now) {
    return Conditions.merge(previous == null ? null : previous.conditions(), type, status, reason, message, generation, now);
  }

  private static List<Condition> withoutTimes(List<Condition> conditions) {
    return Conditions.withoutTimes(conditions);
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static int orZero(Integer i) {
    return i == null ? 0 : i;
  }
}
