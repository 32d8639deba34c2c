package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --kubeconfig} switches the stack from its embedded API to the cluster the kubeconfig names
 * (here: an API server started apart from the stack, standing in for a real cluster).
 */
class ExternalClusterEndToEndTest {
  @Test
  void theStackUsesTheGivenClusterAndStartsNoApiOfItsOwn(@TempDir Path dir) throws Exception {
    try (EmbeddedKubernetes cluster = EmbeddedKubernetes.start(0, dir.resolve("cluster/kubeconfig"));
         KubernetesClient clusterClient = new KubernetesClientBuilder()
             .withConfig(Config.fromKubeconfig(null, Files.readString(cluster.kubeconfig()), null))
             .build();
         LocalStack stack = LocalStack.builder()
             .ports(StackPorts.ephemeral())
             .runDir(dir.resolve("run"))
             .projectRoot(ProjectRoot.get())
             .kubeconfig(cluster.kubeconfig())
             .nodeId("e2e-external-cluster")
             .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
             .start()) {
      assertThat(stack.embedded()).isFalse();
      assertThat(stack.kubeconfig()).isEqualTo(cluster.kubeconfig());
      assertThat(dir.resolve("run/kubeconfig")).doesNotExist();
      // the stack seeded the given cluster
      assertThat(clusterClient.namespaces().withName("customer-acme").get()).isNotNull();
      assertThat(clusterClient.services().inNamespace(BdkLabels.BDK_NAMESPACE).withName(LocalStack.LIBRARY_SERVICE).get())
          .isNotNull();

      Answer created = new GatewayClient(stack.gatewayUrl())
          .postJson("/api/v1/books", Map.of("name", "in-the-cluster", "version", "1.0.0"));

      assertThat(created.status()).as(created.body()).isEqualTo(201);
      assertThat(clusterClient.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).list().getItems())
          .extracting(b -> b.getSpec().name())
          .contains("in-the-cluster");
    }
  }
}
