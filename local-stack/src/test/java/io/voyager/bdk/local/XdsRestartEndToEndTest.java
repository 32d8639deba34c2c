package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.SecretRef;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.xds.translate.RouteLayout;
import io.voyager.bdk.xds.translate.XdsTranslator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The xds-server restarts under a running Envoy (java-control-plane issue #463: a control plane
 * restart can leave stale clusters), with Envoy speaking state-of-the-world and delta xDS. Envoy
 * keeps serving its last config while the server is down, reconnects to the new one on the same
 * port and converges to what the Kubernetes API says now: a book deleted meanwhile loses its route
 * and its cluster, nothing is rejected, the unchanged routes answer throughout. A restart with
 * unchanged input yields the same content versions, so nothing is pushed to Envoy as new: in delta
 * the new server takes Envoy's {@code initial_resource_versions} and sends no resource at all.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(AdsApiType.class)
class XdsRestartEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final String NAMESPACE = LocalStack.SEED_CUSTOMER_NAMESPACES.get(0);
  private static final String KEPT = "kept-orders";
  private static final String DELETED = "gone-orders";

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static GatewayClient api;  // library calls, with a platform-admin token
  static EnvoyAdmin admin;
  static AutoCloseable restartedXds;

  @Parameter AdsApiType apiType;

  @BeforeParameterizedClassInvocation
  static void startStack(AdsApiType apiType) throws Exception {
    stack = TestStacks.ephemeral(runDir.resolve(apiType.name()), "e2e-xds-restart")
        .adsApiType(apiType)
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        // Its books have no Service endpoints (only ext-authz's 401 is asked of them): routed at once,
        // not after the first-endpoints gate's grace. (A restarted server never holds a book.)
        .serviceArgs(Component.XDS, "--first-endpoints-grace-ms", "0")
        .start();
    gateway = GatewayClient.anonymous(stack);
    api = GatewayClient.of(stack);
    admin = stack.envoy().admin();
  }

  @AfterParameterizedClassInvocation
  static void stopStack() throws Exception {
    if (restartedXds != null) {
      restartedXds.close();
      restartedXds = null;
    }
    if (stack != null) {
      stack.close();
      stack = null;
    }
  }

  @Test
  void envoyConvergesToTheNewServersContentWithoutStaleClustersAndUnchangedInputIsNotRepushed() throws Exception {
    webhookBook(KEPT);
    ExternalBookDefinition deleted = webhookBook(DELETED);
    String keptPath = WebhookRoutes.publicPath(NAMESPACE, KEPT, "github");
    String deletedPath = WebhookRoutes.publicPath(NAMESPACE, DELETED, "github");
    String keptCluster = "k8s/" + NAMESPACE + "/" + KEPT + "/8080";
    String deletedCluster = "k8s/" + NAMESPACE + "/" + DELETED + "/8080";

    await("both webhook routes and clusters in Envoy").atMost(CONVERGE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      // In the scoped layout a webhook's routes load on demand, with its first request, and its
      // cluster with its first request ext-authz lets through (signed; no endpoints: 503).
      gateway.post(keptPath, "{}");
      gateway.post(deletedPath, "{}");
      postSigned(KEPT);
      postSigned(DELETED);
      assertThat(activeClusters()).contains(keptCluster, deletedCluster);
      assertThat(routesDump()).contains(keptPath, deletedPath);
    });
    assertRoutedThroughEnvoy(keptPath);
    assertThat(api.get("/api/v1/books").status()).isEqualTo(200);

    Versions before = versions();
    String snapshotBefore = xdsSnapshotVersion();
    Map<String, String> typeVersionsBefore = currentVersionByType(xdsSync());
    long cdsUpdatesBefore = admin.statOrZero("cluster_manager.cds.update_success");
    long ldsUpdatesBefore = admin.statOrZero("listener_manager.lds.update_success");
    Map<String, Long> clusterChangesBefore = clusterChanges();

    try (LibraryProbe library = LibraryProbe.start(api)) {
      // 1. restart with unchanged input: same content → same versions → nothing new for Envoy
      stopXds();
      startXds();
      await("Envoy reconnected").atMost(CONVERGE).until(() -> admin.statOrZero("control_plane.connected_state") == 1);
      assertThat(xdsSnapshotVersion()).as("content versions survive a restart").isEqualTo(snapshotBefore);
      JsonNode reconnected = await("Envoy's stream on the new server").atMost(CONVERGE)
          .until(() -> xdsSync().path("nodes"), nodes -> nodes.size() == 1);
      assertThat(reconnected.path(0).path("node").asText()).isEqualTo("e2e-xds-restart");
      assertThat(reconnected.path(0).path("protocol").asText()).isEqualTo(apiType == AdsApiType.GRPC ? "sotw" : "delta");
      // Envoy offers its versions on the new stream; those equal the new server's.
      // State-of-the-world: CDS and LDS get no response at all. (java-control-plane answers
      // EDS/RDS on a new stream anyway, as their resource names are new to it, but with the very
      // same version: nothing new.) Delta: every type is answered at once, with its version and
      // not one resource, as Envoy's initial_resource_versions already match.
      await("every type answered on the new stream").atMost(CONVERGE).untilAsserted(() -> {
        JsonNode types = xdsSync().path("nodes").path(0).path("types");
        assertThat(types).as("types on /debug/sync").isNotEmpty();
        for (JsonNode type : types) {
          assertThat(type.path("sent").asText()).as(type.path("type").asText() + " re-sent only at its old version")
              .isEqualTo(typeVersionsBefore.get(type.path("type").asText()));
        }
        if (apiType == AdsApiType.DELTA_GRPC) {
          assertThat(types).hasSize(typeVersionsBefore.size());
          assertThat(allSynced(xdsSync())).isTrue();
        }
      });
      assertThat(versions()).isEqualTo(before);
      assertThat(clusterChanges()).as("no cluster added, modified or removed").isEqualTo(clusterChangesBefore);
      if (apiType == AdsApiType.GRPC) {
        assertThat(admin.statOrZero("cluster_manager.cds.update_success")).isEqualTo(cdsUpdatesBefore);
        assertThat(admin.statOrZero("listener_manager.lds.update_success")).isEqualTo(ldsUpdatesBefore);
      } else {
        assertThat(xdsCounter("bdk_xds_resources_sent_total")).as("resources the new server sent").isZero();
        assertThat(xdsCounter("bdk_xds_responses_total")).as("responses the new server sent").isPositive();
      }

      // 2. a book is deleted while the server is down; Envoy keeps serving its last config meanwhile
      stopXds();
      stack.kubernetes().resource(deleted).delete();
      await("deleted in the API").atMost(CONVERGE).until(() -> stack.kubernetes().resources(ExternalBookDefinition.class)
          .inNamespace(NAMESPACE).withName(DELETED).get() == null);
      assertRoutedThroughEnvoy(keptPath);
      startXds();

      await("Envoy reconnected to the new server").atMost(CONVERGE)
          .until(() -> admin.statOrZero("control_plane.connected_state") == 1);
      await("Envoy converged: deleted book's route and cluster gone").atMost(CONVERGE).untilAsserted(() -> {
        assertThat(activeClusters()).contains(keptCluster).doesNotContain(deletedCluster);
        assertThat(warmingClusters()).doesNotContain(deletedCluster);
        String routes = routesDump();
        assertThat(routes).contains(keptPath).doesNotContain(deletedPath);
        assertThat(allSynced(xdsSync())).isTrue();
      });
      assertThat(gateway.post(deletedPath, "{}").status()).isEqualTo(404);
      assertRoutedThroughEnvoy(keptPath);
      Versions after = versions();
      assertThat(after.clusters()).isNotEqualTo(before.clusters());
      if (stack.routeLayout() == RouteLayout.SCOPED) {
        // The deleted webhook's scope and route configuration went; the shared one did not change.
        assertThat(after.routes()).as(XdsTranslator.ROUTE_CONFIG_NAME + " unchanged").isEqualTo(before.routes());
        assertThat(admin.configDump("dynamic_scoped_route_configs").toString()).contains(keptPath.substring(
            WebhookRoutes.PREFIX.length())).doesNotContain(deletedPath.substring(WebhookRoutes.PREFIX.length()));
      } else {
        assertThat(after.routes()).isNotEqualTo(before.routes());
      }
      assertThat(after.listeners()).as("the listener did not change").isEqualTo(before.listeners());

      assertThat(library.failures()).as("library REST answered 200 throughout").isEmpty();
      assertThat(library.successes()).isPositive();
    }
    assertThat(admin.statOrZero("cluster_manager.cds.update_rejected")).isZero();
    assertThat(admin.statOrZero("listener_manager.lds.update_rejected")).isZero();
    assertThat(admin.statOrZero("http.bdk_http.rds.bdk-routes.update_rejected")).isZero();
    assertThat(stack.envoy().isAlive()).isTrue();
  }

  // ---- stack steps ----

  private static void stopXds() throws Exception {
    if (restartedXds != null) {
      restartedXds.close();
      restartedXds = null;
    } else {
      stack.stop(Component.XDS);
    }
    await("Envoy sees the control plane gone").atMost(CONVERGE)
        .until(() -> admin.statOrZero("control_plane.connected_state") == 0);
  }

  /** A new xds-server with the stack's flags: same xDS and admin ports, same cluster. */
  private static void startXds() throws Exception {
    List<String> args = stack.startArgs(Component.XDS);
    restartedXds = Component.XDS.starter().start(args.toArray(String[]::new));
  }

  private static ExternalBookDefinition webhookBook(String name) {
    stack.kubernetes().resource(new SecretBuilder()
        .withNewMetadata().withNamespace(NAMESPACE).withName(name + "-credentials").endMetadata()
        .withStringData(Map.of("secret", "whsec-" + name))
        .build()).create();
    ExternalBookDefinition book = new ExternalBookDefinition();
    book.getMetadata().setNamespace(NAMESPACE);
    book.getMetadata().setName(name);
    book.setSpec(new ExternalBookDefinitionSpec("orders", "1.0.0",
        List.of(new ExternalIntegration("github", "webhook", null,
            new Authentication("signature", "github", new SecretRef(name + "-credentials", "secret"), null, null), null)),
        null, null, null, null, null));
    return stack.kubernetes().resource(book).create();
  }

  /** POSTs a webhook to book {@code name} signed with its secret, whatever the answer. */
  private static void postSigned(String name) {
    String body = "{\"id\":\"" + UUID.randomUUID() + "\"}";
    WebhookBooks.Integration github = new WebhookBooks.Integration("github", "github", name + "-credentials", null, null);
    gateway.post(WebhookRoutes.publicPath(NAMESPACE, name, "github"), body,
        WebhookBooks.sign(github, "whsec-" + name, body, "d-" + UUID.randomUUID()));
  }

  /** The kept webhook is routed (ext-authz refuses the unsigned delivery: 401, not 404). */
  private static void assertRoutedThroughEnvoy(String path) {
    GatewayClient.Answer answer = gateway.post(path, "{\"action\":\"opened\"}");
    assertThat(answer.status()).as(answer.body()).isEqualTo(401);
  }

  // ---- Envoy admin views ----

  record Versions(String listeners, String routes, String clusters) {}

  private static Versions versions() {
    return new Versions(
        admin.listenerVersion(XdsTranslator.LISTENER_NAME),
        admin.routeConfigVersion(XdsTranslator.ROUTE_CONFIG_NAME),
        clusterVersions());
  }

  /** Every dynamic cluster's version_info (SotW: the CDS version that brought it), sorted. */
  private static String clusterVersions() {
    Set<String> versions = new TreeSet<>();
    for (JsonNode c : admin.configDump("dynamic_active_clusters").path("configs")) {
      versions.add(c.path("cluster").path("name").asText() + "@" + c.path("version_info").asText());
    }
    return String.join(",", versions);
  }

  /** Envoy's counts of clusters added, modified and removed through CDS. */
  private static Map<String, Long> clusterChanges() {
    Map<String, Long> changes = new TreeMap<>();
    for (String stat : List.of("cluster_manager.cluster_added", "cluster_manager.cluster_modified", "cluster_manager.cluster_removed")) {
      changes.put(stat, admin.statOrZero(stat));
    }
    return changes;
  }

  private static Set<String> activeClusters() {
    return clusterNames("dynamic_active_clusters");
  }

  private static Set<String> warmingClusters() {
    return clusterNames("dynamic_warming_clusters");
  }

  private static Set<String> clusterNames(String resource) {
    Set<String> names = new TreeSet<>();
    for (JsonNode c : admin.configDump(resource).path("configs")) {
      names.add(c.path("cluster").path("name").asText());
    }
    return names;
  }

  private static String routesDump() {
    return admin.configDump("dynamic_route_configs").toString();
  }

  // ---- xds-server admin ----

  private static String xdsSnapshotVersion() throws Exception {
    return JsonParsing.read(xdsAdmin("/debug/snapshot?type=clusters")).path("version").asText();
  }

  private static JsonNode xdsSync() throws Exception {
    return JsonParsing.read(xdsAdmin("/debug/sync"));
  }

  /** Resource type → the server's current version, from its {@code /debug/sync}. */
  private static Map<String, String> currentVersionByType(JsonNode sync) {
    Map<String, String> versions = new TreeMap<>();
    for (JsonNode type : sync.path("nodes").path(0).path("types")) {
      versions.put(type.path("type").asText(), type.path("current").asText());
    }
    if (stack.routeLayout() == RouteLayout.SCOPED) {
      assertThat(versions).containsOnlyKeys("Cluster", "ClusterLoadAssignment", "Listener", "RouteConfiguration", "Secret",
          "ScopedRouteConfiguration");
    } else {
      assertThat(versions).containsOnlyKeys("Cluster", "ClusterLoadAssignment", "Listener", "RouteConfiguration", "Secret");
    }
    return versions;
  }

  /** An Envoy is connected and every type the server answered it is SYNCED (acked, current). */
  private static boolean allSynced(JsonNode sync) {
    JsonNode nodes = sync.path("nodes");
    if (nodes.isEmpty()) {
      return false;
    }
    for (JsonNode node : nodes) {
      if (node.path("types").isEmpty()) {
        return false;
      }
      for (JsonNode type : node.path("types")) {
        if (!"SYNCED".equals(type.path("status").asText())) {
          return false;
        }
      }
    }
    return true;
  }

  /** The sum of the xds-server's counter {@code name} over its labels. */
  private static double xdsCounter(String name) throws Exception {
    return xdsAdmin("/metrics").lines()
        .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static String xdsAdmin(String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://" + LocalStack.LOCALHOST + ":" + stack.ports().xdsAdmin() + path))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return response.body();
  }

  private static final class JsonParsing {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    static JsonNode read(String body) throws Exception {
      return JSON.readTree(body);
    }
  }

  /** Lists books through Envoy every 100 ms on its own thread and remembers every answer that was not 200. */
  private static final class LibraryProbe implements AutoCloseable {
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final AtomicInteger successes = new AtomicInteger();

    static LibraryProbe start(GatewayClient library) {
      LibraryProbe probe = new LibraryProbe();
      probe.executor.scheduleWithFixedDelay(() -> {
        try {
          GatewayClient.Answer answer = library.get("/api/v1/books");
          if (answer.status() == 200) {
            probe.successes.incrementAndGet();
          } else {
            probe.failures.add(answer.status() + " " + answer.body());
          }
        } catch (RuntimeException e) {
          probe.failures.add(e.toString());
        }
      }, 0, 100, TimeUnit.MILLISECONDS);
      return probe;
    }

    List<String> failures() {
      return List.copyOf(failures);
    }

    int successes() {
      return successes.get();
    }

    @Override
    public void close() throws InterruptedException {
      executor.shutdown();
      executor.awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
