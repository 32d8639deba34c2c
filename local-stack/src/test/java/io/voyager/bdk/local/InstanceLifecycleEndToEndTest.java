package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.WebhookRoutes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An instance's whole life as a user sees it, through Envoy's REST API only (Kubernetes objects
 * are read to assert, never written — except one BookInstanceDefinition that bypasses the library
 * on purpose): create a book with a webhook integration, create an instance with its signing
 * secret, watch the controller and the local runtime make it Ready, send it signed webhooks, and
 * delete it again. Every REST answer is checked never to carry a credential value.
 */
class InstanceLifecycleEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ACME = "customer-acme";
  private static final String GLOBEX = "customer-globex";
  private static final String INTEGRATION = "zendesk";
  private static final String SCHEME = "zendesk";

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static GatewayClient api;  // library calls, with a platform-admin token
  static KubernetesClient kube;
  static String bookName;
  static String bookId;

  /** Every credential value this test submitted: no REST answer may contain one. */
  static final List<String> secrets = new ArrayList<>();
  /** Every REST answer this test received. */
  static final List<Answer> answers = new ArrayList<>();

  @BeforeAll
  static void startStackAndCreateBook() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-instance-lifecycle")
        .start();
    gateway = GatewayClient.anonymous(stack);
    api = GatewayClient.of(stack);
    kube = stack.kubernetes();
    bookName = "support-" + shortId();
    bookId = createBook(bookName, "python");
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @AfterEach
  void noRestAnswerCarriedACredential() {
    synchronized (answers) {
      for (Answer answer : answers) {
        for (String secret : secrets) {
          assertThat(answer.body()).as("a REST answer leaked a credential").doesNotContain(secret);
        }
      }
    }
  }

  @Test
  void aWebhookInstanceBecomesReadyAndItsBookReceivesOnlyCorrectlySignedWebhooks() {
    String secret = newSecret();
    Instance acme = createWebhookInstance(bookId, ACME, secret);

    JsonNode ready = awaitReadyAndRouted(acme);
    assertThat(ready.path("webhooks").path(0).path("path").asText())
        .isEqualTo(WebhookRoutes.publicPath(ACME, acme.name(), INTEGRATION))
        .isEqualTo(acme.path());
    assertThat(ready.path("deployment_status").path("ready_replicas").asInt()).isPositive();
    assertThat(ready.path("credentials").toString()).contains("signing-secret").doesNotContain("value");

    Answer delivered = deliver(acme.path(), secret);
    JsonNode ack = delivered.json();
    assertThat(ack.path("processed").asBoolean()).isTrue();
    assertThat(ack.path("webhook_id").asText()).isNotBlank();
    assertThat(ack.path("routed_to").asText()).isEqualTo(ACME + "/" + bookName); // the seed's customer/book
    assertThat(ack.path("instance").asText()).isEqualTo(ACME + "/" + acme.name());
    assertThat(ack.has("processing_time_ms")).isTrue();

    JsonNode received = received(backendPort(ACME, acme.name()));
    JsonNode last = lastReceived(received);
    assertThat(last.path("webhook_id").asText()).isEqualTo(ack.path("webhook_id").asText());
    assertThat(last.path("instance").asText()).isEqualTo(ACME + "/" + acme.name());
    assertThat(last.path("integration").asText()).isEqualTo(INTEGRATION);
    long total = received.path("total").asLong();

    Answer forged = send(acme.path(), "wrong-" + secret);
    assertThat(forged.status()).as(forged.body()).isEqualTo(401);
    Answer unsigned = gateway.post(acme.path(), "{\"ticket\":1}");
    assertThat(unsigned.status()).as(unsigned.body()).isEqualTo(401);
    assertThat(received(backendPort(ACME, acme.name())).path("total").asLong()).isEqualTo(total);
  }

  @Test
  void signedWebhooksBeyondTheInstancesRateLimitAre429AndNeverReachTheBook() {
    String secret = newSecret();
    // a burst of 2 that refills once every 1000 s: the third delivery in a row is over the limit
    Instance limited = createWebhookInstance(bookId, ACME, secret,
        Map.of("rate_limit", Map.of("requests_per_second", 0.001, "burst", 2)));
    awaitPhase(limited, "Ready");

    deliver(limited.path(), secret);
    // the bucket may have lost a token to a delivery that met the route before its endpoints (503)
    List<Integer> statuses = new ArrayList<>();
    Answer answer;
    do {
      answer = send(limited.path(), secret);
      statuses.add(answer.status());
    } while (answer.status() == 200 && statuses.size() < 5);
    assertThat(statuses).as("statuses until refused").endsWith(429).hasSizeLessThanOrEqualTo(3);
    assertThat(answer.json().path("reason").asText()).isEqualTo("rate_limited");
    int backend = backendPort(ACME, limited.name());
    long total = received(backend).path("total").asLong();

    Answer flooded = send(limited.path(), secret);
    assertThat(flooded.status()).as(flooded.body()).isEqualTo(429);
    assertThat(received(backend).path("total").asLong()).isEqualTo(total);
  }

  @Test
  void anotherCustomersInstanceHasItsOwnPathAndNeverReceivesTheFirstCustomersEvents() {
    String acmeSecret = newSecret();
    String globexSecret = newSecret();
    Instance acme = createWebhookInstance(bookId, ACME, acmeSecret);
    Instance globex = createWebhookInstance(bookId, GLOBEX, globexSecret);
    assertThat(globex.path()).isNotEqualTo(acme.path());
    awaitPhase(acme, "Ready");
    awaitPhase(globex, "Ready");

    deliver(acme.path(), acmeSecret);
    int globexBackend = backendPort(GLOBEX, globex.name());
    assertThat(globexBackend).isNotEqualTo(backendPort(ACME, acme.name()));
    long globexTotal = received(globexBackend).path("total").asLong();

    // acme's event, correctly signed for acme, sent to globex's path: globex's secret does not verify it
    Answer crossed = send(globex.path(), acmeSecret);
    assertThat(crossed.status()).as(crossed.body()).isEqualTo(401);
    assertThat(received(globexBackend).path("total").asLong()).isEqualTo(globexTotal);

    Answer own = deliver(globex.path(), globexSecret);
    assertThat(own.json().path("instance").asText()).isEqualTo(GLOBEX + "/" + globex.name());
    assertThat(lastReceived(received(globexBackend)).path("instance").asText()).isEqualTo(GLOBEX + "/" + globex.name());
    for (JsonNode webhook : received(backendPort(ACME, acme.name())).path("received")) {
      assertThat(webhook.path("instance").asText()).isEqualTo(ACME + "/" + acme.name());
    }
  }

  @Test
  void invalidInstancesFailWithAMessageNamingTheProblemWhileValidOnesKeepServing() {
    String secret = newSecret();
    Instance valid = createWebhookInstance(bookId, ACME, secret);
    awaitPhase(valid, "Ready");

    // accepted by the library (any runtime language), refused by the controller (no image for it)
    String cobolBook = createBook("legacy-" + shortId(), "cobol");
    Instance cobol = createWebhookInstance(cobolBook, ACME, newSecret());
    JsonNode failed = awaitPhase(cobol, "Failed");
    assertThat(failed.path("conditions").toString()).contains("runtime.language").contains("cobol");

    // written to the API directly, bypassing the library: a book nobody defined
    BookInstanceDefinition orphan = new BookInstanceDefinition();
    orphan.getMetadata().setNamespace(BdkLabels.BDK_NAMESPACE);
    orphan.getMetadata().setName("orphan-" + shortId());
    orphan.setSpec(new BookInstanceDefinitionSpec(
        new BookInstanceDefinitionSpec.BookRef("no-such-book", "1.0.0"),
        new BookInstanceDefinitionSpec.Customer(ACME, null),
        new BookInstanceDefinitionSpec.Deployment("primary", null, null, null),
        null, null, null, null));
    kube.resource(orphan).create();
    await("unknown book reported as Failed").atMost(CONVERGE).untilAsserted(() -> {
      BookInstanceDefinition current = kube.resources(BookInstanceDefinition.class)
          .inNamespace(BdkLabels.BDK_NAMESPACE).withName(orphan.getMetadata().getName()).get();
      assertThat(current.getStatus()).isNotNull();
      assertThat(current.getStatus().phase()).isEqualTo("Failed");
      assertThat(current.getStatus().conditions().toString()).contains("unknown book 'no-such-book'");
    });
    assertThat(kube.apps().deployments().inNamespace(ACME).withName(cobol.name()).get()).isNull();
    assertThat(kube.apps().deployments().inNamespace(ACME).withName(orphan.getMetadata().getName()).get()).isNull();

    deliver(valid.path(), secret);
    assertThat(instance(valid).path("status").asText()).isEqualTo("Ready");
    kube.resource(orphan).delete();
  }

  @Test
  void aLongPollingInstanceIsReadyWithoutServiceWebhookRouteOrBackend() {
    Answer created = api.postJson("/api/v1/books/" + bookId + "/instances", Map.of(
        "customer_namespace", ACME,
        "deployment", Map.of("type", "long-polling"),
        "credentials", List.of(credential("api-token", newSecret()))));
    answers.add(created);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    Instance poller = instanceOf(created.json(), null);

    JsonNode ready = awaitPhase(poller, "Ready");
    assertThat(ready.path("webhooks")).isEmpty();
    assertThat(kube.apps().deployments().inNamespace(ACME).withName(poller.name()).get()).isNotNull();
    assertThat(servicesOf(ACME, poller.name())).isEmpty();
    assertThat(gateway.post(WebhookRoutes.publicPath(ACME, poller.name(), INTEGRATION), "{}").status()).isEqualTo(404);
    assertThat(stack.envoy().admin().configDump("dynamic_route_configs").toString()).doesNotContain(poller.name());
    assertThat(backends().toString()).doesNotContain(poller.name());
  }

  @Test
  void deletingAnInstanceRemovesWhatTheControllerMadeClosesItsPathAndStopsItsBook() throws Exception {
    String secret = newSecret();
    Instance doomed = createWebhookInstance(bookId, ACME, secret);
    awaitPhase(doomed, "Ready");
    deliver(doomed.path(), secret);
    assertThat(kube.apps().deployments().inNamespace(ACME).withName(doomed.name()).get()).isNotNull();
    assertThat(servicesOf(ACME, doomed.name())).isNotEmpty();
    assertThat(ebd(ACME, doomed.name())).isNotNull();
    assertThat(kube.secrets().inNamespace(ACME).withName(doomed.name() + "-credentials").get()).isNotNull();

    Answer deleted = api.delete(instancePath(doomed));
    answers.add(deleted);
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);

    await("everything made for the instance removed").atMost(CONVERGE).untilAsserted(() -> {
      assertThat(kube.apps().deployments().inNamespace(ACME).withName(doomed.name()).get()).isNull();
      assertThat(servicesOf(ACME, doomed.name())).isEmpty();
      assertThat(ebd(ACME, doomed.name())).isNull();
      assertThat(kube.secrets().inNamespace(ACME).withName(doomed.name() + "-credentials").get()).isNull();
      assertThat(kube.secrets().inNamespace(ACME).withLabel(BdkLabels.INSTANCE_NAME, doomed.name()).list().getItems())
          .isEmpty();
    });
    await("webhook path closed").atMost(CONVERGE).until(() -> send(doomed.path(), secret).status() == 404);
    await("backend stopped").atMost(CONVERGE).until(() -> !backends().toString().contains(doomed.name()));
    Answer gone = api.get(instancePath(doomed));
    answers.add(gone);
    assertThat(gone.status()).as(gone.body()).isEqualTo(404);
  }

  // ---- the user's side: REST through Envoy ----

  /** What a test needs of a created instance: its ids, Kubernetes name and webhook path. */
  record Instance(String bookId, String instanceId, String name, String path) {}

  private static String createBook(String name, String language) {
    Answer created = api.postJson("/api/v1/books", Map.of(
        "name", name,
        "version", "1.0.0",
        "description", "Answers support tickets",
        "runtime", Map.of("language", language, "version", "3.11"),
        "integrations", List.of(Map.of("name", INTEGRATION, "type", "webhook"))));
    answers.add(created);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    return created.json().path("book_id").asText();
  }

  private static Instance createWebhookInstance(String book, String namespace, String signingSecret) {
    return createWebhookInstance(book, namespace, signingSecret, Map.of());
  }

  private static Instance createWebhookInstance(
      String book, String namespace, String signingSecret, Map<String, Object> bindingExtras) {
    Map<String, Object> binding = new LinkedHashMap<>(Map.of(
        "integration", INTEGRATION, "scheme", SCHEME, "credential", "signing-secret"));
    binding.putAll(bindingExtras);
    Answer created = api.postJson("/api/v1/books/" + book + "/instances", Map.of(
        "customer_namespace", namespace,
        "organization_id", LocalOrganizations.organizationOf(namespace),
        "deployment", Map.of("type", "primary", "replicas", 1),
        "credentials", List.of(credential("signing-secret", signingSecret)),
        "webhooks", List.of(binding)));
    answers.add(created);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    // Just created, nothing routes it yet: the binding is there, its path is not (it appears once
    // the xds-server routes it). The path it will get follows the convention.
    assertThat(created.json().path("webhooks").path(0).path("integration").asText()).isEqualTo(INTEGRATION);
    assertThat(created.json().path("webhooks").path(0).path("path").asText()).isEmpty();
    return instanceOf(created.json(), namespace);
  }

  private static Map<String, String> credential(String name, String value) {
    secrets.add(value);
    return Map.of("name", name, "value", value, "type", "webhook_secret", "source", "manual");
  }

  /**
   * The instance as created, with its Kubernetes name (found by its id label: REST does not show it)
   * and the public path its webhook gets in {@code namespace} (null: it has no webhook).
   */
  private static Instance instanceOf(JsonNode created, String namespace) {
    String instanceId = created.path("instance_id").asText();
    List<BookInstanceDefinition> found = kube.resources(BookInstanceDefinition.class)
        .inNamespace(BdkLabels.BDK_NAMESPACE).withLabel(BdkLabels.INSTANCE_ID, instanceId).list().getItems();
    assertThat(found).hasSize(1);
    String name = found.get(0).getMetadata().getName();
    return new Instance(created.path("book_id").asText(), instanceId, name,
        namespace == null ? null : WebhookRoutes.publicPath(namespace, name, INTEGRATION));
  }

  private static String instancePath(Instance instance) {
    return "/api/v1/books/" + instance.bookId() + "/instances/" + instance.instanceId();
  }

  private static JsonNode instance(Instance instance) {
    Answer answer = api.get(instancePath(instance));
    answers.add(answer);
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    return answer.json();
  }

  /** Polls GET instance until its status is {@code phase}; returns that answer. */
  private static JsonNode awaitPhase(Instance instance, String phase) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    await("instance " + instance.name() + " " + phase).atMost(CONVERGE)
        .failFast(() -> last.get() != null && !phase.equals("Failed")
            && "Failed".equals(last.get().path("status").asText()))
        .until(() -> {
          last.set(instance(instance));
          return phase.equals(last.get().path("status").asText());
        });
    return last.get();
  }

  /**
   * Polls GET instance until it is Ready and reports its webhook path — the path shows only once
   * the gateway routes it (the xds-server's verdict, mirrored by the controller), which may come a
   * moment after the Deployment is ready; returns that answer.
   */
  private static JsonNode awaitReadyAndRouted(Instance instance) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    await("instance " + instance.name() + " Ready and routed").atMost(CONVERGE)
        .failFast(() -> last.get() != null && "Failed".equals(last.get().path("status").asText()))
        .until(() -> {
          last.set(instance(instance));
          return "Ready".equals(last.get().path("status").asText())
              && !last.get().path("webhooks").path(0).path("path").asText().isEmpty();
        });
    return last.get();
  }

  /** Sends a correctly signed webhook until the route exists in Envoy; asserts it was delivered (200). */
  private static Answer deliver(String path, String secret) {
    Answer delivered = await("signed webhook delivered to " + path).atMost(CONVERGE)
        .until(() -> send(path, secret), answer -> answer.status() != 404 && answer.status() != 503);
    assertThat(delivered.status()).as(delivered.body()).isEqualTo(200);
    return delivered;
  }

  /** One webhook signed with {@code secret} by the zendesk scheme, fresh timestamp and delivery id. */
  private static Answer send(String path, String secret) {
    byte[] body = ("{\"ticket\":{\"id\":" + Math.abs(UUID.randomUUID().getLeastSignificantBits() % 100000) + "}}")
        .getBytes(StandardCharsets.UTF_8);
    Map<String, String> headers = new LinkedHashMap<>();
    for (Header header : Schemes.byName(SCHEME, Map.of())
        .sign(new SigningInput(body, secret, Instant.now(), UUID.randomUUID().toString()))) {
      headers.put(header.name(), header.value());
    }
    return gateway.post(path, new String(body, StandardCharsets.UTF_8), headers);
  }

  // ---- what the test reads to assert: Kubernetes objects and the local runtime ----

  private static List<Service> servicesOf(String namespace, String instanceName) {
    return kube.services().inNamespace(namespace).list().getItems().stream()
        .filter(s -> s.getMetadata().getName().equals(instanceName)
            || instanceName.equals(Optional.ofNullable(s.getMetadata().getLabels())
                .map(l -> l.get(BdkLabels.INSTANCE_NAME)).orElse(null)))
        .toList();
  }

  private static ExternalBookDefinition ebd(String namespace, String name) {
    return kube.resources(ExternalBookDefinition.class).inNamespace(namespace).withName(name).get();
  }

  private static JsonNode backends() {
    return getJson("http://" + LocalStack.LOCALHOST + ":" + stack.ports().runtimeAdmin() + "/debug/backends")
        .path("backends");
  }

  /** The loopback port of the sample book standing in for this instance's Deployment. */
  private static int backendPort(String namespace, String deployment) {
    for (JsonNode backend : backends()) {
      if (namespace.equals(backend.path("namespace").asText()) && deployment.equals(backend.path("deployment").asText())) {
        return backend.path("port").asInt();
      }
    }
    throw new AssertionError("no backend for " + namespace + "/" + deployment + " in " + backends());
  }

  private static JsonNode received(int backendPort) {
    return getJson("http://" + LocalStack.LOCALHOST + ":" + backendPort + "/debug/received");
  }

  private static JsonNode lastReceived(JsonNode received) {
    JsonNode list = received.path("received");
    assertThat(list).as(received.toString()).isNotEmpty();
    return list.get(list.size() - 1);
  }

  private static JsonNode getJson(String url) {
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(url + ": " + response.body()).isEqualTo(200);
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(url, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String newSecret() {
    return "whsec-" + UUID.randomUUID();
  }

  private static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
