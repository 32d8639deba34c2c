package io.voyager.bdk.controller.desired;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which pod template revision a workload's Deployment runs: the one its instances' spec asks for,
 * or — when that revision failed (its pods cannot pull their image, crash-loop, are OOM-killed or
 * miss a config key, or its rollout passed the progress deadline) — the last revision that was
 * Ready, until the spec changes again. Revisions are named by the pod template's config hash
 * ({@link ManagedLabels#CONFIG_HASH}); the Deployment remembers the last Ready one
 * ({@link ManagedLabels#LAST_READY_REVISION}) and the one it rolled back from
 * ({@link ManagedLabels#ROLLED_BACK_FROM}, with {@link ManagedLabels#ROLLBACK_REASON}). A revision
 * that fails before any revision was Ready has nothing to roll back to: it stays, and its status
 * says Failed. Pure.
 *
 * @param kind what the Deployment runs
 * @param wanted the revision the spec asks for
 * @param lastReady the last revision that was Ready, if any
 * @param reason when rolling or rolled back: the failure's Kubernetes reason (ImagePullBackOff, …)
 * @param message when rolling or rolled back: the failure as the status names it
 */
public record Rollout(Kind kind, String wanted, String lastReady, String reason, String message) {

  public enum Kind {
    /** The revision the spec asks for. */
    WANTED,
    /** The wanted revision just failed: go back to the last Ready one now. */
    ROLL_BACK,
    /** Already rolled back from the wanted revision: stay on the last Ready one. */
    ROLLED_BACK
  }

  /** A failure of the revision the spec asks for that rolls it back. */
  public record RevisionFailure(String reason, String message) {}

  /** Whether the Deployment runs the last Ready revision instead of the wanted one. */
  public boolean rolledBack() {
    return kind != Kind.WANTED;
  }

  /** The wanted revision, because the last Ready one cannot be found (its ReplicaSet is gone). */
  public Rollout withoutRollback() {
    return new Rollout(Kind.WANTED, wanted, lastReady, null, null);
  }

  /**
   * @param wanted the config hash of the pod template the spec asks for
   * @param live the Deployment as it is, if it exists
   * @param liveReady whether the live Deployment's current template is rolled out with every
   *     replica ready and no failure (then it becomes the last Ready revision)
   * @param wantedFailure a failure of the wanted revision's pods or rollout, if one was seen
   */
  public static Rollout decide(String wanted, Optional<Deployment> live, boolean liveReady, Optional<RevisionFailure> wantedFailure) {
    if (live.isEmpty()) {
      return new Rollout(Kind.WANTED, wanted, null, null, null);
    }
    Deployment d = live.get();
    String running = templateRevision(d);
    // The last Ready revision is written down when the template changes away from it — in the same
    // write, since any change of a Deployment's annotations bumps its generation (the Deployment
    // controller copies them to ReplicaSets) and an extra write would read as a rollout in progress.
    String lastReady = liveReady && running != null && !running.equals(wanted)
        ? running : annotation(d, ManagedLabels.LAST_READY_REVISION);
    if (wanted.equals(annotation(d, ManagedLabels.ROLLED_BACK_FROM)) && lastReady != null && !lastReady.equals(wanted)) {
      String reason = annotation(d, ManagedLabels.ROLLBACK_REASON);
      int colon = reason == null ? -1 : reason.indexOf(": ");
      return new Rollout(Kind.ROLLED_BACK, wanted, lastReady,
          colon < 0 ? "RevisionFailed" : reason.substring(0, colon), colon < 0 ? reason : reason.substring(colon + 2));
    }
    if (wanted.equals(running) && lastReady != null && !lastReady.equals(wanted) && wantedFailure.isPresent()) {
      return new Rollout(Kind.ROLL_BACK, wanted, lastReady, wantedFailure.get().reason(), wantedFailure.get().message());
    }
    return new Rollout(Kind.WANTED, wanted, lastReady, null, null);
  }

  /** The annotations the Deployment carries for this rollout (only those that have a value). */
  public Map<String, String> annotations() {
    Map<String, String> a = new TreeMap<>();
    if (lastReady != null) {
      a.put(ManagedLabels.LAST_READY_REVISION, lastReady);
    }
    if (rolledBack()) {
      a.put(ManagedLabels.ROLLED_BACK_FROM, wanted);
      a.put(ManagedLabels.ROLLBACK_REASON, reason + ": " + message);
    }
    return a;
  }

  /** The config hash of a Deployment's pod template. */
  public static String templateRevision(Deployment d) {
    var template = d.getSpec() == null ? null : d.getSpec().getTemplate();
    var annotations = template == null || template.getMetadata() == null ? null : template.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(ManagedLabels.CONFIG_HASH);
  }

  private static String annotation(Deployment d, String key) {
    var annotations = d.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }
}
