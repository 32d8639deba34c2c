package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ServiceRef;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.SampleBook;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Config a real Envoy refuses, end to end.
 *
 * <p>The translator never emits an endpoint port outside 1–65535: an EndpointSlice carrying one (a
 * real API server refuses it; the mock server stores it) routes nowhere and Envoy sees nothing to
 * reject. To still test what happens when Envoy does NACK, the xds-server is started through its
 * fault-injection seam ({@link EndpointRefusals}): the refused clusters' emitted
 * ClusterLoadAssignments get port 70000, before content versioning, so versions stay
 * content-derived and the NACK machinery is exactly production's.
 *
 * <p>With that: a rejected version is NACKed once or twice, not re-sent in a loop; the culprit
 * book gets Accepted=False (EnvoyRejected, "held out of the gateway") and is quarantined: the next
 * snapshot leaves out its route, cluster and endpoints, so state-of-the-world EDS, which Envoy
 * refuses whole, flows again and a book published after the rejection gets its endpoints. When
 * the culprit's inputs change it is tried again (refused again → quarantined again; let through →
 * Accepted=True and routed).
 *
 * <p>Envoy's {@code update_rejected} counters only grow, so the test with no rejection runs first
 * ({@link Order}). Each runs with Envoy speaking state-of-the-world and delta xDS: in delta a
 * NACK carries only its nonce and {@code error_detail}, and the NACKed resource is held the same
 * way (not re-sent until it changes). On delta (scoped layout, on-demand clusters) Envoy holds a
 * book's cluster only once a request needed it, so the test sends a signed webhook to make it
 * fetch the cluster whose endpoints it then refuses.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ParameterizedClass(name = "{0}")
