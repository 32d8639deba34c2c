package io.voyager.bdk.xds.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.WebhookEndpoint;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.xds.Fixtures;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.server.SnapshotPublisher;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.XdsTranslator;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import java.time.Duration;
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
    GatewaySettings settings = GatewaySettings.defaults();
    registry = new SimpleMeterRegistry();
    publisher = new SnapshotPublisher("bdk-gateway", registry);
    watcher = new GatewayWatcher(client, settings, new IncrementalTranslator(new XdsTranslator(settings.transcoder())),
        publisher, Duration.ofMillis(20), Duration.ofMillis(200), registry);
    watcher.start();
  }

  @AfterEach
  void stop() {
    watcher.close();
  }

  static EndpointSlice slice(String ns, String service, String portName, int port, boolean ready) {
    return new EndpointSliceBuilder()
        .withNewMetadata().withNamespace(ns).withName(service + "-1").addToLabels(KubeViews.SERVICE_NAME_LABEL, service).endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName(portName).withPort(port).endPort()
        .addNewEndpoint().withAddresses("10.1.0.1").withNewConditions().withReady(ready).endConditions().endEndpoint()
        .build();
  }

  static ExternalBookDefinition ebd(String ns, String name) {
    ExternalBookDefinition ebd = new ExternalBookDefinition();
    ebd.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
    ebd.setSpec(Fixtures.book(ns, name, Fixtures.webhook("github", "github")).spec());
    return ebd;
  }

  String version() {
    return publisher.current().map(ContentVersionedSnapshot::summaryVersion).orElse("");
  }

  double pushes() {
    return registry.get("bdk.xds.snapshot.pushes").counter().count();
  }

  double builds() {
    return registry.get("bdk.xds.snapshot.builds").counter().count();
  }

  @Test
  void creatingAndRemovingABookChangesTheSnapshotAndWritesItsStatus() {
    String initial = version();
    assertThat(initial).isNotEmpty();

    client.resource(ebd("customer-a", "acme")).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> !version().equals(initial));
    String path = WebhookRoutes.publicPath("customer-a", "acme", "github");
    assertThat(publisher.current().orElseThrow().routes().resources().values().iterator().next().toString()).contains(path);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      ExternalBookDefinition stored = client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName("acme").get();
      assertThat(stored.getStatus()).isNotNull();
      assertThat(stored.getStatus().webhooks()).containsExactly(new WebhookEndpoint("github", path));
      assertThat(stored.getStatus().conditions()).anySatisfy(c -> {
        assertThat(c.type()).isEqualTo(StatusWriter.CONDITION);
        assertThat(c.status()).isEqualTo("True");
      });
    });

    client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName("acme").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> version().equals(initial));
  }

  @Test
  void anEndpointSliceChangeProducesANewVersion() {
    client.resource(ebd("customer-a", "acme")).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> version().contains("rds=") && publisher.current().orElseThrow().clusters().resources().containsKey("k8s/customer-a/acme/8080"));
    String before = version();
    client.resource(slice("customer-a", "acme", "http", 9000, true)).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> !version().equals(before));
    var cla = publisher.current().orElseThrow().endpoints().resources().get("k8s/customer-a/acme/8080");
    assertThat(cla.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getPortValue()).isEqualTo(9000);
  }

  @Test
  void unchangedInputIsNotPushedAgain() {
    client.resource(ebd("customer-a", "acme")).create();
    await().atMost(Duration.ofSeconds(10)).until(() -> publisher.current().orElseThrow().clusters().resources().containsKey("k8s/customer-a/acme/8080"));
    // status writes and a no-op edit (a label) cause rebuilds but no new content
    await().atMost(Duration.ofSeconds(10)).until(() -> client.resources(ExternalBookDefinition.class)
        .inNamespace("customer-a").withName("acme").get().getStatus() != null);
    double pushesBefore = pushes();
    double buildsBefore = builds();
    String versionBefore = version();
    client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName("acme")
        .edit(e -> { e.getMetadata().setLabels(java.util.Map.of("touched", "yes")); return e; });
    await().atMost(Duration.ofSeconds(10)).until(() -> builds() > buildsBefore);
    assertThat(version()).isEqualTo(versionBefore);
    assertThat(pushes()).isEqualTo(pushesBefore);
  }

  @Test
  void aBadBookIsReportedInItsStatusAndOthersKeepTheirRoutes() {
    ExternalBookDefinition bad = ebd("customer-a", "bad");
    bad.setSpec(Fixtures.book("customer-a", "bad", new io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration(
        "github", "webhook", null, null, null)).spec());
    client.resource(bad).create();
    client.resource(ebd("customer-b", "good")).create();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      ExternalBookDefinition stored = client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName("bad").get();
      assertThat(stored.getStatus()).isNotNull();
      assertThat(stored.getStatus().conditions()).anySatisfy(c -> {
        assertThat(c.status()).isEqualTo("False");
        assertThat(c.message()).contains("spec.externalIntegrations[0].authentication");
      });
    });
    assertThat(publisher.current().orElseThrow().clusters().resources()).containsKey("k8s/customer-b/good/8080")
        .doesNotContainKey("k8s/customer-a/bad/8080");
  }

  /** A hand-applied book beyond the caps (the mock stores what a real API server's CRD schema would refuse) is refused in its status. */
  @Test
  void aBookBeyondTheWebhookCapsIsRefusedInItsStatusNamingTheField() {
    ExternalBookDefinition greedy = ebd("customer-a", "greedy");
    greedy.setSpec(Fixtures.book("customer-a", "greedy", new io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration(
        "github", "webhook", null,
        new io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication("signature", "github",
            new io.voyager.bdk.model.ExternalBookDefinitionSpec.SecretRef("greedy-credentials", "github"), 86_400, null),
        null)).spec());
    client.resource(greedy).create();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      ExternalBookDefinition stored = client.resources(ExternalBookDefinition.class).inNamespace("customer-a").withName("greedy").get();
      assertThat(stored.getStatus()).isNotNull();
      assertThat(stored.getStatus().conditions()).anySatisfy(c -> {
        assertThat(c.status()).isEqualTo("False");
        assertThat(c.message()).contains("spec.externalIntegrations[0].authentication.tolerance_seconds: must be from 1 to 3600 seconds");
      });
    });
    assertThat(publisher.current().orElseThrow().clusters().resources()).doesNotContainKey("k8s/customer-a/greedy/8080");
  }
}
