package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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

  /**
   * The indexed lookup (IndexedCrudDispatcher) answers as the mock's scan did: a create of a name
   * that exists is refused, the same name in another namespace or kind is not, updates and status
   * writes find their object, a deleted object can be created again.
   */
  @Test
  void objectsAreFoundByNameAcrossCreateUpdateStatusAndDelete(@TempDir Path dir) throws Exception {
    try (EmbeddedKubernetes api = EmbeddedKubernetes.start(0, dir.resolve("kubeconfig"));
         KubernetesClient client = new KubernetesClientBuilder()
             .withConfig(Config.fromKubeconfig(null, Files.readString(api.kubeconfig()), api.kubeconfig().toString()))
             .build()) {
      LocalServiceEndpoints endpoints = new LocalServiceEndpoints(client);
      endpoints.ensureNamespace("a");
      endpoints.ensureNamespace("b");
      client.resource(new ConfigMapBuilder().withNewMetadata().withNamespace("a").withName("same").endMetadata()
          .withData(Map.of("k", "1")).build()).create();
      client.resource(new ConfigMapBuilder().withNewMetadata().withNamespace("b").withName("same").endMetadata()
          .withData(Map.of("k", "2")).build()).create();
      endpoints.publish("a", "same", "http", "127.0.0.1", 8080); // a Service and a slice named like the ConfigMaps
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.resource(new ConfigMapBuilder().withNewMetadata()
              .withNamespace("a").withName("same").endMetadata().build()).create())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));

      client.configMaps().inNamespace("a").withName("same").edit(c -> { c.setData(Map.of("k", "3")); return c; });
      assertThat(client.configMaps().inNamespace("a").withName("same").get().getData()).containsEntry("k", "3");
      assertThat(client.configMaps().inNamespace("b").withName("same").get().getData()).containsEntry("k", "2");

      ExternalBookDefinition book = new ExternalBookDefinition();
      book.getMetadata().setNamespace("a");
      book.getMetadata().setName("same");
      client.resource(book).create();
      client.resources(ExternalBookDefinition.class).inNamespace("a").withName("same")
          .editStatus(b -> { b.setStatus(new ExternalBookDefinitionStatus("Ready", null, null, null, null, null)); return b; });
      assertThat(client.resources(ExternalBookDefinition.class).inNamespace("a").withName("same").get().getStatus().phase())
          .isEqualTo("Ready");

      client.configMaps().inNamespace("a").withName("same").delete();
      org.awaitility.Awaitility.await().until(() -> client.configMaps().inNamespace("a").withName("same").get() == null);
      client.resource(new ConfigMapBuilder().withNewMetadata().withNamespace("a").withName("same").endMetadata()
          .withData(Map.of("k", "4")).build()).create();
      assertThat(client.configMaps().inNamespace("a").withName("same").get().getData()).containsEntry("k", "4");
      assertThat(client.services().inNamespace("a").withName("same").get()).isNotNull();
    }
  }
}
