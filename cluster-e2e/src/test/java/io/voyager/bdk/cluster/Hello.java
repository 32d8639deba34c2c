package io.voyager.bdk.cluster;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.Map;

/**
 * Workloads of the {@code bdk.local/hello:1} image that {@code make cluster} imports (a static Go
 * HTTP server, k8s/cluster/tools/hello): every one meets the restricted Pod Security Standard and
 * is Ready only through a real HTTP probe.
 */
final class Hello {
  static final String IMAGE = "bdk.local/hello:1";
  static final int PORT = 8080;

  private Hello() {}

  static PodSpec restrictedSpec() {
    Container container = new ContainerBuilder()
        .withName("hello").withImage(IMAGE).withImagePullPolicy("Never")
        .addNewPort().withName("http").withContainerPort(PORT).endPort()
        .addNewEnv().withName("POD_NAME").withNewValueFrom().withNewFieldRef()
            .withFieldPath("metadata.name").endFieldRef().endValueFrom().endEnv()
        .withNewReadinessProbe().withNewHttpGet().withPath("/healthz").withPort(new IntOrString(PORT))
            .endHttpGet().withPeriodSeconds(2).endReadinessProbe()
        .withNewLivenessProbe().withNewHttpGet().withPath("/healthz").withPort(new IntOrString(PORT))
            .endHttpGet().withPeriodSeconds(10).endLivenessProbe()
        .withNewSecurityContext()
            .withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
            .withRunAsNonRoot(true).withRunAsUser(65532L)
            .withNewCapabilities().addToDrop("ALL").endCapabilities()
            .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .endSecurityContext()
        .withNewResources().addToRequests("cpu", new Quantity("10m"))
            .addToRequests("memory", new Quantity("16Mi"))
            .addToLimits("memory", new Quantity("64Mi")).endResources()
        .build();
    return new PodSpecBuilder()
        .withAutomountServiceAccountToken(false)
        .withTerminationGracePeriodSeconds(2L)
        .withNewSecurityContext().withRunAsNonRoot(true)
            .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
        .withContainers(container)
        .build();
  }

  static Deployment deployment(String namespace, String name, Map<String, String> labels) {
    return new DeploymentBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).withLabels(labels).endMetadata()
        .withNewSpec().withReplicas(1)
            .withNewSelector().withMatchLabels(labels).endSelector()
            .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
                .withSpec(restrictedSpec()).endTemplate()
        .endSpec().build();
  }

  static Pod pod(String namespace, String name, Map<String, String> labels) {
    return new PodBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).withLabels(labels).endMetadata()
        .withSpec(restrictedSpec()).build();
  }

  /** A ClusterIP Service on port 80 in front of the pods with these labels. */
  static Service service(String namespace, String name, Map<String, String> selector) {
    return new ServiceBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .withNewSpec().withType("ClusterIP").withSelector(selector)
            .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).endPort()
        .endSpec().build();
  }
}
