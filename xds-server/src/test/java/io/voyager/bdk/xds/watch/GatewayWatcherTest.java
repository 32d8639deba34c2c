package io.voyager.bdk.xds.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionStatus;
import io.voyager.bdk.model.Hmac;
import io.voyager.bdk.model.WebhookEndpoint;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.support.auth.DevIssuer;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.xds.Fixtures;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.server.SnapshotPublisher;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.translate.XdsTranslator;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class GatewayWatcherTest {
  KubernetesClient client;
  SimpleMeterRegistry registry;
  SnapshotPublisher publisher;
  GatewayWatcher watcher;

  @BeforeEach
  void start() throws Exception {
    client.resource(slice("bdk", "book-library", "grpc", 50051, true)).create();
    client.resource(slice("bdk", "ext-authz", "grpc", 18010, true)).create();
    startWatcher(GatewaySettings.defaults(), FAST);
  }

  @AfterEach
  void stop() {
    watcher.close();
  }

  static final Duration WAIT = Duration.ofSeconds(10);

  /** Debounced quickly: the tests wait on what is published, never on the clock. */
  static final WatchSettings FAST = WatchSettings.defaults().withDebounce(Duration.ofMillis(20), Duration.ofMillis(200));

  /** A watcher over the mock server with a fresh registry and publisher, started. */
  void startWatcher(GatewaySettings settings, WatchSettings watch) throws Exception {
    registry = new SimpleMeterRegistry();
    publisher = new SnapshotPublisher("bdk-gateway", registry);
    watcher = new GatewayWatcher(client, settings, new IncrementalTranslator(new XdsTranslator(settings.transcoder())),
        publisher, new BookStatusLocks(), registry, watch);
    watcher.start();
  }

  /**
   * A first rebuild slower than the start's wait (many books on a busy node) does not fail the
   * start: start() returns, nothing is published yet, and the snapshot comes when the rebuild ends.
   */
  @Test
  void aFirstRebuildSlowerThanTheStartsWaitDoesNotFailTheStart() throws Exception {
    watcher.close();
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean firstRebuild = new AtomicBoolean(true);
    UnaryOperator<XdsResources> heldFirst = resources -> {
      if (firstRebuild.getAndSet(false)) {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return resources;
    };
    startWatcher(GatewaySettings.defaults(), FAST.withFirstSnapshotWait(Duration.ofMillis(10)).withOutputFilter(heldFirst));
    assertThat(publisher.current()).as("nothing published while the first rebuild runs").isEmpty();
    release.countDown();
    await().atMost(WAIT).until(() -> publisher.current().isPresent());
  }

  static EndpointSlice slice(String ns, String service, String portName, int port, boolean ready) {
    return new EndpointSliceBuilder()
        .withNewMetadata().withNamespace(ns).withName(service + "-1").addToLabels(KubeViews.SERVICE_NAME_LABEL, service).endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName(portName).withPort(port).endPort()
        .addNewEndpoint().withAddresses("10.1.0.1").withNewConditions().withReady(ready).endConditions().endEndpoint()
        .build();
  }

  /** A book whose Service already has a ready endpoint (as a deployment makes them): routed at once. */
  static void createRoutable(KubernetesClient client, String ns, String name) {
    client.resource(slice(ns, name, "http", 9000, true)).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
    client.resource(ebd(ns, name)).create();
  }

  static ExternalBookDefinition ebd(String ns, String name) {
    ExternalBookDefinition ebd = new ExternalBookDefinition();
    ebd.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
    ebd.setSpec(Fixtures.book(ns, name, Fixtures.webhook("github", "github")).spec());
    return ebd;
  }

  /** Book {@code ns/name} with its one integration {@code integration}, created (no slice: a hand-applied book). */
  void createWith(String ns, String name, ExternalBookDefinitionSpec.ExternalIntegration integration) {
    ExternalBookDefinition book = ebd(ns, name);
    book.setSpec(Fixtures.book(ns, name, integration).spec());
    client.resource(book).create();
  }

  /** Waits until book {@code ns/name}'s gateway condition ({@value StatusWriter#CONDITION}) satisfies {@code check}. */
  void awaitCondition(String ns, String name, Consumer<Condition> check) {
    await().atMost(WAIT).untilAsserted(() -> {
      ExternalBookDefinition stored = client.resources(ExternalBookDefinition.class).inNamespace(ns).withName(name).get();
      assertThat(stored.getStatus()).isNotNull();
      assertThat(stored.getStatus().conditions()).anySatisfy(c -> {
        assertThat(c.type()).isEqualTo(StatusWriter.CONDITION);
        check.accept(c);
      });
    });
  }

  String version() {
    return publisher.current().map(ContentVersionedSnapshot::summaryVersion).orElse("");
  }

  double pushes() {
    return registry.get("bdk.xds.snapshot.pushes").counter().count();
  }

  double unroutedUpdates() {
    return registry.get("bdk.xds.book.updates.unrouted").counter().count();
  }

  double builds() {
    return registry.get("bdk.xds.snapshot.builds").counter().count();
  }

  @Test
  void creatingAndRemovingABookChangesTheSnapshotAndWritesItsStatus() {
    String initial = version();
    assertThat(initial).isNotEmpty();

    createRoutable(client, "customer-a", "acme");
    await().atMost(WAIT).until(() -> !version().equals(initial));
    String path = WebhookRoutes.publicPath("customer-a", "acme", "github");
    assertThat(publisher.current().orElseThrow().routes().resources().values().iterator().next().toString()).contains(path);
    awaitCondition("customer-a", "acme", c -> assertThat(c.status()).isEqualTo("True"));
    assertThat(status("customer-a", "acme").webhooks()).containsExactly(new WebhookEndpoint("github", path));

    client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName("acme").delete();
    await().atMost(WAIT).until(() -> version().equals(initial));
  }

  @Test
  void aNewBookIsHeldOutUntilItsFirstEndpointThenRoutedWithThemInOneSnapshot() {
    client.resource(ebd("customer-a", "acme")).create();
    // Held out, not routed: no route or cluster until the Service has a ready endpoint, and its status says why.
    awaitCondition("customer-a", "acme", c -> {
      assertThat(c.status()).isEqualTo("False");
      assertThat(c.reason()).isEqualTo(StatusWriter.AWAITING_ENDPOINTS);
      assertThat(c.message()).contains("customer-a/acme");
    });
    String path = WebhookRoutes.publicPath("customer-a", "acme", "github");
    assertThat(publisher.current().orElseThrow().clusters().resources()).doesNotContainKey("k8s/customer-a/acme/8080");
    assertThat(publisher.current().orElseThrow().routes().resources().toString()).doesNotContain(path);

    // A slice without a ready endpoint is not enough.
    double buildsBefore = builds();
    client.resource(slice("customer-a", "acme", "http", 9000, false)).create();
    await().atMost(WAIT).until(() -> builds() > buildsBefore && watcher.lastTranslation().books().stream()
        .anyMatch(b -> b.name().equals("acme") && b instanceof BookTranslation.HeldOut));
    assertThat(publisher.current().orElseThrow().clusters().resources()).doesNotContainKey("k8s/customer-a/acme/8080");

    // Ready: the route, the cluster and its endpoints arrive in the same snapshot.
    client.resource(slice("customer-a", "acme", "http", 9000, true)).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
    await().atMost(WAIT).until(() ->
        publisher.current().orElseThrow().clusters().resources().containsKey("k8s/customer-a/acme/8080"));
    var snapshot = publisher.current().orElseThrow();
    assertThat(snapshot.routes().resources().toString()).contains(path);
    var cla = snapshot.endpoints().resources().get("k8s/customer-a/acme/8080");
    assertThat(cla.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getPortValue()).isEqualTo(9000);

    // Once routed, a book is never held again: its endpoints going away change its endpoints only.
    String routed = version();
    client.resource(slice("customer-a", "acme", "http", 9000, false)).update();
    await().atMost(WAIT).until(() -> !version().equals(routed));
    assertThat(publisher.current().orElseThrow().clusters().resources()).containsKey("k8s/customer-a/acme/8080");
    assertThat(publisher.current().orElseThrow().endpoints().resources().get("k8s/customer-a/acme/8080").getEndpointsCount())
        .isZero();
  }

  @Test
  void aSliceMovingBetweenServicesMovesItsEndpointsAndABookBeingDeletedLosesItsRoute() {
    createRoutable(client, "customer-a", "acme");
    String cluster = "k8s/customer-a/acme/8080";
    await().atMost(WAIT).until(() -> endpointCount(cluster) == 1);

    // The slice's Service label now names another Service: acme's endpoints go, updated by key.
    EndpointSlice moved = slice("customer-a", "acme", "http", 9000, true);
    moved.getMetadata().getLabels().put(KubeViews.SERVICE_NAME_LABEL, "other");
    client.resource(moved).update();
    await().atMost(WAIT).until(() -> endpointCount(cluster) == 0);
    // And back.
    client.resource(slice("customer-a", "acme", "http", 9000, true)).update();
    await().atMost(WAIT).until(() -> endpointCount(cluster) == 1);

    // Being deleted (a finalizer holds the object): its route goes at once, as when it is gone.
    String path = WebhookRoutes.publicPath("customer-a", "acme", "github");
    assertThat(publisher.current().orElseThrow().routes().resources().toString()).contains(path);
    client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName("acme")
        .edit(b -> {
          b.getMetadata().setFinalizers(java.util.List.of("bdk.voyager.io/test"));
          return b;
        });
    client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName("acme").delete();
    await().atMost(WAIT).until(() -> !publisher.current().orElseThrow().routes().resources().toString().contains(path));
    assertThat(watcher.lastTranslation().book("customer-a", "acme")).isNull();
  }

  /** Endpoints of {@code cluster} in the published snapshot; -1 without its load assignment. */
  int endpointCount(String cluster) {
    var cla = publisher.current().orElseThrow().endpoints().resources().get(cluster);
    return cla == null ? -1 : cla.getEndpointsCount() == 0 ? 0 : cla.getEndpoints(0).getLbEndpointsCount();
  }

  @Test
  void unchangedInputIsNotPushedAgain() {
    createRoutable(client, "customer-a", "acme");
    await().atMost(WAIT).until(() -> publisher.current().orElseThrow().clusters().resources().containsKey("k8s/customer-a/acme/8080"));
    // the status write and a no-op edit (a label) change nothing routed: no rebuild, no push
    await().atMost(WAIT).until(() -> client.resources(ExternalBookDefinition.class)
        .inNamespace("customer-a").withName("acme").get().getStatus() != null);
    double pushesBefore = pushes();
    double buildsBefore = builds();
    double unroutedBefore = unroutedUpdates();
    String versionBefore = version();
    client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName("acme")
        .edit(e -> { e.getMetadata().setLabels(Map.of("touched", "yes")); return e; });
    await().atMost(WAIT).until(() -> unroutedUpdates() > unroutedBefore);
    assertThat(builds()).as("a label edit is no reason to rebuild").isEqualTo(buildsBefore);
    assertThat(version()).isEqualTo(versionBefore);
    assertThat(pushes()).isEqualTo(pushesBefore);

    // a spec change still is
    client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName("acme")
        .edit(e -> { e.setSpec(Fixtures.book("customer-a", "acme", Fixtures.webhook("renamed", "github")).spec()); return e; });
    await().atMost(WAIT).until(() -> builds() > buildsBefore);
  }

  @Test
  void aStatusReplacedByAnotherWriterIsWrittenBackWithoutARebuild() {
    createRoutable(client, "customer-a", "acme");
    await().atMost(WAIT).until(() -> status("customer-a", "acme") != null);
    double buildsBefore = builds();
    client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName("acme")
        .editStatus(e -> { e.setStatus(new ExternalBookDefinitionStatus(null, null, null, null, null, List.of())); return e; });
    await().atMost(WAIT).until(() -> {
      var st = status("customer-a", "acme");
      return st != null && st.conditions() != null && !st.conditions().isEmpty();
    });
    assertThat(builds()).isEqualTo(buildsBefore);
  }

  private ExternalBookDefinitionStatus status(String namespace, String name) {
    return client.resources(ExternalBookDefinition.class).inNamespace(namespace).withName(name).get().getStatus();
  }

  @Test
  void aBadBookIsReportedInItsStatusAndOthersKeepTheirRoutes() {
    createWith("customer-a", "bad", new ExternalBookDefinitionSpec.ExternalIntegration("github", "webhook", null, null, null));
    createRoutable(client, "customer-b", "good");
    awaitCondition("customer-a", "bad", c -> {
      assertThat(c.status()).isEqualTo("False");
      assertThat(c.message()).contains("spec.externalIntegrations[0].authentication");
    });
    // The bad book's status may be written before the snapshot that adds the good one is published.
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(publisher.current().orElseThrow().clusters().resources()).containsKey("k8s/customer-b/good/8080"));
    assertThat(publisher.current().orElseThrow().clusters().resources()).doesNotContainKey("k8s/customer-a/bad/8080");
  }

  /** A hand-applied book beyond the caps (the mock stores what a real API server's CRD schema would refuse) is refused in its status. */
  @Test
  void aBookBeyondTheWebhookCapsIsRefusedInItsStatusNamingTheField() {
    createWith("customer-a", "greedy", new ExternalBookDefinitionSpec.ExternalIntegration("github", "webhook", null,
        new ExternalBookDefinitionSpec.Authentication("signature", "github",
            new ExternalBookDefinitionSpec.SecretRef("greedy-credentials", "github"), 86_400, null),
        null));
    awaitCondition("customer-a", "greedy", c -> {
      assertThat(c.status()).isEqualTo("False");
      assertThat(c.message()).contains("spec.externalIntegrations[0].authentication.tolerance_seconds: must be from 1 to 3600 seconds");
    });
    assertThat(publisher.current().orElseThrow().clusters().resources()).doesNotContainKey("k8s/customer-a/greedy/8080");
  }

  /**
   * A hand-applied book whose HMAC options ext-authz could never verify (md5, an unknown encoding)
   * — the mock stores what the CRD schema's patterns would refuse — gets no route and a status
   * naming each field (the rule is bdk-model's Hmac, ext-authz's and the library's too).
   */
  @Test
  void aBookWithInvalidHmacOptionsIsRefusedInItsStatusNamingTheField() {
    createWith("customer-a", "md5", new ExternalBookDefinitionSpec.ExternalIntegration("acme", "webhook", null,
        new ExternalBookDefinitionSpec.Authentication("signature", "hmac",
            new ExternalBookDefinitionSpec.SecretRef("md5-credentials", "acme"), null,
            new Hmac("md5", "X-Sig", null, "base32", null, null)),
        null));
    createRoutable(client, "customer-b", "good");
    awaitCondition("customer-a", "md5", c -> {
      assertThat(c.status()).isEqualTo("False");
      assertThat(c.message()).isEqualTo(String.join("; ",
          "spec.externalIntegrations[0].authentication.hmac.algorithm: must be one of sha1, sha256, sha512; got 'md5'",
          "spec.externalIntegrations[0].authentication.hmac.encoding: must be one of base64, hex; got 'base32'"));
    });
    assertThat(publisher.current().orElseThrow().clusters().resources()).containsKey("k8s/customer-b/good/8080")
        .doesNotContainKey("k8s/customer-a/md5/8080");
  }

  /** The library REST route of the current snapshot. */
  io.envoyproxy.envoy.config.route.v3.Route libraryRoute() {
    return publisher.current().orElseThrow().routes().resources().values().iterator().next().getVirtualHosts(0)
        .getRoutesList().stream().filter(r -> r.getName().equals("library-rest")).findFirst().orElseThrow();
  }

  /** The inline JWKS of the jwt_authn provider in the current snapshot's listener. */
  String inlineJwks() throws Exception {
    var listener = publisher.current().orElseThrow().listeners().resources().values().iterator().next();
    var hcm = listener.getFilterChains(0).getFilters(0).getTypedConfig()
        .unpack(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.class);
    var jwt = hcm.getHttpFiltersList().stream().filter(f -> f.getName().equals("envoy.filters.http.jwt_authn")).findFirst()
        .orElseThrow().getTypedConfig().unpack(io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication.class);
    return jwt.getProvidersOrThrow("bdk").getLocalJwks().getInlineString();
  }

  double jwksKeys() {
    return registry.get("bdk.xds.jwks.keys").gauge().value();
  }

  static io.fabric8.kubernetes.api.model.ConfigMap jwksConfigMap(String jwks) {
    return new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
        .withNewMetadata().withNamespace("bdk").withName("bdk-jwks").endMetadata()
        .withData(Map.of("jwks.json", jwks))
        .build();
  }

  @Test
  void theJwksConfigMapIsWatchedAKeyChangeIsPushedAndAMissingOrBrokenOneFailsClosed() throws Exception {
    // No ConfigMap yet: library routes refuse by themselves, nothing is forwarded.
    assertThat(libraryRoute().getDirectResponse().getStatus()).isEqualTo(401);
    assertThat(jwksKeys()).isZero();

    var first = DevIssuer.generate("bdk-local", "bdk-library");
    client.resource(jwksConfigMap(first.publicJwks())).create();
    await().atMost(WAIT).until(() -> libraryRoute().hasRoute());
    assertThat(inlineJwks()).contains(first.keyId(DevIssuer.Algorithm.RS256),
        first.keyId(DevIssuer.Algorithm.ES256));
    assertThat(jwksKeys()).isEqualTo(2);

    var rotated = DevIssuer.generate("bdk-local", "bdk-library");
    client.resource(jwksConfigMap(rotated.publicJwks())).update();
    String rotatedKid = rotated.keyId(DevIssuer.Algorithm.RS256);
    await().atMost(WAIT).until(() -> inlineJwks().contains(rotatedKid));
    assertThat(inlineJwks()).doesNotContain(first.keyId(DevIssuer.Algorithm.RS256));

    client.resource(jwksConfigMap("{\"keys\": \"broken\"}")).update();
    await().atMost(WAIT).until(() -> libraryRoute().hasDirectResponse());
    assertThat(inlineJwks()).as("the old keys are gone too").doesNotContain(rotatedKid);
    assertThat(jwksKeys()).isZero();

    client.resource(jwksConfigMap(rotated.publicJwks())).update();
    await().atMost(WAIT).until(() -> libraryRoute().hasRoute());
    client.configMaps().inNamespace("bdk").withName("bdk-jwks").delete();
    await().atMost(WAIT).until(() -> libraryRoute().hasDirectResponse());
  }

  @Test
  void aJwksSecretIsReadFromItsBase64Data() throws Exception {
    var source = new JwtSettings.KubernetesJwks(
        JwtSettings.KubernetesJwks.Kind.SECRET, "bdk", "idp-keys", "public.json");
    GatewaySettings settings = GatewaySettings.defaults().withJwt(
        new JwtSettings("bdk-local", List.of("bdk-library"), source),
        GatewaySettings.DEFAULT_JWKS_TRUSTED_CA);
    var issuer = DevIssuer.generate("bdk-local", "bdk-library");
    client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withNamespace("bdk").withName("idp-keys").endMetadata()
        .withData(Map.of("public.json", Base64.getEncoder().encodeToString(
            issuer.publicJwks().getBytes(java.nio.charset.StandardCharsets.UTF_8))))
        .build()).create();
    watcher.close();
    startWatcher(settings, FAST);

    assertThat(libraryRoute().hasRoute()).isTrue();
    assertThat(inlineJwks()).contains(issuer.keyId(DevIssuer.Algorithm.ES256));
  }

  @Test
  void aNewBookWhoseServiceNeverGetsEndpointsIsRoutedOnceItsGraceHasPassed() throws Exception {
    watcher.close();
    startWatcher(GatewaySettings.defaults(), FAST.withFirstEndpointsGrace(Duration.ofMillis(300)));

    client.resource(ebd("customer-a", "lonely")).create();
    // Nothing else happens: the grace's end alone brings the rebuild that routes it (Envoy answers 503 as before).
    await().atMost(WAIT).until(() ->
        publisher.current().orElseThrow().clusters().resources().containsKey("k8s/customer-a/lonely/8080"));
    awaitCondition("customer-a", "lonely", c -> assertThat(c.status()).isEqualTo("True"));
  }

  @Test
  void booksPresentWhenTheWatcherStartsAreNeverHeld() throws Exception {
    client.resource(ebd("customer-a", "existing")).create();
    await().atMost(WAIT).until(() -> client.resources(ExternalBookDefinition.class)
        .inNamespace("customer-a").withName("existing").get().getStatus() != null);
    watcher.close();
    startWatcher(GatewaySettings.defaults(), FAST);
    // A restart does not take a running book's route away while its backend has no endpoints.
    assertThat(publisher.current().orElseThrow().clusters().resources()).containsKey("k8s/customer-a/existing/8080");
  }
}
