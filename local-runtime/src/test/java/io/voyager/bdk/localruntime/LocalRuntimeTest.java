package io.voyager.bdk.localruntime;

import static io.voyager.bdk.localruntime.Fixtures.deployment;
import static io.voyager.bdk.localruntime.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class LocalRuntimeTest {
  private static final String NS = "customer-acme";
  private static final Duration WAIT = Duration.ofSeconds(15);

  KubernetesClient client;
  private final HttpClient http = HttpClient.newHttpClient();
  private LocalRuntime runtime;

  @BeforeAll
  static void quiet() {
    QuietMockServer.apply();
  }

  @BeforeEach
  void start() {
    runtime =
        LocalRuntime.start(
            client, new LocalRuntime.Settings(Duration.ofMillis(20), Duration.ofSeconds(2), 50, 10));
  }

  @AfterEach
  void stop() {
    runtime.close();
  }

  @Test
  void aDeploymentBehindAServiceGetsAHealthyBackendAndASlicePointingAtIt() throws Exception {
    create(deployment(NS, "support", 2));
    client.resource(service(NS, "support", "support")).create();

    EndpointSlice slice = awaitSliceFor("support");

    int port = slice.getPorts().get(0).getPort();
    assertThat(slice.getPorts().get(0).getName()).isEqualTo("http");
    assertThat(slice.getEndpoints().get(0).getAddresses()).containsExactly("127.0.0.1");
    assertThat(slice.getEndpoints().get(0).getConditions().getReady()).isTrue();
    assertThat(port).isEqualTo(runtime.backendPort(NS, "support"));
    assertThat(get(port, "/health").statusCode()).isEqualTo(200);
  }

  @Test
  void theDeploymentStatusReportsEveryReplicaReady() {
    create(deployment(NS, "support", 2));
    client.resource(service(NS, "support", "support")).create();

    await().atMost(WAIT).untilAsserted(() -> {
      Deployment stored = client.apps().deployments().inNamespace(NS).withName("support").get();
      assertThat(stored.getStatus()).isNotNull();
      assertThat(stored.getStatus().getReplicas()).isEqualTo(2);
      assertThat(stored.getStatus().getReadyReplicas()).isEqualTo(2);
      assertThat(stored.getStatus().getAvailableReplicas()).isEqualTo(2);
      assertThat(stored.getStatus().getUpdatedReplicas()).isEqualTo(2);
      assertThat(stored.getStatus().getObservedGeneration()).isEqualTo(stored.getMetadata().getGeneration());
    });
  }

  @Test
  void aSpecChangeOrAReplaceWithoutStatusIsReportedAgain() {
    create(deployment(NS, "support", 1));
    client.resource(service(NS, "support", "support")).create();
    await().atMost(WAIT).until(() -> readyReplicas("support") == 1);

    client.apps().deployments().inNamespace(NS).withName("support")
        .edit(d -> { d.getSpec().setReplicas(3); return d; });
    await().atMost(WAIT).until(() -> readyReplicas("support") == 3);
    Deployment scaled = client.apps().deployments().inNamespace(NS).withName("support").get();
    assertThat(scaled.getStatus().getObservedGeneration()).isEqualTo(scaled.getMetadata().getGeneration());

    Deployment replaced = deployment(NS, "support", 2);
    client.resource(replaced).update();
    await().atMost(WAIT).until(() -> readyReplicas("support") == 2);
  }

  @Test
  void aDeploymentWithoutServiceStillReportsReadyButRunsNoBackend() {
    create(deployment(NS, "poller", 1));

    await().atMost(WAIT).untilAsserted(() -> assertThat(
            client.apps().deployments().inNamespace(NS).withName("poller").get().getStatus())
        .isNotNull()
        .satisfies(status -> assertThat(status.getReadyReplicas()).isEqualTo(1)));
    assertThat(runtime.backendPort(NS, "poller")).isEqualTo(-1);
  }

  @Test
  void aPostReachesTheBackendAndShowsInDebugReceived() throws Exception {
    create(deployment(NS, "support", 1));
    client.resource(service(NS, "support", "support")).create();
    int port = awaitSliceFor("support").getPorts().get(0).getPort();

    HttpResponse<String> ack =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhook"))
                .header("x-bdk-webhook-id", "wh-42")
                .header("x-bdk-routed-to", NS + "/support")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(ack.statusCode()).isEqualTo(200);
    assertThat(ack.body()).contains("\"webhook_id\":\"wh-42\"", "\"handled_by\":\"customer-acme/support\"");
    assertThat(get(port, "/debug/received").body()).contains("wh-42", "customer-acme/support");
  }

  @Test
  void deletingTheDeploymentRemovesTheSliceAndStopsTheBackend() throws Exception {
    create(deployment(NS, "support", 1));
    client.resource(service(NS, "support", "support")).create();
    int port = awaitSliceFor("support").getPorts().get(0).getPort();

    client.apps().deployments().inNamespace(NS).withName("support").delete();

    await().atMost(WAIT).until(() -> slicesFor("support").isEmpty());
    await().atMost(WAIT).until(() -> runtime.backendPort(NS, "support") == -1);
    assertThatThrownBy(() -> get(port, "/health")).isInstanceOf(IOException.class);
  }

  @Test
  void deletingTheServiceRemovesTheSliceAndStopsTheBackend() {
    create(deployment(NS, "support", 1));
    client.resource(service(NS, "support", "support")).create();
    awaitSliceFor("support");

    client.services().inNamespace(NS).withName("support").delete();

    await().atMost(WAIT).until(() -> slicesFor("support").isEmpty());
    await().atMost(WAIT).until(() -> runtime.backendPort(NS, "support") == -1);
  }

  @Test
  void scalingToZeroStopsTheBackendAndReportsNoReplicas() {
    create(deployment(NS, "support", 1));
    client.resource(service(NS, "support", "support")).create();
    awaitSliceFor("support");

    client.apps().deployments().inNamespace(NS).withName("support").scale(0);

    await().atMost(WAIT).until(() -> slicesFor("support").isEmpty());
    await().atMost(WAIT).until(() -> runtime.backendPort(NS, "support") == -1);
    await().atMost(WAIT).untilAsserted(() -> assertThat(
            client.apps().deployments().inNamespace(NS).withName("support").get().getStatus().getReplicas())
        .isZero());
  }

  @Test
  void aBackendHeldDownStaysDownUntilStartedAgain() throws Exception {
    create(deployment(NS, "support", 1));
    client.resource(service(NS, "support", "support")).create();
    int before = awaitSliceFor("support").getPorts().get(0).getPort();

    runtime.stopBackend(NS, "support");

    await().atMost(WAIT).until(() -> slicesFor("support").isEmpty());
    await().atMost(WAIT).until(() -> readyReplicas("support") == 0);
    assertThat(runtime.backendPort(NS, "support")).isEqualTo(-1);
    assertThatThrownBy(() -> get(before, "/health")).isInstanceOf(IOException.class);
    // A later event in the namespace does not bring it back.
    client.resource(service(NS, "other", "other")).create();
    create(deployment(NS, "other", 1));
    awaitSliceFor("other");
    assertThat(runtime.backendPort(NS, "support")).isEqualTo(-1);

    runtime.startBackend(NS, "support");

    int after = awaitSliceFor("support").getPorts().get(0).getPort();
    assertThat(get(after, "/health").statusCode()).isEqualTo(200);
    await().atMost(WAIT).until(() -> readyReplicas("support") == 1);
  }

  @Test
  void aNamespaceThatIsNotACustomersIsLeftAlone() {
    create(deployment("default", "web", 1));
    client.resource(service("default", "web", "web")).create();
    create(deployment(NS, "marker", 1));
    client.resource(service(NS, "marker", "marker")).create();

    awaitSliceFor("marker");

    assertThat(runtime.backendPort("default", "web")).isEqualTo(-1);
    assertThat(client.discovery().v1().endpointSlices().inNamespace("default").list().getItems()).isEmpty();
  }

  @Test
  void anEventThatChangesNothingWritesNothing() {
    create(deployment(NS, "support", 1));
    client.resource(service(NS, "support", "support")).create();
    String sliceVersion = awaitSliceFor("support").getMetadata().getResourceVersion();
    await().atMost(WAIT).until(() -> client.apps().deployments().inNamespace(NS).withName("support").get().getStatus() != null);
    String statusVersion = client.apps().deployments().inNamespace(NS).withName("support").get().getMetadata().getResourceVersion();

    client.services().inNamespace(NS).withName("support")
        .edit(s -> { s.getMetadata().setAnnotations(Map.of("touched", "yes")); return s; });
    create(deployment(NS, "marker", 1));
    client.resource(service(NS, "marker", "marker")).create();
    awaitSliceFor("marker");

    assertThat(slicesFor("support")).singleElement()
        .extracting(s -> s.getMetadata().getResourceVersion()).isEqualTo(sliceVersion);
    assertThat(client.apps().deployments().inNamespace(NS).withName("support").get().getMetadata().getResourceVersion())
        .isEqualTo(statusVersion);
  }

  @Test
  void aSliceRemovedByHandIsPublishedAgain() {
    create(deployment(NS, "support", 1));
    client.resource(service(NS, "support", "support")).create();
    awaitSliceFor("support");

    client.discovery().v1().endpointSlices().inNamespace(NS).withName("support-support").delete();

    awaitSliceFor("support");
  }

  private int readyReplicas(String name) {
    Deployment stored = client.apps().deployments().inNamespace(NS).withName(name).get();
    return stored.getStatus() == null || stored.getStatus().getReadyReplicas() == null
        ? -1
        : stored.getStatus().getReadyReplicas();
  }

  private void create(Deployment deployment) {
    client.resource(deployment).create();
  }

  private EndpointSlice awaitSliceFor(String service) {
    return await().atMost(WAIT).until(() -> slicesFor(service), slices -> slices.size() == 1).get(0);
  }

  private List<EndpointSlice> slicesFor(String service) {
    return client.discovery().v1().endpointSlices().inNamespace(NS)
        .withLabel("kubernetes.io/service-name", service).list().getItems();
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
