package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.support.auth.DevIssuer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code make run KUBECONFIG=…}: the stack against a REAL kube-apiserver (kube-api-test), which —
 * unlike the mock — refuses loopback EndpointSlices. The CRDs are applied first, as a user would
 * ({@code kubectl apply -f k8s/crds/}); then the stack starts with its default components for an
 * external cluster, writes no Service or EndpointSlice into {@code bdk}, creates only what is
 * missing (namespaces, the demo Organizations, its JWKS ConfigMap), reaches its own library-service
 * through a fixed 127.0.0.1 endpoint, and serves the REST API — to its own issuer's tokens only —
 * with books stored in the real API server.
 */
@EnableKubeAPIServer
class ExternalClusterEndToEndTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String BDK = BdkLabels.BDK_NAMESPACE;
  static final String ACME = "customer-acme";

  @KubeConfig static String kubeConfigYaml;

  @Test
  void theStackRunsAgainstARealApiServerWithoutWritingEndpointsIntoIt(@TempDir Path dir) throws Exception {
    Path kubeconfig = dir.resolve("cluster.kubeconfig");
    Files.writeString(kubeconfig, kubeConfigYaml);
    try (KubernetesClient cluster = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build()) {
      applyCrds(cluster);
      // A customer namespace and an Organization the cluster already has: the stack must leave them as they are.
      cluster.resource(new NamespaceBuilder().withNewMetadata().withName(ACME)
          .withLabels(Map.of("owner", "platform-team")).endMetadata().build()).create();
      cluster.resource(new NamespaceBuilder().withNewMetadata().withName(BDK).endMetadata().build()).create();
      Organization ownAcme = new Organization();
      ownAcme.getMetadata().setNamespace(BDK);
      ownAcme.getMetadata().setName("acme");
      ownAcme.setSpec(new OrganizationSpec("acme", "Acme (the cluster's own)", List.of(ACME), null));
      cluster.resource(ownAcme).create();

      try (LocalStack stack = LocalStack.builder()
          .ports(StackPorts.ephemeral())
          .runDir(dir.resolve("run"))
          .projectRoot(ProjectRoot.get())
          .kubeconfig(kubeconfig)
          .nodeId("e2e-external-cluster")
          .start()) {
        assertThat(stack.embedded()).isFalse();
        assertThat(stack.kubeconfig()).isEqualTo(kubeconfig);
        assertThat(dir.resolve("run/kubeconfig")).as("no embedded API").doesNotExist();
        assertThat(stack.components()).as("the local runtime is off with an external cluster; the relay runs on its local nats-server")
            .containsExactly(Component.LIBRARY, Component.EXT_AUTHZ, Component.XDS, Component.CONTROLLER, Component.RELAY);
        assertThat(stack.nats().isRunning()).isTrue();
        assertThat(stack.createdNamespaces()).containsExactly("customer-globex");
        assertThat(cluster.namespaces().withName(ACME).get().getMetadata().getLabels())
            .containsEntry("owner", "platform-team");
        assertThat(stack.createdOrganizations()).containsExactly("globex");
        assertThat(cluster.resources(Organization.class).inNamespace(BDK).withName("acme").get().getSpec().displayName())
            .isEqualTo("Acme (the cluster's own)");
        assertThat(stack.jwksPublication()).isEqualTo(LocalIssuer.Publication.CREATED);
        assertThat(cluster.configMaps().inNamespace(BDK).withName("bdk-jwks").get().getData().get("jwks.json"))
            .contains(stack.issuer().keyId(DevIssuer.Algorithm.RS256));
        assertThat(cluster.discovery().v1().endpointSlices().inNamespace(BDK).list().getItems())
            .as("no EndpointSlice written into the cluster").isEmpty();
        assertThat(cluster.services().inNamespace(BDK).list().getItems())
            .as("no Service written into the cluster").isEmpty();

        Answer anonymous = GatewayClient.anonymous(stack).postJson("/api/v1/books", Map.of("name", "no-token", "version", "1.0.0"));
        assertThat(anonymous.status()).as("the local issuer's rule holds on a real cluster too").isEqualTo(401);
        GatewayClient gateway = GatewayClient.of(stack);
        Answer created = gateway.postJson("/api/v1/books", Map.of("name", "in-the-cluster", "version", "1.0.0"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String bookId = created.json().path("book_id").asText();
        assertThat(cluster.resources(BookDefinition.class).inNamespace(BDK).list().getItems())
            .extracting(b -> b.getSpec().name())
            .containsExactly("in-the-cluster");

        Answer fetched = gateway.get("/api/v1/books/" + bookId);
        assertThat(fetched.status()).as(fetched.body()).isEqualTo(200);
        assertThat(fetched.json().path("name").asText()).isEqualTo("in-the-cluster");

        Answer unknown = gateway.get("/api/v1/no-such-thing");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.isJson()).as(unknown.contentType()).isTrue();

        assertThat(loadAssignment(stack, "k8s/bdk/book-library/grpc"))
            .containsExactly(LocalStack.LOCALHOST + ":" + stack.ports().libraryGrpc());
        assertThat(loadAssignment(stack, "k8s/bdk/ext-authz/grpc"))
            .containsExactly(LocalStack.LOCALHOST + ":" + stack.ports().extAuthzGrpc());
      }
    }
  }

  /** {@code kubectl apply -f k8s/crds/}, then waits until every CRD is Established. */
  static void applyCrds(KubernetesClient cluster) throws Exception {
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.list(ProjectRoot.get().resolve("k8s/crds"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          for (HasMetadata item : cluster.load(in).items()) {
            names.add(cluster.resource(item).fieldManager("kubectl").forceConflicts().serverSideApply().getMetadata().getName());
          }
        }
      }
    }
    await().atMost(WAIT).until(() -> names.stream().allMatch(n -> established(
        cluster.apiextensions().v1().customResourceDefinitions().withName(n).get())));
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** {@code host:port} of each endpoint the xds-server serves for {@code cluster} (its /debug/snapshot). */
  private static List<String> loadAssignment(LocalStack stack, String cluster) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://" + LocalStack.LOCALHOST + ":" + stack.ports().xdsAdmin()
            + "/debug/snapshot?type=endpoints")).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<String> endpoints = new ArrayList<>();
    for (JsonNode cla : new ObjectMapper().readTree(response.body()).path("endpoints").path("resources")) {
      if (cla.path("cluster_name").asText().equals(cluster)) {
        for (JsonNode lb : cla.path("endpoints").findValues("socket_address")) {
          endpoints.add(lb.path("address").asText() + ":" + lb.path("port_value").asText());
        }
      }
    }
    return endpoints;
  }
}
