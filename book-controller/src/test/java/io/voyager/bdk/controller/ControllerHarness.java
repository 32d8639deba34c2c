package io.voyager.bdk.controller;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import java.time.Duration;
import java.util.Optional;

/** Starts a controller against the mock API server and reads what it made. */
final class ControllerHarness {
  static final Duration WAIT = Duration.ofSeconds(20);

  static BookController start(KubernetesClient client) {
    return BookController.start(client, ControllerSettings.defaults(), new SimpleMeterRegistry(), Optional.empty(), 2);
  }

  static BookInstanceDefinition create(KubernetesClient client, BookInstanceDefinition instance) {
    return client.resource(instance).create();
  }

  static BookInstanceDefinition get(KubernetesClient client, String name) {
    return client.resources(BookInstanceDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).get();
  }

  static String phase(KubernetesClient client, String name) {
    BookInstanceDefinition i = get(client, name);
    return i == null || i.getStatus() == null ? null : i.getStatus().phase();
  }

  static BookInstanceDefinitionStatus awaitPhase(KubernetesClient client, String name, String phase) {
    await().atMost(WAIT).until(() -> phase.equals(phase(client, name)));
    return get(client, name).getStatus();
  }

  static Deployment awaitDeployment(KubernetesClient client, String namespace, String name) {
    return await().atMost(WAIT).until(
        () -> client.apps().deployments().inNamespace(namespace).withName(name).get(), d -> d != null);
  }

  /** No pods run in the mock server: report the Deployment's replicas ready, as the kubelet would. */
  static void markReady(KubernetesClient client, String namespace, String name) {
    Deployment d = client.apps().deployments().inNamespace(namespace).withName(name).get();
    int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    d.setStatus(new DeploymentStatusBuilder()
        .withReplicas(replicas).withReadyReplicas(replicas).withUpdatedReplicas(replicas).withAvailableReplicas(replicas)
        .withObservedGeneration(d.getMetadata().getGeneration())
        .build());
    client.resource(d).updateStatus();
  }

  static String configHash(KubernetesClient client, String namespace, String name) {
    Deployment d = client.apps().deployments().inNamespace(namespace).withName(name).get();
    return d == null ? null : d.getSpec().getTemplate().getMetadata().getAnnotations().get(ManagedLabels.CONFIG_HASH);
  }
}
