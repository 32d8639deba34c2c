package io.voyager.bdk.localruntime;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.Map;

/** Deployments and Services shaped like the book controller's. */
final class Fixtures {
  private Fixtures() {}

  static Deployment deployment(String namespace, String name, int replicas) {
    return new DeploymentBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
        .withNewTemplate()
        .withNewMetadata().withLabels(Map.of("app", name, "tier", "book")).endMetadata()
        .withNewSpec().addNewContainer().withName("book").withImage("voyager/sample-book:0.1.0").endContainer().endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  static Service service(String namespace, String name, String selectedApp) {
    return new ServiceBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .withNewSpec()
        .withSelector(Map.of("app", selectedApp))
        .addNewPort().withName("http").withPort(80).withNewTargetPort(8080).endPort()
        .endSpec()
        .build();
  }
}
