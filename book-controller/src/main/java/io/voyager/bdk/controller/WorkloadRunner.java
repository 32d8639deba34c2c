package io.voyager.bdk.controller;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.voyager.bdk.controller.apply.RevisionHistory;
import io.voyager.bdk.controller.apply.WorkloadApplier;
import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.ManagedLabels;
import io.voyager.bdk.controller.desired.Rollout;
import io.voyager.bdk.controller.desired.SleepSchedule;
import io.voyager.bdk.controller.desired.ValidInstance;
import io.voyager.bdk.controller.desired.Workload;
import io.voyager.bdk.controller.desired.WorkloadNames;
import io.voyager.bdk.controller.desired.WorkloadRuntime;
import io.voyager.bdk.controller.status.RuntimeFailures;
import io.voyager.bdk.controller.status.StatusCalculator;
import io.voyager.bdk.controller.status.TailscaleState;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.model.DeploymentType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one workload for a reconcile: reads what its Deployment and pods show (runtime failures),
 * decides the revision it runs (rolling a failed new revision back to the last Ready one) and
 * whether it sleeps, applies it, and hands back what its instances' status is computed from. All
 * reads are informer caches, except the one ReplicaSet list a rollback needs.
 */
final class WorkloadRunner {
  private static final Logger log = LoggerFactory.getLogger(WorkloadRunner.class);

  private final ControllerSettings settings;
  private final SecondaryCaches caches;
  private final WorkloadApplier workloads;
  private final RevisionHistory revisions;
  private final Clock clock;

  WorkloadRunner(ControllerSettings settings, SecondaryCaches caches, WorkloadApplier workloads, RevisionHistory revisions,
      Clock clock) {
    this.settings = settings;
    this.caches = caches;
    this.workloads = workloads;
    this.revisions = revisions;
    this.clock = clock;
  }

  /**
   * What a run applied and observed.
   *
   * @param keys the objects applied ({@code Kind/namespace/name})
   * @param deployment the Deployment as it now is
   * @param failures its runtime failures
   * @param rollout the revision it runs
   * @param sleep whether it sleeps, and when to look again
   * @param tailscale its sidecar's state, with Tailscale on
   */
  record Run(Set<String> keys, Optional<Deployment> deployment, List<RuntimeFailures.Failure> failures, Rollout rollout,
      SleepSchedule sleep, Optional<TailscaleState> tailscale) {

    /** What {@code instance}'s status is computed from, with nothing missing. */
    StatusCalculator.Observed observed(ValidInstance instance) {
      return new StatusCalculator.Observed(deployment, failures, rollout, sleep, List.of(),
          instance.customerNamespace() + "/" + instance.credentialsSecretName(), tailscale);
    }

    /** When to reconcile again if nothing happens (an awake sleeper's idle check). */
    Optional<Duration> recheckIn() {
      return sleep.recheckIn();
    }
  }

  Run run(Workload w) {
    String namespace = w.namespace();
    String name = w.name();
    Optional<Deployment> live = caches.of(Deployment.class).get(new ResourceID(name, namespace));
    List<Pod> pods = caches.podsOf(namespace, name);
    List<RuntimeFailures.Failure> failures = RuntimeFailures.of(live.orElse(null), pods);

    Deployment wanted = workloads.wanted(w);
    String revision = Rollout.templateRevision(wanted);
    boolean liveReady = live.map(d -> StatusCalculator.rolledOut(d) && failures.isEmpty()).orElse(false);
    Optional<Rollout.RevisionFailure> wantedFailure = failures.stream()
        .filter(f -> f.immediate() && (f.revision() == null || f.revision().equals(revision)))
        .findFirst()
        .map(f -> new Rollout.RevisionFailure(f.reason(), f.describe()));
    Rollout rollout = Rollout.decide(revision, live, liveReady, wantedFailure);
    Optional<PodTemplateSpec> template = Optional.empty();
    if (rollout.rolledBack()) {
      template = revisions.template(namespace, name, rollout.lastReady());
      if (template.isEmpty()) {
        rollout = rollout.withoutRollback();
      } else if (rollout.kind() == Rollout.Kind.ROLL_BACK) {
        log.warn("event=workload_rolled_back namespace={} workload={} failed_revision={} to_revision={} reason={} message=\"{}\"",
            namespace, name, revision, rollout.lastReady(), rollout.reason(), rollout.message());
      }
    } else {
      revisions.forget(namespace, name);
    }

    Optional<Instant> lastWebhook = caches.of(Lease.class).get(new ResourceID(WorkloadNames.wakeLease(name), namespace))
        .map(l -> l.getMetadata().getAnnotations() == null ? null : l.getMetadata().getAnnotations().get(BookWake.LAST_WEBHOOK))
        .flatMap(SleepSchedule::time);
    SleepSchedule sleep = SleepSchedule.decide(
        settings.sleepAfter(), w.type() == DeploymentType.WEBHOOK_TRIGGERED, live, lastWebhook, clock.instant());
    logSleepChange(w, live, sleep);
    boolean serving = !sleep.asleep() && live.map(StatusCalculator::serving).orElse(false);

    Set<String> keys = workloads.apply(w, wanted, new WorkloadRuntime(revision, rollout, template, sleep, serving));
    Optional<Deployment> now = caches.of(Deployment.class).get(new ResourceID(name, namespace));
    Optional<TailscaleState> tailscale = Optional.empty();
    if (w.lead().tailscaleEnabled()) {
      Optional<Secret> state = caches.of(Secret.class).get(new ResourceID(WorkloadNames.tailscaleState(name), namespace));
      tailscale = Optional.of(TailscaleState.of(w.lead().spec().networking().tailscale().tailnet(), state, pods));
    }
    return new Run(keys, now, failures, rollout, sleep, tailscale);
  }

  private static void logSleepChange(Workload w, Optional<Deployment> live, SleepSchedule sleep) {
    boolean wasAsleep = live.map(d -> d.getMetadata().getAnnotations() != null
        && d.getMetadata().getAnnotations().containsKey(ManagedLabels.ASLEEP_SINCE)).orElse(false);
    if (sleep.asleep() && !wasAsleep) {
      log.info("event=workload_sleeping namespace={} workload={}", w.namespace(), w.name());
    } else if (!sleep.asleep() && wasAsleep) {
      log.info("event=workload_waking namespace={} workload={}", w.namespace(), w.name());
    }
  }
}
