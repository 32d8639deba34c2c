package io.voyager.bdk.controller.status;

import io.voyager.bdk.model.Conditions;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.voyager.bdk.controller.desired.Rollout;
import io.voyager.bdk.controller.desired.SleepSchedule;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.BookInstanceDefinitionStatus.DeploymentStatus;
import io.voyager.bdk.model.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Computes an instance's status from what is really there: the Deployment's status and its pods'
 * (through {@link RuntimeFailures}), the revision it runs ({@link Rollout}), whether it sleeps
 * ({@link SleepSchedule}), its credentials and Tailscale sidecar, and the gateway's verdict on its
 * webhooks ({@link GatewayVerdict}). Pure; the reconciler writes the result only when it differs
 * from the current status in more than timestamps, so a steady state costs no writes.
 *
 * <p>Phases, first match wins:
 * <ul>
 *   <li>{@code Failed}: the instance is invalid; or a runtime failure is known (a container that
 *       cannot pull its image, crash-loops, is OOM-killed or misses a config key; pods that cannot
 *       be scheduled or created; a rollout past its progress deadline; a Tailscale sidecar in
 *       another tailnet than the spec names) and no replica is ready;</li>
 *   <li>{@code Degraded}: the book serves (a replica is ready) but a runtime failure is known, or it
 *       runs its last Ready revision because the spec's revision failed ({@code RolledBack});</li>
 *   <li>{@code Sleeping}: a webhook-triggered book scaled to zero after its idle period;</li>
 *   <li>{@code Waking}: woken by a webhook, not ready yet;</li>
 *   <li>{@code Ready}: the Deployment rolled out its current generation with all replicas ready;</li>
 *   <li>{@code Updating} if the instance had been running (Ready, Degraded, Updating), else
 *       {@code Pending} — including while an external credential is awaited.</li>
 * </ul>
 * Conditions: {@code Valid}, {@code DeploymentReady} (its reason and message name the failure's
 * container and cause), {@code RolledBack} (only while rolled back), {@code CredentialsReady} (only
 * while an external credential is missing), {@code TailscaleReady} (with Tailscale on) and the
 * gateway's {@code WebhooksRouted}.
 */
public final class StatusCalculator {
  private StatusCalculator() {}

  public static final String VALID = "Valid";
  public static final String DEPLOYMENT_READY = "DeploymentReady";
  public static final String ROLLED_BACK = "RolledBack";
  public static final String CREDENTIALS_READY = "CredentialsReady";
  public static final String TAILSCALE_READY = "TailscaleReady";

  /**
   * What was observed of an instance's workload.
   *
   * @param deployment its Deployment, if it exists
   * @param failures its runtime failures ({@link RuntimeFailures#of})
   * @param rollout the revision it runs
   * @param sleep whether it sleeps
   * @param missingCredentials external credentials whose key the Secret does not hold yet (nothing is deployed until they are there)
   * @param credentialsSecret namespace/name of the credentials Secret, for the message
   * @param tailscale the sidecar's state, with Tailscale on
   */
  public record Observed(
      Optional<Deployment> deployment,
      List<RuntimeFailures.Failure> failures,
      Rollout rollout,
      SleepSchedule sleep,
      List<String> missingCredentials,
      String credentialsSecret,
      Optional<TailscaleState> tailscale) {

    /** A workload with nothing more known than its Deployment. */
    public static Observed of(Optional<Deployment> deployment) {
      return new Observed(deployment, List.of(), new Rollout(Rollout.Kind.WANTED, "", null, null, null),
          SleepSchedule.ALWAYS_AWAKE, List.of(), null, Optional.empty());
    }
  }

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

  /** The status of a valid instance from its Deployment alone (no pods, rollout, sleep or Tailscale known). */
  public static BookInstanceDefinitionStatus observed(
      BookInstanceDefinitionStatus previous, Long generation, Optional<Deployment> deployment, GatewayVerdict gateway,
      Instant now) {
    return observed(previous, generation, Observed.of(deployment), gateway, now);
  }

