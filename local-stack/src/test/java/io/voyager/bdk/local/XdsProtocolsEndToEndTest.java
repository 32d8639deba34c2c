package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Secret;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.SampleBook;
import io.voyager.bdk.support.tls.CertificateAuthority;
import io.voyager.bdk.xds.Main;
import io.voyager.bdk.xds.translate.RouteLayout;
import io.voyager.bdk.xds.translate.XdsResources;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a delta xDS server gets wrong easily (go-control-plane's and java-control-plane's bugs are
 * the checklist), on a real Envoy speaking state-of-the-world and delta xDS to the same server:
 *
 * <ul>
 *   <li>The first request of every type is answered at once, even when there is nothing to serve:
 *       the xds-server starts with every listener held back (a seam in its output), so Envoy's
 *       first LDS request finds none; Envoy's initialization does not wait for its initial-fetch
 *       timeout on any type ({@code init_fetch_timeout} stays 0).
 *   <li>Endpoints requested before their cluster exists are sent when it does: Envoy's bootstrap has
 *       a static EDS cluster asking for the load assignment of a book that is created later. Every
 *       other cluster gets its endpoints meanwhile.
 *   <li>SDS: a renewed edge certificate reaches Envoy; a broken one withholds only the HTTPS
 *       listener and a good one brings it back (the listener's SDS subscription goes and comes).
 * </ul>
 *
 * Restart convergence, updates and NACKs run in both protocols in {@link XdsRestartEndToEndTest},
 * {@link XdsUpdatesEndToEndTest} and {@link XdsNackEndToEndTest}.
 *
 * <p>On scoped + delta (the default), single + delta and single + state-of-the-world. The first test holds every listener back until
 * Envoy has initialized, so in the scoped layout every listener's scoped-routes (SRDS)
 * subscription starts after Envoy's initialization: Envoy before 1.38 never started it
 * (envoyproxy/envoy PR #43392) and such a listener answered 404 to everything. The last test adds
 * the HTTPS listener late (its edge Secret published after Envoy is ready) and routes a library
 * REST call on it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ParameterizedClass(name = "{0} {1}")
@MethodSource("protocolsAndLayouts")
class XdsProtocolsEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final String NAMESPACE = LocalStack.SEED_CUSTOMER_NAMESPACES.get(0);
  private static final String PROBE_CLUSTER = "eds-probe";
  private static final String LATER_BOOK = "eds-later";
  private static final Integration GITHUB = new Integration("github", "github", "github-credentials", null, null);
  private static final String githubSecret = "whsec-" + UUID.randomUUID();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @TempDir static Path runDir;
  static LocalStack stack;
  static EnvoyAdmin admin;
  static ListenerHold hold;
  static int laterPort;
  static final List<SampleBook> backends = new ArrayList<>();

  @Parameter(0) AdsApiType apiType;
  @Parameter(1) RouteLayout layout;

  /** Single on both protocols, scoped (the default) on delta: the only protocol it is served on. */
  static Stream<Arguments> protocolsAndLayouts() {
    return Stream.of(
        Arguments.of(AdsApiType.DELTA_GRPC, RouteLayout.SCOPED),
        Arguments.of(AdsApiType.DELTA_GRPC, RouteLayout.SINGLE),
        Arguments.of(AdsApiType.GRPC, RouteLayout.SINGLE));
  }

  @BeforeParameterizedClassInvocation
  static void startStack(AdsApiType apiType, RouteLayout layout) throws Exception {
    hold = new ListenerHold();
    laterPort = StackPorts.freePorts(1).get(0);
    stack = TestStacks.ephemeral(runDir.resolve(apiType.name() + "-" + layout.name()), "e2e-xds-protocols")
        .routeLayout(layout)
        .adsApiType(apiType)
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .starter(Component.XDS, args -> Main.start(hold, args))
        .envoyBootstrap(yaml -> withProbeCluster(yaml, clusterName(LATER_BOOK, laterPort)))
        .awaitGatewayListener(false)
        .start();
    admin = stack.envoy().admin();
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
  void theFirstRequestOfEveryTypeIsAnsweredAtOnceEvenWhenItHasNothingToServe() throws Exception {
    // The stack waited for Envoy's /ready: initialization is over, with no listener at all.
    assertThat(admin.statOrZero("listener_manager.total_listeners_active")).isZero();
    assertThat(admin.statOrZero("listener_manager.lds.update_success")).as("LDS answered (empty)").isPositive();
    assertThat(admin.statOrZero("cluster_manager.cds.update_success")).as("CDS answered").isPositive();
    assertThat(admin.stat("listener_manager.lds.init_fetch_timeout")).as("LDS answered before Envoy gave up waiting").hasValue(0);
    assertThat(admin.stat("cluster_manager.cds.init_fetch_timeout")).hasValue(0);
    assertThat(admin.stat("cluster." + PROBE_CLUSTER + ".init_fetch_timeout"))
        .as("EDS for a name no snapshot has yet is answered at once too").hasValue(0);
    await("Envoy's types synced on /debug/sync").atMost(CONVERGE).untilAsserted(() -> {
      JsonNode node = xdsSync().path("nodes").path(0);
      assertThat(node.path("protocol").asText()).isEqualTo(apiType == AdsApiType.GRPC ? "sotw" : "delta");
      assertThat(statusOf(node, "Listener")).isEqualTo("SYNCED");
      assertThat(statusOf(node, "Cluster")).isEqualTo("SYNCED");
    });

    // The listeners are let through: the next snapshot (any change) brings them.
    hold.release();
    books().putSecret(NAMESPACE, GITHUB.secretName(), List.of(githubSecret));
    books().create(NAMESPACE, "first-" + suffix(), "orders", backend("first").port(), List.of(GITHUB));
    stack.envoy().awaitListener(stack.ports().envoyListener(), CONVERGE);
    assertThat(GatewayClient.anonymous(stack).get("/api/v1/nope").status()).isEqualTo(404);
  }

  @Test
  @Order(2)
  void endpointsRequestedBeforeTheirClusterExistsAreSentWhenItDoes() throws Exception {
    String later = clusterName(LATER_BOOK, laterPort);
    // Every other cluster has its endpoints meanwhile: the library answers through Envoy.
    GatewayClient api = GatewayClient.of(stack);
    AtomicReference<GatewayClient.Answer> last = new AtomicReference<>();
    try {
      await("the library answers through Envoy").atMost(CONVERGE).until(() -> {
        last.set(api.get("/api/v1/books"));
        return last.get().status() == 200;
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("the library does not answer through Envoy; last answer " + last.get().status() + " "
          + last.get().body() + "; /debug/sync: " + xdsSync() + "; Envoy's stats: "
          + admin.get("/stats?filter=scoped%7Crds%7Clistener_manager%7Ccontrol_plane").body() + "; Envoy's scopes and routes: "
          + admin.get("/config_dump?resource=dynamic_scoped_route_configs").body()
          + admin.get("/config_dump?resource=dynamic_route_configs").body(), e);
    }
    assertThat(hostsOf(PROBE_CLUSTER)).as("no snapshot has " + later + " yet").isEmpty();
    double clustersSent = resourcesSent("Cluster");

    SampleBook backend = SampleBook.start(laterPort, LATER_BOOK + "-backend");
    backends.add(backend);
    books().create(NAMESPACE, LATER_BOOK, "orders", laterPort, List.of(GITHUB));

    String endpoint = LocalStack.LOCALHOST + ":" + laterPort;
    String laterPath = WebhookRoutes.publicPath(NAMESPACE, LATER_BOOK, "github");
    await("the load assignment asked for at startup arrives with its cluster").atMost(CONVERGE)
        .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      if (layout == RouteLayout.SCOPED) {
        // on-demand clusters: Envoy fetches the book's cluster when a signed webhook first needs it
        String body = "{\"id\":\"" + UUID.randomUUID() + "\"}";
        GatewayClient.anonymous(stack).post(laterPath, body, WebhookBooks.sign(GITHUB, githubSecret, body, "d-" + UUID.randomUUID()));
      }
      assertThat(hostsOf(PROBE_CLUSTER)).containsExactly(endpoint);
      assertThat(hostsOf(later)).containsExactly(endpoint);
      assertThat(GatewayClient.anonymous(stack).post(WebhookRoutes.publicPath(NAMESPACE, LATER_BOOK, "github"), "{}").status())
          .as("the book's route (unsigned: ext-authz's 401)").isEqualTo(401);
    });
    double sent = resourcesSent("Cluster") - clustersSent;
    if (apiType == AdsApiType.DELTA_GRPC) {
      assertThat(sent).as("clusters sent for one new book (delta: only it; on-demand: once Envoy asked for it)").isEqualTo(1);
    } else {
      assertThat(sent).as("clusters sent for one new book (state of the world: every xDS cluster)")
          .isGreaterThanOrEqualTo(dynamicClusters());
    }
    assertThat(admin.statOrZero("cluster_manager.cds.update_rejected")).isZero();
  }

  @Test
  @Order(3)
  void aRenewedEdgeCertificateReachesEnvoyOverSdsAndABrokenOneWithholdsOnlyHttps() throws Exception {
    long pid = stack.envoy().pid();
    SSLContext trusting = TlsEndToEndTest.trusting(stack.tls().edgeCaFile());
    await("HTTPS listener").atMost(CONVERGE).ignoreExceptions().until(() -> servedSerial(trusting) != null);

    CertificateAuthority.IssuedCertificate renewed = stack.tls().renewEdgeCertificate();
    BigInteger expected = serial(renewed);
    assertThat(servedSerial(trusting)).isNotEqualTo(expected);
    LocalTls.publish(stack.kubernetes(), LocalTls.edgeSecret(renewed));
    await("renewed certificate served").atMost(CONVERGE).ignoreExceptions().until(() -> expected.equals(servedSerial(trusting)));

    // A key that does not match: only HTTPS is withheld (its listener, and with it the SDS subscription, go).
    CertificateAuthority.IssuedCertificate good = stack.tls().renewEdgeCertificate();
    CertificateAuthority.IssuedCertificate other = stack.tls().renewEdgeCertificate();
    Secret mismatched = LocalTls.edgeSecret(good);
    mismatched.getData().put("tls.key", Base64.getEncoder().encodeToString(other.privateKeyPem().getBytes()));
    LocalTls.publish(stack.kubernetes(), mismatched);
    await("HTTPS withheld").atMost(CONVERGE).until(() -> httpsRefused(trusting));
    assertThat(GatewayClient.anonymous(stack).get("/api/v1/nope").status()).isEqualTo(404);

    // A good one again: the listener comes back, subscribes to its secret again, and gets it.
    LocalTls.publish(stack.kubernetes(), LocalTls.edgeSecret(good));
    BigInteger goodSerial = serial(good);
    await("HTTPS back").atMost(CONVERGE).ignoreExceptions().until(() -> goodSerial.equals(servedSerial(trusting)));

    assertThat(stack.envoy().pid()).isEqualTo(pid);
    await("every type synced").atMost(CONVERGE).untilAsserted(() -> {
      assertThat(xdsCounter("bdk_xds_envoy_sync", "status=\"NACKED\"")).isZero();
      assertThat(xdsCounter("bdk_xds_envoy_sync", "status=\"STALE\"")).isZero();
      // Listener, Cluster, RouteConfiguration, ClusterLoadAssignment, Secret (+ ScopedRouteConfiguration)
      assertThat(xdsCounter("bdk_xds_envoy_sync", "status=\"SYNCED\"")).isEqualTo(layout == RouteLayout.SCOPED ? 6 : 5);
    });
    assertThat(admin.statOrZero("listener_manager.lds.update_rejected")).isZero();
  }

  @Test
  @Order(4)
  void anHttpsListenerAddedAfterEnvoyIsReadyRoutesLibraryCalls() throws Exception {
    SSLContext trusting = TlsEndToEndTest.trusting(stack.tls().edgeCaFile());
    CertificateAuthority.IssuedCertificate certificate = stack.tls().renewEdgeCertificate();
    // No edge Secret: the xds-server withholds the HTTPS listener, and Envoy (long ready) drops it.
    stack.kubernetes().secrets().inNamespace(LocalTls.EDGE_SECRET_NAMESPACE).withName(LocalTls.EDGE_SECRET_NAME).delete();
    await("HTTPS withheld without its Secret").atMost(CONVERGE).until(() -> httpsRefused(trusting));

    // The Secret published now: a listener Envoy gets long after its initialization.
    LocalTls.publish(stack.kubernetes(), LocalTls.edgeSecret(certificate));
    BigInteger expected = serial(certificate);
    await("HTTPS added").atMost(CONVERGE).ignoreExceptions().until(() -> expected.equals(servedSerial(trusting)));

    // Its routes are there (scoped layout: its SRDS subscription started): the library answers, not 404.
    String token = StackTokens.platformAdmin(stack);
    AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
    await("a library call on the late HTTPS listener").atMost(CONVERGE).ignoreExceptions().untilAsserted(() -> {
      last.set(httpsGet(trusting, "/api/v1/books", token));
      assertThat(last.get().statusCode()).as("with a token; body " + last.get().body()).isEqualTo(200);
    });
    assertThat(httpsGet(trusting, "/api/v1/books", null).statusCode()).as("without a token").isEqualTo(401);
    assertThat(admin.statOrZero("listener_manager.lds.update_rejected")).isZero();
  }

  private static HttpResponse<String> httpsGet(SSLContext trusting, String path, String token) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(trusting).version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(stack.httpsUrl() + path)).timeout(Duration.ofSeconds(10));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  // ---- the seam: listeners held back until released ----

  /** Drops every listener from the xds-server's output until {@link #release()}. */
  static final class ListenerHold implements UnaryOperator<XdsResources> {
    private volatile boolean holding = true;

    void release() {
      holding = false;
    }

    @Override
    public XdsResources apply(XdsResources resources) {
      return holding
          ? new XdsResources(List.of(), resources.routes(), resources.clusters(), resources.endpoints(), resources.secrets(),
              resources.scopedRoutes(), resources.clusterDelivery())
          : resources;
    }
  }

  /** The bootstrap with a static EDS cluster {@value #PROBE_CLUSTER} whose load assignment is {@code serviceName}'s, over ADS. */
  static String withProbeCluster(String bootstrapYaml, String serviceName) {
    try {
      ObjectNode root = (ObjectNode) YAML.readTree(bootstrapYaml);
      ObjectNode probe = ((ArrayNode) root.path("static_resources").path("clusters")).addObject();
      probe.put("name", PROBE_CLUSTER);
      probe.put("type", "EDS");
      probe.put("connect_timeout", "1s");
      ObjectNode eds = probe.putObject("eds_cluster_config");
      eds.put("service_name", serviceName);
      ObjectNode source = eds.putObject("eds_config");
      source.put("resource_api_version", "V3");
      source.putObject("ads");
      return YAML.writeValueAsString(root);
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- helpers ----

  private static WebhookBooks books() {
    return new WebhookBooks(stack);
  }

  private static SampleBook backend(String name) {
    SampleBook backend = SampleBook.start(0, name + "-backend");
    backends.add(backend);
    return backend;
  }

  private static String clusterName(String service, int port) {
    return "k8s/" + NAMESPACE + "/" + service + "/" + port;
  }

  private static String suffix() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  private static String statusOf(JsonNode node, String type) {
    for (JsonNode t : node.path("types")) {
      if (t.path("type").asText().equals(type)) {
        return t.path("status").asText();
      }
    }
    return "(no row)";
  }

  /** {@code host:port} of every endpoint Envoy has for {@code cluster}. */
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

  /** How many clusters Envoy got over xDS (its config_dump's dynamic active clusters). */
  private static int dynamicClusters() {
    return admin.configDump("dynamic_active_clusters").path("configs").size();
  }

  private static BigInteger serial(CertificateAuthority.IssuedCertificate certificate) throws Exception {
    return CertificateAuthority.Pem.certificates(certificate.certificatePem()).get(0).getSerialNumber();
  }

  private static BigInteger servedSerial(SSLContext trusting) throws Exception {
    try (SSLSocket socket = (SSLSocket) trusting.getSocketFactory().createSocket(LocalStack.LOCALHOST, stack.ports().envoyHttps())) {
      socket.setSoTimeout(5000);
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  private static boolean httpsRefused(SSLContext trusting) {
    try {
      servedSerial(trusting);
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** The xds-server's {@code bdk_xds_resources_sent_total} for one resource type (either protocol). */
  private static double resourcesSent(String type) throws Exception {
    return xdsCounter("bdk_xds_resources_sent_total", "type=\"" + type + "\"");
  }

  /** The sum of the xds-server's metric {@code name} over the series whose labels contain {@code label}. */
  private static double xdsCounter(String name, String label) throws Exception {
    return xdsAdmin("/metrics").lines()
        .filter(line -> line.startsWith(name + "{") && line.contains(label))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static JsonNode xdsSync() throws Exception {
    return new ObjectMapper().readTree(xdsAdmin("/debug/sync"));
  }

  private static String xdsAdmin(String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://" + LocalStack.LOCALHOST + ":" + stack.ports().xdsAdmin() + path))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return response.body();
  }
}
