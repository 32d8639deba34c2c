package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.SecretRef;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ServiceRef;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.Main;
import io.voyager.bdk.xds.translate.RouteLayout;
import io.voyager.bdk.xds.translate.XdsTranslator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * When the xds-server's inputs change in Kubernetes, the new snapshot reaches the running Envoy and
 * takes effect: same Envoy process throughout, convergence seen in Envoy's own stats and
 * config_dump, and in what requests do. With Envoy speaking state-of-the-world and delta xDS.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(AdsApiType.class)
class XdsUpdatesEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static GatewayClient api;  // library calls, with a platform-admin token
  static EnvoyAdmin admin;
  static long envoyPid;

  @Parameter AdsApiType apiType;

  @BeforeParameterizedClassInvocation
  static void startStack(AdsApiType apiType) throws Exception {
    stack = TestStacks.ephemeral(runDir.resolve(apiType.name()), "e2e-xds-updates")
        .adsApiType(apiType)
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .start();
    gateway = GatewayClient.anonymous(stack);
    api = GatewayClient.of(stack);
    admin = stack.envoy().admin();
    envoyPid = stack.envoy().pid();
  }

  @AfterParameterizedClassInvocation
  static void stopStack() {
    if (stack != null) {
      stack.close();
      stack = null;
    }
  }

  @Test
  void libraryTrafficFollowsItsEndpointSliceToASecondInstance() throws Exception {
    Answer created = api.postJson("/api/v1/books", Map.of("name", "moving-" + shortId(), "version", "1.0.0"));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String bookId = created.json().path("book_id").asText();
    int oldPort = stack.ports().libraryGrpc();
    String libraryCluster = clusterWithEndpointPort(oldPort);
    assertThat(libraryCluster).as("a dynamic cluster with the library endpoint").isNotNull();
    long edsUpdates = admin.statOrZero("cluster." + libraryCluster + ".update_success");

    List<Integer> ports = StackPorts.freePorts(2);
    List<String> secondArgs = new ArrayList<>(List.of(
        "--kubeconfig", stack.kubeconfig().toString(),
        "--grpc-port", ports.get(0).toString(),
        "--admin-host", LocalStack.LOCALHOST,
        "--admin-port", ports.get(1).toString()));
    secondArgs.addAll(LocalIssuer.jwtFlags()); // a library replica verifies tokens as the first does
    secondArgs.addAll(stack.tls().serverFlags(Component.LIBRARY)); // and serves mutual TLS with the same certificate
    try (AutoCloseable secondLibrary = Component.LIBRARY.starter().start(secondArgs.toArray(String[]::new))) {
      stack.endpoints().publish(BdkLabels.BDK_NAMESPACE, LocalStack.LIBRARY_SERVICE, LocalStack.GRPC_PORT_NAME,
          LocalStack.LOCALHOST, ports.get(0));

      await("library endpoint moved in Envoy").atMost(CONVERGE).untilAsserted(() -> {
        assertThat(endpointPorts(libraryCluster)).containsExactly(ports.get(0));
        assertThat(admin.statOrZero("cluster." + libraryCluster + ".update_success")).isGreaterThan(edsUpdates);
      });
      stack.stop(Component.LIBRARY); // the first instance is gone: only the second can answer now

      await("reads served by the second library").atMost(CONVERGE)
          .until(() -> api.get("/api/v1/books/" + bookId).status() == 200);
      Answer write = api.postJson("/api/v1/books", Map.of("name", "after-move-" + shortId(), "version", "1.0.0"));
      assertThat(write.status()).as(write.body()).isEqualTo(201);
    }
    assertThat(stack.envoy().pid()).isEqualTo(envoyPid);
    assertThat(stack.envoy().isAlive()).isTrue();
    assertThat(admin.statOrZero("cluster_manager.cds.update_rejected")).isZero();
  }

  @Test
  void aNewExternalBookDefinitionOpensItsWebhookRouteAndRemovingItClosesIt() throws Exception {
    String namespace = LocalStack.SEED_CUSTOMER_NAMESPACES.get(0);
    String name = "orders-" + shortId();
    String secret = "whsec-" + UUID.randomUUID();
    String path = WebhookRoutes.publicPath(namespace, name, "github");
    assertThat(gateway.post(path, "{}").status()).isEqualTo(404);
    long cdsUpdates = admin.statOrZero("cluster_manager.cds.update_success");
    String routesVersion = routeConfigVersion();

    int backendPort = StackPorts.freePorts(1).get(0);
    try (AutoCloseable backend = Main.start(
        "--host", LocalStack.LOCALHOST, "--port", Integer.toString(backendPort), "--name", name)) {
      stack.endpoints().publish(namespace, name, "http", LocalStack.LOCALHOST, backendPort);
      stack.kubernetes().resource(new SecretBuilder()
          .withNewMetadata().withNamespace(namespace).withName(name + "-credentials").endMetadata()
          .withStringData(Map.of("secret", secret))
          .build()).create();
      ExternalBookDefinition book = new ExternalBookDefinition();
      book.getMetadata().setNamespace(namespace);
      book.getMetadata().setName(name);
      book.setSpec(new ExternalBookDefinitionSpec("orders", "1.0.0",
          List.of(new ExternalIntegration("github", "webhook", null,
              new Authentication("signature", "github", new SecretRef(name + "-credentials", "secret"), null, null), null)),
          null, null, null, new ServiceRef(name, backendPort), null));
      stack.kubernetes().resource(book).create();

      await("webhook route and cluster pushed to Envoy").atMost(CONVERGE).untilAsserted(() -> {
        assertThat(admin.statOrZero("cluster_manager.cds.update_success")).isGreaterThan(cdsUpdates);
        if (stack.routeLayout() == RouteLayout.SCOPED) {
          // its own scope; the shared route configuration is not re-sent, and the webhook's own is
          // loaded on demand, by the first request with its key (below)
          assertThat(admin.configDump("dynamic_scoped_route_configs").toString())
              .contains(path.substring(WebhookRoutes.PREFIX.length()));
        } else {
          assertThat(routeConfigVersion()).isNotEqualTo(routesVersion);
          assertThat(admin.configDump("dynamic_route_configs").toString()).contains(path);
        }
      });
      if (stack.routeLayout() == RouteLayout.SCOPED) {
        assertThat(admin.configDump("dynamic_route_configs").toString()).as("on demand: not loaded before a request")
            .doesNotContain(path);
      }
      Answer unsigned = gateway.post(path, "{\"action\":\"opened\"}");
      assertThat(unsigned.status()).as("unsigned webhook is refused by ext-authz, not unrouted: " + unsigned.body())
          .isEqualTo(401);
      assertThat(admin.configDump("dynamic_route_configs").toString()).as("loaded by that request").contains(path);

      String body = "{\"action\":\"opened\",\"number\":7}";
      AtomicReference<String> delivery = new AtomicReference<>();
      // a fresh delivery id per attempt: a retried id would (rightly) be refused as a replay
      Answer delivered = await("signed webhook delivered to the book").atMost(CONVERGE).until(() -> {
        delivery.set(UUID.randomUUID().toString());
        return gateway.post(path, body, Map.of(
            "X-GitHub-Delivery", delivery.get(),
            "X-Hub-Signature-256", "sha256=" + hmacSha256Hex(secret, body)));
      }, answer -> answer.status() != 503);
      assertThat(delivered.status()).as(delivered.body()).isEqualTo(200);
      assertThat(received(backendPort)).contains(delivery.get());

      stack.kubernetes().resource(book).delete();
      await("webhook route removed").atMost(CONVERGE).until(() -> gateway.post(path, "{}").status() == 404);
    }
    assertThat(stack.envoy().pid()).isEqualTo(envoyPid);
    assertThat(admin.statOrZero("listener_manager.lds.update_rejected")).isZero();
    assertThat(admin.statOrZero("cluster_manager.cds.update_rejected")).isZero();
  }

  /** Name of the dynamic cluster that has an endpoint on 127.0.0.1:{@code port}, or null. */
  private static String clusterWithEndpointPort(int port) {
    for (JsonNode config : dynamicEndpointConfigs()) {
      JsonNode assignment = config.path("endpoint_config");
      if (ports(assignment).contains(port)) {
        return assignment.path("cluster_name").asText();
      }
    }
    return null;
  }

  private static List<Integer> endpointPorts(String cluster) {
    for (JsonNode config : dynamicEndpointConfigs()) {
      if (cluster.equals(config.path("endpoint_config").path("cluster_name").asText())) {
        return ports(config.path("endpoint_config"));
      }
    }
    return List.of();
  }

  private static JsonNode dynamicEndpointConfigs() {
    for (JsonNode config : admin.configDump().path("configs")) {
      if (config.path("@type").asText().endsWith("EndpointsConfigDump")) {
        return config.path("dynamic_endpoint_configs");
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  private static List<Integer> ports(JsonNode assignment) {
    return assignment.findValues("socket_address").stream().map(a -> a.path("port_value").asInt()).toList();
  }

  private static String routeConfigVersion() {
    return admin.routeConfigVersion(XdsTranslator.ROUTE_CONFIG_NAME);
  }

  private static String received(int backendPort) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + backendPort + "/debug/received")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  private static String hmacSha256Hex(String secret, String body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
  }

  private static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
