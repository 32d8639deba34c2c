package io.voyager.bdk.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link InstanceStatusWriterContract} on a real kube-apiserver (optimistic concurrency, the CRD's status subresource and schema). */
@ExtendWith(RealApiServer.class)
class InstanceStatusWriterRealApiServerTest extends InstanceStatusWriterContract {
  static KubernetesClient client;

  @BeforeAll
  static void start(KubernetesClient apiServer) {
    client = apiServer;
  }

  @AfterEach
  void cleanUp() {
    ControllerHarness.deleteAllInstances(client);
  }

  @Override
  KubernetesClient client() {
    return client;
  }
}
