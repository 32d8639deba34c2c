package io.voyager.bdk.controller.status;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.voyager.bdk.controller.desired.ManagedLabels;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Why a workload's pods do not run, read the way kubelet and the controller-manager report it: a
 * container waiting in CrashLoopBackOff, ImagePullBackOff/ErrImagePull/InvalidImageName,
 * CreateContainerConfigError/CreateContainerError, a container OOM-killed, a pod the scheduler
 * cannot place (PodScheduled=False, Unschedulable), and on the Deployment a rollout past its
 * progress deadline (Progressing=False, ProgressDeadlineExceeded) or pods it cannot create
 * (ReplicaFailure=True, e.g. over the namespace's quota). Each failure names the container (or
 * pod) and the cause — "container book: ImagePullBackOff for voyager/book-runtime-python:3.11" —
 * and the revision (the pod template's config hash) it was seen in, so a failing new revision can
 * be told from an old one. The same failure in several pods is reported once, with the count. Pure;
 * messages come from the API objects and never contain a credential's value (kubelet names keys
 * and Secrets, not values).
 */
public final class RuntimeFailures {
  private RuntimeFailures() {}

  /** Reasons kubelet gives a waiting container that will not start on its own. */
  static final Set<String> WAITING_FAILURES = Set.of(
      "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
      "CreateContainerConfigError", "CreateContainerError", "RunContainerError");
  private static final Set<String> IMAGE_FAILURES = Set.of("ImagePullBackOff", "ErrImagePull", "InvalidImageName");
  /** Most distinct failures named in one message. */
  static final int MAX_NAMED = 3;
  private static final int MAX_DETAIL = 300;

  /**
   * One cause of a workload not running.
   *
   * @param reason the Kubernetes reason (CrashLoopBackOff, OOMKilled, Unschedulable, …)
   * @param message what failed and why, naming the container or pod
   * @param revision the config hash of the pod template it was seen in; null for the Deployment's own conditions
   * @param immediate whether it cannot be expected to pass without a change (an image that does not
   *     exist, a crash loop, a missing config key); unschedulable pods may get a node from a cluster
   *     autoscaler and count only once the progress deadline says so
   * @param pods in how many pods it was seen (1 for the Deployment's conditions)
   */
  public record Failure(String reason, String message, String revision, boolean immediate, int pods) {
    /** The message with the pod count when more than one pod shows it. */
    public String describe() {
      return pods > 1 ? message + " (" + pods + " pods)" : message;
    }
  }

  /** Every failure of the workload's Deployment and its pods (terminating pods excluded), most frequent first. */
  public static List<Failure> of(Deployment deployment, List<Pod> pods) {
    Map<String, Failure> found = new LinkedHashMap<>();
    if (deployment != null && deployment.getStatus() != null && deployment.getStatus().getConditions() != null) {
      for (DeploymentCondition c : deployment.getStatus().getConditions()) {
        if ("Progressing".equals(c.getType()) && "False".equals(c.getStatus()) && "ProgressDeadlineExceeded".equals(c.getReason())) {
          add(found, new Failure("ProgressDeadlineExceeded",
              "the rollout exceeded its progress deadline" + detail(c.getMessage()), null, true, 1));
        }
        if ("ReplicaFailure".equals(c.getType()) && "True".equals(c.getStatus())) {
          add(found, new Failure(Objects.toString(c.getReason(), "FailedCreate"),
              "pods cannot be created" + detail(c.getMessage()), null, true, 1));
        }
      }
    }
    for (Pod pod : pods) {
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      ofPod(pod).forEach(f -> add(found, f));
    }
    return found.values().stream()
        .sorted(Comparator.comparingInt(Failure::pods).reversed())
        .toList();
  }

