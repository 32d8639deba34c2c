package io.voyager.bdk.controller;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.voyager.bdk.controller.desired.ManagedLabels;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Plays the controller-manager and kubelet beside a bare kube-apiserver, which runs neither: makes
 * a Deployment's ReplicaSet (owned by the Deployment, its template with a pod-template-hash label)
 * and that ReplicaSet's pods (owned by it, with the template's labels and annotations), and writes
 * pod and Deployment statuses the way kubelet and the deployment controller report them — through
 * their status subresources.
 */
final class Kubelet {
  private final KubernetesClient client;
  private final String namespace;

  Kubelet(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /** The ReplicaSet the deployment controller makes for the Deployment's current template (revision {@code revision}). */
  ReplicaSet replicaSet(Deployment d, int revision) {
    String hash = Integer.toHexString(d.getSpec().getTemplate().getMetadata().getAnnotations()
        .get(ManagedLabels.CONFIG_HASH).hashCode() & 0x7fffffff);
    Map<String, String> labels = new HashMap<>(d.getSpec().getTemplate().getMetadata().getLabels());
    labels.put("pod-template-hash", hash);
    ReplicaSet rs = new ReplicaSetBuilder()
        .withNewMetadata()
        .withName(d.getMetadata().getName() + "-" + hash)
        .withNamespace(namespace)
        .withLabels(labels)
        .addToAnnotations("deployment.kubernetes.io/revision", Integer.toString(revision))
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("Deployment")
            .withName(d.getMetadata().getName()).withUid(d.getMetadata().getUid()).withController(true).build())
        .endMetadata()
        .withNewSpec()
        .withReplicas(d.getSpec().getReplicas())
        .withNewSelector().addToMatchLabels(d.getSpec().getSelector().getMatchLabels()).addToMatchLabels("pod-template-hash", hash)
        .endSelector()
        .withNewTemplateLike(d.getSpec().getTemplate()).editMetadata().withLabels(labels).endMetadata().endTemplate()
        .endSpec()
        .build();
    return client.apps().replicaSets().inNamespace(namespace).resource(rs).create();
  }

  /** A pod of {@code rs}, as the ReplicaSet controller makes it (not scheduled yet, no status). */
  Pod pod(ReplicaSet rs, String suffix) {
    var template = rs.getSpec().getTemplate();
    Pod pod = new PodBuilder()
        .withNewMetadata()
        .withName(rs.getMetadata().getName() + "-" + suffix)
        .withNamespace(namespace)
        .withLabels(template.getMetadata().getLabels())
        .withAnnotations(template.getMetadata().getAnnotations())
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("ReplicaSet")
            .withName(rs.getMetadata().getName()).withUid(rs.getMetadata().getUid()).withController(true).build())
        .endMetadata()
        .withSpec(template.getSpec())
        .build();
    return client.pods().inNamespace(namespace).resource(pod).create();
  }

  /** Kubelet reports {@code pod} running with every container ready. */
  void running(Pod pod) {
    List<ContainerStatus> statuses = new ArrayList<>();
    for (var c : pod.getSpec().getContainers()) {
      statuses.add(new ContainerStatusBuilder().withName(c.getName()).withImage(c.getImage()).withReady(true).withStarted(true)
          .withRestartCount(0).withState(new ContainerStateBuilder().withNewRunning().withStartedAt(now()).endRunning().build())
          .build());
    }
    status(pod, new PodStatusBuilder().withPhase("Running")
        .withConditions(condition("PodScheduled", "True", null, null), condition("Ready", "True", null, null))
        .withContainerStatuses(statuses).build());
  }

  /** Kubelet reports {@code container} of {@code pod} waiting with {@code reason} (the others running and ready). */
  void waiting(Pod pod, String container, String reason, String message, int restarts, String lastTerminatedReason) {
    List<ContainerStatus> statuses = new ArrayList<>();
    for (var c : pod.getSpec().getContainers()) {
      ContainerStatusBuilder s = new ContainerStatusBuilder().withName(c.getName()).withImage(c.getImage());
      if (c.getName().equals(container)) {
        s.withReady(false).withStarted(false).withRestartCount(restarts)
            .withState(new ContainerStateBuilder().withNewWaiting().withReason(reason).withMessage(message).endWaiting().build());
        if (lastTerminatedReason != null) {
          s.withLastState(new ContainerStateBuilder().withNewTerminated().withReason(lastTerminatedReason)
              .withExitCode("OOMKilled".equals(lastTerminatedReason) ? 137 : 1).withFinishedAt(now()).endTerminated().build());
        }
      } else {
        s.withReady(true).withStarted(true).withRestartCount(0)
            .withState(new ContainerStateBuilder().withNewRunning().withStartedAt(now()).endRunning().build());
      }
      statuses.add(s.build());
    }
    status(pod, new PodStatusBuilder().withPhase("Pending".equals(reason) ? "Pending" : "Running")
        .withConditions(condition("PodScheduled", "True", null, null), condition("Ready", "False", "ContainersNotReady", null))
        .withContainerStatuses(statuses).build());
  }

  /** The scheduler cannot place {@code pod}. */
  void unschedulable(Pod pod, String message) {
    status(pod, new PodStatusBuilder().withPhase("Pending")
        .withConditions(condition("PodScheduled", "False", "Unschedulable", message)).build());
  }

  /**
   * The deployment controller's report: {@code ready} of the Deployment's replicas ready,
   * {@code updated} on its current template, at its current generation, with {@code conditions}
   * (type, status, reason, message, four strings each).
   */
  void deploymentStatus(String name, int ready, int updated, String... conditions) {
    await().atMost(ControllerHarness.WAIT).ignoreExceptions().until(() -> {
      Deployment d = client.apps().deployments().inNamespace(namespace).withName(name).get();
      int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
      var status = new DeploymentStatusBuilder().withObservedGeneration(d.getMetadata().getGeneration())
          .withReplicas(Math.max(replicas, ready)).withReadyReplicas(ready).withAvailableReplicas(ready).withUpdatedReplicas(updated);
      for (int i = 0; i + 3 < conditions.length; i += 4) {
        status.addToConditions(new DeploymentConditionBuilder().withType(conditions[i]).withStatus(conditions[i + 1])
            .withReason(conditions[i + 2]).withMessage(conditions[i + 3]).withLastUpdateTime(now()).withLastTransitionTime(now()).build());
      }
      d.setStatus(status.build());
      return client.resource(d).updateStatus() != null;
    });
  }

  /** The pod is being deleted (as when its ReplicaSet is scaled down). */
  void delete(Pod pod) {
    client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
  }

  private void status(Pod pod, PodStatus status) {
    await().atMost(ControllerHarness.WAIT).ignoreExceptions().until(() -> {
      Pod live = client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).get();
      live.setStatus(status);
      return client.resource(live).updateStatus() != null;
    });
  }

  private static io.fabric8.kubernetes.api.model.PodCondition condition(String type, String status, String reason, String message) {
    return new PodConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
        .withLastTransitionTime(now()).build();
  }

  private static String now() {
    return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
  }
}
