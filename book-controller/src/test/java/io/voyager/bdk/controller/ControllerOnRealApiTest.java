package io.voyager.bdk.controller;

import static io.voyager.bdk.controller.ControllerHarness.deleteAllInstances;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.voyager.bdk.controller.ControllerHarness.RunningController;
import io.voyager.bdk.controller.desired.ControllerSettings;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class whose book-controller runs on the shared real kube-apiserver ({@link RealApiServer}):
 * started once for the class with {@link #settings()} and stopped after it; every instance is
 * deleted after each test, while the controller still runs (its finalizers are honoured). When
 * {@link #namespacePrefix()} names one, each test gets a fresh customer namespace {@link #NS};
 * when {@link #classNamespace()} names one instead, it is made once for the class.
 *
 * <p>Subclass hooks run after these: a class's own {@code @BeforeAll} sees the controller started,
 * its {@code @BeforeEach} sees {@link #NS}, its {@code @AfterEach} runs before the instances go.
 */
@ExtendWith(RealApiServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ControllerOnRealApiTest {
  /** One sequence for every class of the run: namespaces are never reused (a bare apiserver never finishes deleting one). */
  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  KubernetesClient client;
  RunningController controller;
  /** This test's customer namespace (null when {@link #namespacePrefix()} is null). */
  String NS;

  /** The controller's settings: the defaults unless a class needs others. */
  ControllerSettings settings() {
    return ControllerSettings.defaults();
  }

  /** Prefix of each test's own namespace, or null for none. */
  String namespacePrefix() {
    return null;
  }

  /** One namespace for the whole class, made before its tests; or null for none. */
  String classNamespace() {
    return null;
  }

  @BeforeAll
  final void startController(KubernetesClient apiServer) {
    client = apiServer;
    controller = RunningController.start(client, settings());
    if (classNamespace() != null) {
      Fixtures.namespace(client, classNamespace());
    }
  }

  @AfterAll
  final void stopController() {
    if (controller != null) {
      controller.close();
    }
  }

  @BeforeEach
  final void freshNamespace() {
    if (namespacePrefix() != null) {
      NS = namespacePrefix() + NAMESPACES.incrementAndGet();
      Fixtures.namespace(client, NS);
    }
  }

  @AfterEach
  final void deleteInstances() {
    deleteAllInstances(client);
  }
}
