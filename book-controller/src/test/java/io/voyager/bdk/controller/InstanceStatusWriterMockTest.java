package io.voyager.bdk.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;

/** {@link InstanceStatusWriterContract} on the fabric8 mock server in CRUD mode (the API {@code make run} embeds). */
@EnableKubernetesMockClient(crud = true)
class InstanceStatusWriterMockTest extends InstanceStatusWriterContract {
  static KubernetesClient client;

  @Override
  KubernetesClient client() {
    return client;
  }
}
