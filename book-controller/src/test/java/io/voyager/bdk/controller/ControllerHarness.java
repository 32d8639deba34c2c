package io.voyager.bdk.controller;

import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.ManagedLabels;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import java.time.Duration;
import java.util.Optional;
import org.awaitility.core.ConditionTimeoutException;

/** Starts a controller against the test API server, edits instances as a client would, and reads what it made. */
final class ControllerHarness {
  /** Generous: two shared cores, a real API server, informers and retries with backoff. */
  static final Duration WAIT = Duration.ofSeconds(60);

  static BookController start(KubernetesClient client) {
    return BookController.start(client, ControllerSettings.defaults(), new SimpleMeterRegistry(), Optional.empty(), 2);
  }

  /** A test class's controller: the test book applied, no leader election, metrics of its own. */
  record RunningController(BookController controller, SimpleMeterRegistry metrics) implements AutoCloseable {
    static RunningController start(KubernetesClient client) {
      return start(client, ControllerSettings.defaults());
    }

    static RunningController start(KubernetesClient client, ControllerSettings settings) {
      Fixtures.applyBook(client, Fixtures.book(Fixtures.BOOK));
      SimpleMeterRegistry metrics = new SimpleMeterRegistry();
      return new RunningController(BookController.start(client, settings, metrics, Optional.empty(), 2), metrics);
    }

    /** The sum of the counters named {@code name} that carry these tags (key, value, …). */
    double count(String name, String... tags) {
      return metrics.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
    }

    /** The value of the gauge {@code name} with these tags (key, value, …); fails if there is none. */
    double gauge(String name, String... tags) {
      return metrics.get(name).tags(tags).gauge().value();
    }

    @Override
    public void close() {
      controller.close();
    }
  }

  static BookInstanceDefinition create(KubernetesClient client, BookInstanceDefinition instance) {
    return client.resource(instance).create();
  }

  static BookInstanceDefinition get(KubernetesClient client, String name) {
    return client.resources(BookInstanceDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).get();
  }

  /** Replaces an instance's spec; the controller writes status concurrently, so retry on 409 as any client would. */
  static void updateSpec(KubernetesClient client, String name, BookInstanceDefinitionSpec spec) {
    await().atMost(WAIT).ignoreExceptions().until(() -> client.resources(BookInstanceDefinition.class)
        .inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).edit(current -> {
          current.setSpec(spec);
          return current;
        }) != null);
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

  /**
   * No pods run beside a bare API server: report the Deployment's current generation rolled out
   * with every replica ready, as the deployment controller and kubelets would. Through the status
   * subresource, retrying on 409 when the controller wrote the Deployment meanwhile.
   */
  static void markReady(KubernetesClient client, String namespace, String name) {
    await().atMost(WAIT).ignoreExceptions().until(() -> {
      Deployment d = client.apps().deployments().inNamespace(namespace).withName(name).get();
      int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
      d.setStatus(new DeploymentStatusBuilder()
          .withReplicas(replicas).withReadyReplicas(replicas).withUpdatedReplicas(replicas).withAvailableReplicas(replicas)
          .withObservedGeneration(d.getMetadata().getGeneration())
          .build());
      return client.resource(d).updateStatus() != null;
    });
  }

  static String configHash(KubernetesClient client, String namespace, String name) {
    Deployment d = client.apps().deployments().inNamespace(namespace).withName(name).get();
    return d == null ? null : d.getSpec().getTemplate().getMetadata().getAnnotations().get(ManagedLabels.CONFIG_HASH);
  }

  /**
   * Deletes every instance and waits until the running controller has cleaned each up and released
   * its finalizer, so the next test starts from no instances. Should that not happen, strips the
   * finalizers (so later tests are not disturbed) and fails.
   */
  static void deleteAllInstances(KubernetesClient client) {
    var instances = client.resources(BookInstanceDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE);
    instances.delete();
    try {
      await().atMost(WAIT).until(() -> instances.list().getItems().isEmpty());
    } catch (ConditionTimeoutException e) {
      for (BookInstanceDefinition stuck : instances.list().getItems()) {
        instances.withName(stuck.getMetadata().getName()).edit(i -> {
          i.getMetadata().setFinalizers(null);
          return i;
        });
      }
      throw new AssertionError("instances were not cleaned up by the controller; finalizers stripped", e);
    }
  }
}