  public static BookInstanceDefinitionStatus observed(
      BookInstanceDefinitionStatus previous, Long generation, Observed o, GatewayVerdict gateway, Instant now) {
    Optional<Deployment> deployment = o.deployment();
    int ready = deployment.map(d -> d.getStatus() == null ? null : d.getStatus().getReadyReplicas()).map(StatusCalculator::orZero).orElse(0);
    int total = deployment.map(d -> d.getStatus() == null ? null : d.getStatus().getReplicas()).map(StatusCalculator::orZero).orElse(0);
    boolean rolledOut = deployment.map(StatusCalculator::rolledOut).orElse(false);
    String previousPhase = previous == null ? null : previous.phase();

    List<RuntimeFailures.Failure> failures = new ArrayList<>(o.failures());
    o.tailscale().flatMap(TailscaleState::failure).ifPresent(failures::add);

    String phase;
    String reason;
    String message;
    String counts = deployment.map(d -> ready + "/" + desired(d) + " replicas ready").orElse("");
    if (!o.missingCredentials().isEmpty()) {
      phase = wasRunning(previousPhase) && rolledOut ? previousPhase : BookInstanceDefinitionStatus.PENDING;
      reason = "CredentialMissing";
      message = "waiting for " + missing(o) + (deployment.isPresent() ? "; " + counts : "");
    } else if (deployment.isEmpty()) {
      phase = BookInstanceDefinitionStatus.PENDING;
      reason = "DeploymentMissing";
      message = "the Deployment has not been observed yet";
    } else if (!failures.isEmpty()) {
      phase = ready > 0 ? BookInstanceDefinitionStatus.DEGRADED : BookInstanceDefinitionStatus.FAILED;
      reason = failures.get(0).reason();
      message = failures.stream().limit(RuntimeFailures.MAX_NAMED).map(RuntimeFailures.Failure::describe)
          .collect(Collectors.joining("; ")) + (failures.size() > RuntimeFailures.MAX_NAMED
              ? "; and " + (failures.size() - RuntimeFailures.MAX_NAMED) + " more" : "") + "; " + counts;
    } else if (o.sleep().asleep()) {
      phase = BookInstanceDefinitionStatus.SLEEPING;
      reason = "Sleeping";
      message = "scaled to zero after its idle period (asleep since " + o.sleep().since() + "); the next webhook wakes it";
    } else if (rolledOut && o.rollout().rolledBack()) {
      phase = BookInstanceDefinitionStatus.DEGRADED;
      reason = "RolledBack";
      message = "running the last Ready revision instead of the spec's, which failed; " + counts;
    } else if (rolledOut) {
      phase = BookInstanceDefinitionStatus.READY;
      reason = "MinimumReplicasAvailable";
      message = counts;
    } else if (BookInstanceDefinitionStatus.SLEEPING.equals(previousPhase) || BookInstanceDefinitionStatus.WAKING.equals(previousPhase)) {
      phase = BookInstanceDefinitionStatus.WAKING;
      reason = "Waking";
      message = "woken by a webhook; " + counts;
    } else {
      boolean running = wasRunning(previousPhase);
      phase = running ? BookInstanceDefinitionStatus.UPDATING : BookInstanceDefinitionStatus.PENDING;
      reason = running ? "RollingOut" : "ReplicasNotReady";
      message = counts;
    }
    boolean deploymentReady = rolledOut && failures.isEmpty() && o.missingCredentials().isEmpty() && !o.sleep().asleep()
        && !o.rollout().rolledBack();

    List<Condition> conditions = new ArrayList<>();
    conditions.add(condition(previous, VALID, "True", "Valid", "the instance and its book are valid", generation, now));
    conditions.add(condition(previous, DEPLOYMENT_READY, deploymentReady ? "True" : "False", reason, message, generation, now));
    if (o.rollout().rolledBack()) {
      conditions.add(condition(previous, ROLLED_BACK, "True", o.rollout().reason(),
          "the spec's revision failed (" + o.rollout().message() + "); running the last Ready revision until the instance changes",
          generation, now));
    }
    if (!o.missingCredentials().isEmpty()) {
      conditions.add(condition(previous, CREDENTIALS_READY, "False", "CredentialMissing",
          "waiting for " + missing(o) + ": credentials with source 'external' are written outside the library "
              + "(e.g. by External Secrets); the instance deploys once the key holds a value", generation, now));
    }
    o.tailscale().ifPresent(ts -> conditions.add(
        condition(previous, TAILSCALE_READY, ts.ready() ? "True" : "False", ts.reason(), ts.message(), generation, now)));
    gateway.instanceCondition(previous, generation, now).ifPresent(conditions::add);
    return new BookInstanceDefinitionStatus(
        phase, new DeploymentStatus(ready, total), now.toString(), conditions, generation, gateway.routed());
  }

  private static String missing(Observed o) {
    return (o.missingCredentials().size() == 1 ? "key " : "keys ")
        + o.missingCredentials().stream().map(k -> "'" + k + "'").collect(Collectors.joining(", "))
        + " in Secret " + o.credentialsSecret();
  }

  private static boolean wasRunning(String phase) {
    return BookInstanceDefinitionStatus.READY.equals(phase)
        || BookInstanceDefinitionStatus.UPDATING.equals(phase)
        || BookInstanceDefinitionStatus.DEGRADED.equals(phase);
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

  /** Whether the Deployment rolled out its current generation with every desired replica ready. */
  public static boolean rolledOut(Deployment d) {
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

  /** Whether the Deployment has a ready replica. */
  public static boolean serving(Deployment d) {
    return d.getStatus() != null && orZero(d.getStatus().getReadyReplicas()) > 0
        && d.getSpec() != null && d.getSpec().getReplicas() != null && d.getSpec().getReplicas() > 0;
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