@EnumSource(AdsApiType.class)
class XdsNackEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final Duration OBSERVE = Duration.ofSeconds(5);
  private static final long MAX_NACKS_PER_VERSION = 2;
  private static final int SERVICE_PORT = 8080;
  private static final int PORT_ENVOY_REFUSES = EndpointRefusals.PORT_ENVOY_REFUSES;
  private static final String NAMESPACE = LocalStack.SEED_CUSTOMER_NAMESPACES.get(0);
  private static final Integration GITHUB = new Integration("github", "github", "github-credentials", null, null);

  static final EndpointRefusals refusals = new EndpointRefusals();

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static GatewayClient api;  // library calls, with a platform-admin token
  static EnvoyAdmin admin;
  static WebhookBooks books;
  static final List<SampleBook> backends = new ArrayList<>();

  @Parameter AdsApiType apiType;

  @BeforeParameterizedClassInvocation
  static void startStack(AdsApiType apiType) throws Exception {
    stack = TestStacks.ephemeral(runDir.resolve(apiType.name()), "e2e-xds-nack")
        .adsApiType(apiType)
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .starter(Component.XDS, refusals.xdsStarter())
        // A book whose only endpoint Envoy would refuse has no usable endpoint: the first-endpoints
        // gate holds it for its grace, then routes it; short here, so the test sees it routed soon.
        .serviceArgs(Component.XDS, "--first-endpoints-grace-ms", "2000")
        .start();
    gateway = GatewayClient.anonymous(stack);
    api = GatewayClient.of(stack);
    admin = stack.envoy().admin();
    books = new WebhookBooks(stack);
  }

  @AfterParameterizedClassInvocation
  static void stopStack() {
    backends.forEach(SampleBook::close);
    backends.clear();
    if (stack != null) {
      stack.close();
      stack = null;
    }
  }

  @Test
  @Order(1)
  void aSlicePortEnvoyWouldRefuseNeverReachesEnvoyAndTheOtherBooksKeepRouting() throws Exception {
    assertThat(rejectedByEnvoy()).as("nothing rejected before the bad input").isEmpty();
    RoutedBook healthy = routedBook("healthy");

    String name = "bad-slice-" + suffix();
    publishServiceWithSlicePort(name, SERVICE_PORT, PORT_ENVOY_REFUSES);
    String secret = "whsec-" + UUID.randomUUID();
    books.putSecret(NAMESPACE, GITHUB.secretName(), List.of(secret));
    createBook(name, SERVICE_PORT);
    String cluster = clusterName(name, SERVICE_PORT);
    String path = WebhookRoutes.publicPath(NAMESPACE, name, "github");

    // Envoy has the book's route (after the first-endpoints gate's grace: it has no usable endpoint)
    // and has taken an EDS update that includes its (empty) cluster — with on-demand clusters once
    // a signed webhook made it fetch the cluster.
    await("the book's route is served").atMost(CONVERGE).until(() -> gateway.post(path, "{}").status() == 401);
    await("Envoy took the book's cluster's endpoints").atMost(CONVERGE).pollInterval(Duration.ofMillis(500))
        .until(() -> {
          postSigned(path, secret);
          return admin.statOrZero("cluster." + cluster + ".update_success") >= 1;
        });
    await("nothing is rejected").pollInterval(Duration.ofMillis(500)).during(OBSERVE).atMost(OBSERVE.plusSeconds(10))
        .untilAsserted(() -> {
          assertThat(rejectedByEnvoy()).as("Envoy update_rejected stats").isEmpty();
          assertThat(serverNacks()).as("bdk_xds_nacks_total").isZero();
          assertThat(acceptedCondition(name)).as("Accepted condition")
              .satisfiesAnyOf(c -> assertThat(c).isEmpty(), c -> assertThat(c.get().status()).isEqualTo("True"));
        });
    assertThat(hostsOf(cluster)).as("the slice's port 70000 routes nowhere").isEmpty();
    healthy.assertSignedWebhookIsDelivered();
    assertThat(api.get("/api/v1/books").status()).isEqualTo(200);
  }

  @Test
  @Order(2)
  void aBookEnvoyRefusesIsQuarantinedEveryOtherBookKeepsWorkingAndItIsTriedAgainWhenItsInputsChange()
      throws Exception {
    long nacksBefore = serverNacks();
    RoutedBook healthy = routedBook("healthy-before");

    // The culprit's slice is valid; the seam makes the server emit its endpoints on port 70000.
    SampleBook culpritBackend = backend("culprit");
    String culprit = "refused-" + suffix();
    String culpritPath = WebhookRoutes.publicPath(NAMESPACE, culprit, "github");
    String culpritCluster = clusterName(culprit, culpritBackend.port());
    refusals.refuse(culpritCluster);
    String culpritSecret = "whsec-" + UUID.randomUUID();
    books.putSecret(NAMESPACE, GITHUB.secretName(), List.of(culpritSecret));
    books.create(NAMESPACE, culprit, "orders", culpritBackend.port(), List.of(GITHUB));

    // With on-demand clusters Envoy fetches the culprit's cluster (and asks for its endpoints) when
    // a signed webhook first needs it; eager, it has it already.
    await("Envoy rejects the culprit's endpoints").atMost(CONVERGE).pollInterval(Duration.ofMillis(500)).until(() -> {
      if (serverNacks() > nacksBefore) {
        return true;
      }
      postSigned(culpritPath, culpritSecret);
      return false;
    });
    await("the culprit says it is held out because Envoy rejected it").atMost(CONVERGE).untilAsserted(() ->
        assertThat(acceptedCondition(culprit)).hasValueSatisfying(c -> {
          assertThat(c.status()).isEqualTo("False");
          assertThat(c.reason()).isEqualTo("EnvoyRejected");
          assertThat(c.message()).as("held out, and Envoy's error")
              .contains("held out of the gateway until its resources change", culpritCluster, String.valueOf(PORT_ENVOY_REFUSES));
        }));
    await("the culprit is quarantined").atMost(CONVERGE).untilAsserted(() -> {
      assertThat(quarantinedBooks()).as("/debug/quarantine").containsExactly(NAMESPACE + "/" + culprit);
      assertThat(serverGauge("bdk_xds_quarantined_books")).isEqualTo(1);
    });

    // Its route, cluster and endpoints are gone: Envoy takes the next snapshot whole.
    await("the culprit's webhook route is gone").atMost(CONVERGE)
        .until(() -> gateway.post(culpritPath, "{}").status() == 404);
    await("Envoy serves the snapshot without the culprit").atMost(CONVERGE)
        .untilAsserted(() -> assertThat(clusterNames()).doesNotContain(culpritCluster));

    // Inputs unchanged from here on: one rejected version, so one NACK (two if one was in flight),
    // not a re-send loop; Envoy counts a rejected EDS response on every EDS cluster it has.
    await("rejections stay bounded").pollInterval(Duration.ofMillis(500)).during(OBSERVE).atMost(OBSERVE.plusSeconds(10))
        .untilAsserted(() -> {
          assertThat(rejectedByEnvoy()).as("Envoy update_rejected stats")
              .allSatisfy((stat, rejected) -> assertThat(rejected).as(stat).isBetween(1L, MAX_NACKS_PER_VERSION));
          assertThat(serverNacks() - nacksBefore).as("bdk_xds_nacks_total").isBetween(1L, MAX_NACKS_PER_VERSION);
        });
    long nacksOfFirstVersion = serverNacks() - nacksBefore;

    // Only the culprit is blamed (the healthy book's endpoint shares its address, 127.0.0.1), and
    // everything else keeps working.
    assertThat(acceptedCondition(healthy.name())).as("the healthy book is not blamed")
        .satisfiesAnyOf(c -> assertThat(c).isEmpty(), c -> assertThat(c.get().status()).isEqualTo("True"));
    assertThat(api.get("/api/v1/books").status()).isEqualTo(200);
    healthy.assertSignedWebhookIsDelivered();

    // A valid book published after the rejection gets its route AND its endpoints: the EDS
    // response no longer carries what Envoy refused.
    RoutedBook later = routedBook("published-after");
    later.assertSignedWebhookIsDelivered(); // (with on-demand clusters, Envoy fetches its cluster now)
    await("the later book gets its endpoints").atMost(CONVERGE)
        .untilAsserted(() -> assertThat(hostsOf(later.cluster())).containsExactly(LocalStack.LOCALHOST + ":" + later.backend().port()));
    assertThat(acceptedCondition(later.name())).as("the later book is not blamed")
        .satisfiesAnyOf(c -> assertThat(c).isEmpty(), c -> assertThat(c.get().status()).isEqualTo("True"));

    // The user changes the culprit: released and tried again. The seam still corrupts it, so Envoy
    // refuses it again and it goes back to quarantine — one more rejected version, bounded.
    editVersion(culprit, "1.0.1");
    await("the changed culprit is tried again and refused").atMost(CONVERGE).pollInterval(Duration.ofMillis(500)).until(() -> {
      if (serverNacks() - nacksBefore > nacksOfFirstVersion) {
        return true;
      }
      postSigned(culpritPath, culpritSecret);
      return false;
    });
    await("quarantined again, rejections bounded").pollInterval(Duration.ofMillis(500)).during(OBSERVE)
        .atMost(OBSERVE.plusSeconds(20)).untilAsserted(() -> {
          assertThat(quarantinedBooks()).containsExactly(NAMESPACE + "/" + culprit);
          assertThat(serverNacks() - nacksBefore).as("bdk_xds_nacks_total: at most two per rejected version")
              .isBetween(nacksOfFirstVersion + 1, 2 * MAX_NACKS_PER_VERSION);
          assertThat(gateway.post(culpritPath, "{}").status()).as("the culprit's route").isEqualTo(404);
          assertThat(acceptedCondition(culprit)).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("False"));
        });
    later.assertSignedWebhookIsDelivered();
    healthy.assertSignedWebhookIsDelivered();

    // Fixed for real (the seam lets it through) and changed again: released, Envoy takes it.
    refusals.allow(culpritCluster);
    editVersion(culprit, "1.0.2");
    await("the fixed culprit is accepted and routed").atMost(CONVERGE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      postSigned(culpritPath, culpritSecret); // (with on-demand clusters: Envoy fetches its cluster)
      assertThat(quarantinedBooks()).isEmpty();
      assertThat(acceptedCondition(culprit)).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("True"));
      assertThat(gateway.post(culpritPath, "{}").status()).as("unsigned webhook to the culprit's route").isEqualTo(401);
      assertThat(hostsOf(culpritCluster)).containsExactly(LocalStack.LOCALHOST + ":" + culpritBackend.port());
    });
    assertThat(serverGauge("bdk_xds_quarantined_books")).isZero();
    later.assertSignedWebhookIsDelivered();
    assertThat(stack.envoy().isAlive()).isTrue();
  }

  /**
   * Changes the book's {@code spec.version}: a new input for the gateway, same routes. A merge
   * patch without resourceVersion, so the xds-server's own status writes cannot make it conflict.
   */
  private static void editVersion(String name, String version) {
    stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(NAMESPACE).withName(name)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"version\":\"" + version + "\"}}");
  }

  // ---- books ----

  /** A webhook book with its own backend, Secret and a valid slice, whose route is live. */
  record RoutedBook(String name, String secret, SampleBook backend) {
    String cluster() {
      return clusterName(name, backend.port());
    }

    String path() {
      return WebhookRoutes.publicPath(NAMESPACE, name, GITHUB.name());
    }

    /** A signed webhook gets 200 from this book's own backend. */
    void assertSignedWebhookIsDelivered() {
      long before = backend.receivedTotal();
      String body = "{\"id\":\"" + UUID.randomUUID() + "\"}";
      await("a signed webhook reaches " + name).atMost(CONVERGE).untilAsserted(() -> {
        Answer answer = gateway.post(path(), body, WebhookBooks.sign(GITHUB, secret, body, "delivery-" + UUID.randomUUID()));
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
      });
      assertThat(backend.receivedTotal()).isGreaterThan(before);
    }
  }

  /** POSTs a webhook signed with {@code secret} to {@code path}, whatever the answer (a fresh delivery id each time). */
  private static void postSigned(String path, String secret) {
    String body = "{\"id\":\"" + UUID.randomUUID() + "\"}";
    gateway.post(path, body, WebhookBooks.sign(GITHUB, secret, body, "delivery-" + UUID.randomUUID()));
  }

  private static RoutedBook routedBook(String prefix) {
    String name = prefix + "-" + suffix();
    String secret = "whsec-" + UUID.randomUUID();
    SampleBook backend = backend(name);
    Integration integration = new Integration(GITHUB.name(), GITHUB.scheme(), name + "-credentials", null, null);
    books.putSecret(NAMESPACE, integration.secretName(), List.of(secret));
    books.create(NAMESPACE, name, "orders", backend.port(), List.of(integration));
    RoutedBook book = new RoutedBook(name, secret, backend);
    await("webhook route of " + name).atMost(CONVERGE).until(() -> gateway.post(book.path(), "{}").status() == 401);
    return book;
  }

  private static SampleBook backend(String name) {
    SampleBook backend = SampleBook.start(0, name + "-backend");
    backends.add(backend);
    return backend;
  }

  private static void createBook(String name, int servicePort) {
    ExternalBookDefinition book = new ExternalBookDefinition();
    book.getMetadata().setNamespace(NAMESPACE);
    book.getMetadata().setName(name);
    book.setSpec(new ExternalBookDefinitionSpec("orders", "1.0.0", List.of(GITHUB.toSpec()),
        null, null, null, new ServiceRef(name, servicePort), null));
    stack.kubernetes().resource(book).create();
  }

  /** Service {@code servicePort} (the only port) whose EndpointSlice says the pods listen on {@code slicePort}. */
  private static void publishServiceWithSlicePort(String name, int servicePort, int slicePort) {
    stack.kubernetes().resource(new ServiceBuilder()
        .withNewMetadata().withNamespace(NAMESPACE).withName(name).endMetadata()
        .withNewSpec().addNewPort().withName("http").withPort(servicePort).withProtocol("TCP").endPort().endSpec()
        .build()).create();
    stack.kubernetes().resource(new EndpointSliceBuilder()
        .withNewMetadata().withNamespace(NAMESPACE).withName(name + "-refused")
          .withLabels(Map.of("kubernetes.io/service-name", name)).endMetadata()
        .withAddressType("IPv4")
        .addNewEndpoint().withAddresses(LocalStack.LOCALHOST).withNewConditions().withReady(true).endConditions().endEndpoint()
        .addNewPort().withName("http").withPort(slicePort).withProtocol("TCP").endPort()
        .build()).create();
  }

  private static String clusterName(String service, int port) {
    return "k8s/" + NAMESPACE + "/" + service + "/" + port;
  }

  private static String suffix() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  private static Optional<Condition> acceptedCondition(String name) {
    ExternalBookDefinition current = stack.kubernetes().resources(ExternalBookDefinition.class)
        .inNamespace(NAMESPACE).withName(name).get();
    if (current == null || current.getStatus() == null || current.getStatus().conditions() == null) {
      return Optional.empty();
    }
    return current.getStatus().conditions().stream().filter(c -> "Accepted".equals(c.type())).findFirst();
  }

  // ---- Envoy and xds-server observations ----

  /** {@code host:port} of every endpoint Envoy has for {@code cluster} (none while it is unknown or warming). */
  private static List<String> hostsOf(String cluster) {
    List<String> hosts = new ArrayList<>();
    for (JsonNode status : admin.json("/clusters?format=json").path("cluster_statuses")) {
      if (status.path("name").asText().equals(cluster)) {
        for (JsonNode host : status.path("host_statuses")) {
          JsonNode address = host.path("address").path("socket_address");
          hosts.add(address.path("address").asText() + ":" + address.path("port_value").asInt());
        }
      }
    }
    return hosts;
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
    return serverGauge("bdk_xds_nacks_total");
  }

  /** The sum of the xds-server's metric {@code name} over its labels. */
  private static long serverGauge(String name) throws Exception {
    return Math.round(xdsAdmin("/metrics").lines()
        .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum());
  }

  /** {@code namespace/name} of every book on the xds-server's {@code /debug/quarantine}. */
  private static List<String> quarantinedBooks() throws Exception {
    List<String> names = new ArrayList<>();
    new com.fasterxml.jackson.databind.ObjectMapper().readTree(xdsAdmin("/debug/quarantine")).path("quarantined")
        .forEach(row -> names.add(row.path("book").asText()));
    return names;
  }

  private static String xdsAdmin(String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://" + LocalStack.LOCALHOST + ":" + stack.ports().xdsAdmin() + path))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path).isEqualTo(200);
    return response.body();
  }

  /** Names of the clusters Envoy has. */
  private static List<String> clusterNames() {
    List<String> names = new ArrayList<>();
    for (JsonNode status : admin.json("/clusters?format=json").path("cluster_statuses")) {
      names.add(status.path("name").asText());
    }
    return names;
  }
}
