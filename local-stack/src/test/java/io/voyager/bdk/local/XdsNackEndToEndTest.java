package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.SecretRef;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ServiceRef;
import io.voyager.bdk.model.WebhookRoutes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config Envoy refuses is NACKed once or twice per rejected version, not re-sent in a loop: with
 * the inputs unchanged, Envoy's {@code update_rejected} counters and the server's
 * {@code bdk_xds_nacks_total} stop growing. The culprit book gets Accepted=False; the rest of the
 * gateway keeps serving.
 */
class XdsNackEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final Duration OBSERVE = Duration.ofSeconds(5);
  private static final long MAX_NACKS_PER_VERSION = 2;
  private static final int SERVICE_PORT = 8080;
  /** An EndpointSlice target port Kubernetes' validation would refuse but a mock API (or a buggy writer) stores. */
  private static final int PORT_ENVOY_REFUSES = 70000;

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static EnvoyAdmin admin;

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-xds-nack")
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .start();
    gateway = new GatewayClient(stack.gatewayUrl());
    admin = stack.envoy().admin();
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aRejectedEndpointVersionIsNackedABoundedNumberOfTimesAndTheRestKeepsWorking() throws Exception {
    String namespace = LocalStack.SEED_CUSTOMER_NAMESPACES.get(0);
    String name = "refused-" + UUID.randomUUID().toString().substring(0, 8);
    assertThat(rejectedByEnvoy()).as("nothing rejected before the bad input").isEmpty();

    // Envoy refuses an endpoint port above 65535 (EDS); the cluster and the webhook route are fine.
    publishServiceWithSlicePort(namespace, name, SERVICE_PORT, PORT_ENVOY_REFUSES);
    stack.kubernetes().resource(new SecretBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name + "-github").endMetadata()
        .withStringData(Map.of("secret", "whsec-" + UUID.randomUUID()))
        .build()).create();
    ExternalBookDefinition book = new ExternalBookDefinition();
    book.getMetadata().setNamespace(namespace);
    book.getMetadata().setName(name);
    book.setSpec(new ExternalBookDefinitionSpec("orders", "1.0.0",
        List.of(new ExternalIntegration("github", "webhook", null,
            new Authentication("signature", "github", new SecretRef(name + "-github", "secret"), null, null), null)),
        null, null, null, new ServiceRef(name, SERVICE_PORT), null));
    stack.kubernetes().resource(book).create();

    await("Envoy rejects the endpoints").atMost(CONVERGE).until(() -> !rejectedByEnvoy().isEmpty());
    await("the book says Envoy rejected it").atMost(CONVERGE).untilAsserted(() ->
        assertThat(accepted(namespace, name)).satisfies(c -> {
          assertThat(c.status()).isEqualTo("False");
          assertThat(c.reason()).isEqualTo("EnvoyRejected");
        }));

    // Inputs unchanged from here on: one rejected version, so one NACK (two if one was in flight),
    // not a re-send loop. Envoy counts a rejected EDS response on every EDS cluster's stat.
    await("rejections stay bounded").pollInterval(Duration.ofMillis(500)).during(OBSERVE).atMost(OBSERVE.plusSeconds(10))
        .untilAsserted(() -> {
          assertThat(rejectedByEnvoy()).as("Envoy update_rejected stats")
              .containsKey("cluster." + "k8s/" + namespace + "/" + name + "/" + SERVICE_PORT + ".update_rejected")
              .allSatisfy((stat, rejected) -> assertThat(rejected).as(stat).isBetween(1L, MAX_NACKS_PER_VERSION));
          assertThat(serverNacks()).as("bdk_xds_nacks_total").isBetween(1L, MAX_NACKS_PER_VERSION);
        });

    // The rest of the gateway keeps working: the library API, and the book's own route (ext-authz answers).
    assertThat(gateway.get("/api/v1/books").status()).isEqualTo(200);
    await("the webhook route of the rejected book is served").atMost(CONVERGE)
        .until(() -> gateway.post(WebhookRoutes.publicPath(namespace, name, "github"), "{}").status() == 401);
    assertThat(stack.envoy().isAlive()).isTrue();
  }

  /** Service {@code servicePort} (the only port) whose EndpointSlice says the pods listen on {@code slicePort}. */
  private static void publishServiceWithSlicePort(String namespace, String name, int servicePort, int slicePort) {
    stack.kubernetes().resource(new ServiceBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .withNewSpec().addNewPort().withName("http").withPort(servicePort).withProtocol("TCP").endPort().endSpec()
        .build()).create();
    stack.kubernetes().resource(new EndpointSliceBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name + "-refused")
          .withLabels(Map.of("kubernetes.io/service-name", name)).endMetadata()
        .withAddressType("IPv4")
        .addNewEndpoint().withAddresses(LocalStack.LOCALHOST).withNewConditions().withReady(true).endConditions().endEndpoint()
        .addNewPort().withName("http").withPort(slicePort).withProtocol("TCP").endPort()
        .build()).create();
  }

  private static Condition accepted(String namespace, String name) {
    ExternalBookDefinition current = stack.kubernetes().resources(ExternalBookDefinition.class)
        .inNamespace(namespace).withName(name).get();
    assertThat(current.getStatus()).isNotNull();
    return current.getStatus().conditions().stream().filter(c -> "Accepted".equals(c.type())).findFirst().orElseThrow();
  }

  /** Every non-zero {@code *.update_rejected} stat: CDS, LDS, each cluster's EDS, each RDS. */
  private static Map<String, Long> rejectedByEnvoy() {
    Map<String, Long> rejected = new TreeMap<>();
    for (JsonNode stat : admin.json("/stats?format=json&filter=update_rejected$").path("stats")) {
      if (stat.path("name").asText().endsWith(".update_rejected") && stat.path("value").asLong() > 0) {
        rejected.put(stat.path("name").asText(), stat.path("value").asLong());
      }
    }
    return rejected;
  }

  /** The xds-server's {@code bdk_xds_nacks_total}, all types. */
  private static long serverNacks() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://" + LocalStack.LOCALHOST + ":" + stack.ports().xdsAdmin() + "/metrics"))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return Math.round(response.body().lines()
        .filter(line -> line.startsWith("bdk_xds_nacks_total"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum());
  }
}