  /** The failures one pod shows. */
  static List<Failure> ofPod(Pod pod) {
    List<Failure> failures = new ArrayList<>();
    String revision = revision(pod);
    var status = pod.getStatus();
    if (status == null) {
      return failures;
    }
    if (status.getConditions() != null) {
      for (PodCondition c : status.getConditions()) {
        if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason())) {
          failures.add(new Failure("Unschedulable", "pods cannot be scheduled" + detail(c.getMessage()), revision, false, 1));
        }
      }
    }
    List<ContainerStatus> containers = new ArrayList<>();
    if (status.getInitContainerStatuses() != null) {
      containers.addAll(status.getInitContainerStatuses());
    }
    if (status.getContainerStatuses() != null) {
      containers.addAll(status.getContainerStatuses());
    }
    for (ContainerStatus c : containers) {
      failureOf(c, revision).ifPresent(failures::add);
    }
    return failures;
  }

  private static Optional<Failure> failureOf(ContainerStatus c, String revision) {
    String container = "container " + c.getName() + ": ";
    var waiting = c.getState() == null ? null : c.getState().getWaiting();
    var terminated = c.getState() == null ? null : c.getState().getTerminated();
    var last = c.getLastState() == null ? null : c.getLastState().getTerminated();
    int restarts = c.getRestartCount() == null ? 0 : c.getRestartCount();
    if (terminated != null && "OOMKilled".equals(terminated.getReason())) {
      return Optional.of(new Failure("OOMKilled", container + "OOMKilled: it used more memory than its limit"
          + restarts(restarts), revision, true, 1));
    }
    if (waiting == null || waiting.getReason() == null || !WAITING_FAILURES.contains(waiting.getReason())) {
      return Optional.empty();
    }
    String reason = waiting.getReason();
    if (IMAGE_FAILURES.contains(reason)) {
      String image = c.getImage() == null || c.getImage().isEmpty() ? "its image" : c.getImage();
      return Optional.of(new Failure(reason, container + reason + " for " + image, revision, true, 1));
    }
    if ("CrashLoopBackOff".equals(reason)) {
      if (last != null && "OOMKilled".equals(last.getReason())) {
        return Optional.of(new Failure("OOMKilled", container + "OOMKilled: it used more memory than its limit, "
            + "restarting in CrashLoopBackOff" + restarts(restarts), revision, true, 1));
      }
      String exit = last == null ? "" : " after exit code " + last.getExitCode()
          + (last.getReason() == null ? "" : " (" + last.getReason() + ")");
      return Optional.of(new Failure(reason, container + "CrashLoopBackOff" + exit + restarts(restarts),
          revision, true, 1));
    }
    return Optional.of(new Failure(reason, container + reason + detail(waiting.getMessage()), revision, true, 1));
  }

  /** The pod template revision a pod belongs to: its config hash annotation. */
  static String revision(Pod pod) {
    var annotations = pod.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(ManagedLabels.CONFIG_HASH);
  }

  private static String restarts(int restarts) {
    return restarts <= 0 ? "" : ", " + restarts + (restarts == 1 ? " restart" : " restarts");
  }

  private static String detail(String message) {
    if (message == null || message.isBlank()) {
      return "";
    }
    String m = message.strip();
    return ": " + (m.length() > MAX_DETAIL ? m.substring(0, MAX_DETAIL - 1) + "…" : m);
  }

  private static void add(Map<String, Failure> found, Failure f) {
    String key = f.reason() + "\u0000" + f.message() + "\u0000" + f.revision();
    found.merge(key, f, (a, b) -> new Failure(a.reason(), a.message(), a.revision(), a.immediate(), a.pods() + b.pods()));
  }

  /**
   * What about a pod matters to its instance's status — phase, conditions, container states and
   * restarts, deletion — so a pod update that changes none of it (a new resourceVersion, a probe's
   * timestamp) reconciles nothing.
   */
  public static String signature(Pod pod) {
    StringBuilder s = new StringBuilder();
    s.append(pod.getMetadata().getDeletionTimestamp() != null).append('|').append(revision(pod)).append('|');
    var status = pod.getStatus();
    if (status == null) {
      return s.toString();
    }
    s.append(status.getPhase()).append('|');
    if (status.getConditions() != null) {
      status.getConditions().forEach(c -> s.append(c.getType()).append('=').append(c.getStatus()).append(':')
          .append(c.getReason()).append(','));
    }
    List<ContainerStatus> containers = new ArrayList<>();
    if (status.getInitContainerStatuses() != null) {
      containers.addAll(status.getInitContainerStatuses());
    }
    if (status.getContainerStatuses() != null) {
      containers.addAll(status.getContainerStatuses());
    }
    for (ContainerStatus c : containers) {
      s.append('|').append(c.getName()).append(':').append(c.getReady()).append(':').append(c.getRestartCount());
      var state = c.getState();
      if (state != null && state.getWaiting() != null) {
        s.append(":w=").append(state.getWaiting().getReason());
      }
      if (state != null && state.getTerminated() != null) {
        s.append(":t=").append(state.getTerminated().getReason());
      }
    }
    return s.toString();
  }
}
