package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKubernetesTest {
  @Test
  void servesTheWrittenKubeconfigAndPublishedEndpointsCanMove(@TempDir Path dir) throws Exception {
    try (EmbeddedKubernetes api = EmbeddedKubernetes.start(0, dir.resolve("kubeconfig"));
         KubernetesClient client = new KubernetesClientBuilder()
             .withConfig(Config.fromKubeconfig(null, Files.readString(api.kubeconfig()), api.kubeconfig().toString()))
             .build()) {
      LocalServiceEndpoints endpoints = new LocalServiceEndpoints(client);
      endpoints.ensureNamespace("bdk");
      endpoints.ensureNamespace("bdk"); // idempotent
      endpoints.publish("bdk", "book-library", "grpc", "127.0.0.1", 50051);
      endpoints.publish("bdk", "book-library", "grpc", "127.0.0.1", 50061);

      assertThat(client.namespaces().withName("bdk").get()).isNotNull();
      Service service = client.services().inNamespace("bdk").withName("book-library").get();
      assertThat(service.getSpec().getPorts()).singleElement()
          .satisfies(p -> assertThat(p.getName()).isEqualTo("grpc"))
          .satisfies(p -> assertThat(p.getPort()).isEqualTo(50061));
      EndpointSlice slice = client.discovery().v1().endpointSlices().inNamespace("bdk")
          .withLabel("kubernetes.io/service-name", "book-library").list().getItems().get(0);
      assertThat(slice.getPorts()).singleElement()
          .satisfies(p -> assertThat(p.getPort()).isEqualTo(50061));
      assertThat(slice.getEndpoints()).singleElement().satisfies(e -> {
        assertThat(e.getAddresses()).containsExactly("127.0.0.1");
        assertThat(e.getConditions().getReady()).isTrue();
      });
    }
  }
}
