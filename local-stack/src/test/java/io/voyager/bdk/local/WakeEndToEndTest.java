package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.WebhookDelivery;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A webhook-triggered book sleeps and is woken by its first webhook, through the real Envoy: the
 * instance (made through the REST API) falls asleep after the controller's idle period — its
 * Deployment scaled to zero, the local runtime's backend stopped, its endpoints gone — and the next
 * signed webhook is held by ext-authz (on the route's own ext_authz filter, which waits longer)
 * while the controller, told through the book's wake Lease, scales it back up; the webhook then
 * reaches the book and is answered 200, and the instance is Ready again. A forged webhook to the
 * sleeping book is refused at once and wakes nothing.
 */
class WakeEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String NS = "customer-acme";
  private static final String INTEGRATION = "zendesk";

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static GatewayClient api;
  static KubernetesClient kube;

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-wake")
        .serviceArgs(Component.CONTROLLER, "--sleep-after", "PT8S")
        .serviceArgs(Component.EXT_AUTHZ, "--wake-hold-seconds", "20")
        .start();
    gateway = GatewayClient.anonymous(stack);
    api = GatewayClient.of(stack);
    kube = stack.kubernetes();
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aSleepingBooksFirstWebhookIsHeldUntilTheBookIsUpAndThenDelivered() {
    String secret = "whsec-" + UUID.randomUUID();
    WebhookTriggered instance = createWebhookTriggered("waker-", secret, Map.of());
    String instancePath = instance.path();
    String name = instance.name();
    String path = instance.webhookPath();

    // Awake: served at once.
    awaitPhase(instancePath, "Ready");
    assertThat(kube.resources(ExternalBookDefinition.class).inNamespace(NS).withName(name).get().getSpec().wake().lease())
        .isEqualTo(name + "-wake");
    Answer first = await("first webhook delivered").atMost(CONVERGE)
        .until(() -> send(path, secret), a -> a.status() != 404 && a.status() != 503);
    assertThat(first.status()).as(first.body()).isEqualTo(200);

    // Idle for the controller's period: asleep, nothing runs, no endpoint.
    awaitPhase(instancePath, "Sleeping");
    await("backend stopped").atMost(CONVERGE).until(() -> backendPort(name) < 0);
    assertThat(kube.apps().deployments().inNamespace(NS).withName(name).get().getSpec().getReplicas()).isZero();

    // A forged webhook: refused at once, wakes nothing (the activity record stays the first webhook's).
    String activity = lastWebhook(name);
    Answer forged = send(path, "not-" + secret);
    assertThat(forged.status()).as(forged.body()).isEqualTo(401);
    assertThat(lastWebhook(name)).isEqualTo(activity);
    assertThat(kube.apps().deployments().inNamespace(NS).withName(name).get().getSpec().getReplicas()).isZero();

    // The first real webhook: held while the book wakes, then delivered to it.
    Answer held = sendWaiting(path, secret, Duration.ofSeconds(40));
    assertThat(held.status()).as(held.body()).isEqualTo(200);
    JsonNode ack = held.json();
    assertThat(ack.path("processed").asBoolean()).isTrue();
    assertThat(ack.path("instance").asText()).isEqualTo(NS + "/" + name);
    assertThat(lastWebhook(name)).isNotEqualTo(activity);
    int backend = backendPort(name);
    assertThat(backend).isPositive();
    assertThat(received(backend).path("total").asLong()).isEqualTo(1);
    awaitPhase(instancePath, "Ready");
  }

  /**
   * With queued delivery the sender is not held: 202 at once, while the book sleeps; the relay
   * writes the wake-up call on the Lease, keeps the message until the controller reports the book
   * ready, and delivers it — once.
   */
  @Test
  void aQueuedWebhookToASleepingBookIsAcceptedAtOnceAndDeliveredOnceTheBookHasWoken() {
    String secret = "whsec-" + UUID.randomUUID();
    WebhookTriggered instance = createWebhookTriggered("queued-waker-", secret, Map.of("delivery", "queued"));
    String instancePath = instance.path();
    String name = instance.name();
    String path = instance.webhookPath();

    awaitPhase(instancePath, "Ready");
    awaitPhase(instancePath, "Sleeping");
    await("backend stopped").atMost(CONVERGE).until(() -> backendPort(name) < 0);
    String activity = lastWebhook(name);

    Answer queued = await("the queued route is served").atMost(CONVERGE)
        .until(() -> send(path, secret), a -> a.status() != 404);
    assertThat(queued.status()).as("accepted at once, the book asleep: " + queued.body()).isEqualTo(202);
    assertThat(queued.header(WebhookDelivery.HEADER_QUEUED)).contains("true");

    await("the relay asked the book to wake").atMost(CONVERGE).until(() -> !Objects.equals(lastWebhook(name), activity));
    awaitPhase(instancePath, "Ready");
    await("delivered once the book is up").atMost(CONVERGE).until(() -> {
      int backend = backendPort(name);
      return backend > 0 && received(backend).path("total").asLong() >= 1;
    });
    assertThat(received(backendPort(name)).path("total").asLong()).as("delivered once").isEqualTo(1);
  }

  /** A webhook-triggered instance, created through the library's REST API. */
  private record WebhookTriggered(String path, String name, String webhookPath) {}

  /**
   * Creates a book with one webhook integration and a {@code webhook-triggered} instance of it in
   * {@link #NS}, signed with {@code secret}; {@code webhookExtras} adds to the instance's webhook.
   */
  private static WebhookTriggered createWebhookTriggered(String namePrefix, String secret, Map<String, String> webhookExtras) {
    Answer book = api.postJson("/api/v1/books", Map.of(
        "name", namePrefix + UUID.randomUUID().toString().substring(0, 8), "version", "1.0.0",
        "runtime", Map.of("language", "python", "version", "3.11"),
        "integrations", List.of(Map.of("name", INTEGRATION, "type", "webhook"))));
    assertThat(book.status()).as(book.body()).isEqualTo(201);
    String bookId = book.json().path("book_id").asText();
    Map<String, String> webhook = new HashMap<>(Map.of("integration", INTEGRATION, "scheme", INTEGRATION,
        "credential", "signing-secret"));
    webhook.putAll(webhookExtras);
    Answer created = api.postJson("/api/v1/books/" + bookId + "/instances", Map.of(
        "customer_namespace", NS,
        "organization_id", LocalOrganizations.organizationOf(NS),
        "deployment", Map.of("type", "webhook-triggered", "replicas", 1),
        "credentials", List.of(Map.of("name", "signing-secret", "value", secret, "type", "webhook_secret", "source", "manual")),
        "webhooks", List.of(webhook)));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String instanceId = created.json().path("instance_id").asText();
    String name = kube.resources(BookInstanceDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE)
        .withLabel(BdkLabels.INSTANCE_ID, instanceId).list().getItems().get(0).getMetadata().getName();
    return new WebhookTriggered("/api/v1/books/" + bookId + "/instances/" + instanceId, name,
        WebhookRoutes.publicPath(NS, name, INTEGRATION));
  }

  private static JsonNode awaitPhase(String instancePath, String phase) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    await("instance " + phase).atMost(CONVERGE)
        .failFast(() -> last.get() != null && "Failed".equals(last.get().path("status").asText()))
        .until(() -> {
          Answer answer = api.get(instancePath);
          last.set(answer.json());
          return phase.equals(answer.json().path("status").asText());
        });
    return last.get();
  }

  private static String lastWebhook(String name) {
    Lease lease = kube.leases().inNamespace(NS).withName(name + "-wake").get();
    return lease == null || lease.getMetadata().getAnnotations() == null ? null
        : lease.getMetadata().getAnnotations().get(BookWake.LAST_WEBHOOK);
  }

  private static Answer send(String path, String secret) {
    return sendWaiting(path, secret, Duration.ofSeconds(10));
  }

  private static Answer sendWaiting(String path, String secret, Duration timeout) {
    byte[] body = ("{\"ticket\":{\"id\":\"" + UUID.randomUUID() + "\"}}").getBytes(StandardCharsets.UTF_8);
    Map<String, String> headers = new LinkedHashMap<>();
    for (Header header : Schemes.byName(INTEGRATION, Map.of())
        .sign(new SigningInput(body, secret, Instant.now(), UUID.randomUUID().toString()))) {
      headers.put(header.name(), header.value());
    }
    return gateway.post(path, new String(body, StandardCharsets.UTF_8), headers, timeout);
  }

  /** The local runtime's backend standing in for the Deployment, or -1 while none runs. */
  private static int backendPort(String deployment) {
    for (JsonNode backend : getJson("http://" + LocalStack.LOCALHOST + ":" + stack.ports().runtimeAdmin() + "/debug/backends")
        .path("backends")) {
      if (NS.equals(backend.path("namespace").asText()) && deployment.equals(backend.path("deployment").asText())) {
        return backend.path("port").asInt();
      }
    }
    return -1;
  }

  private static JsonNode received(int backendPort) {
    return getJson("http://" + LocalStack.LOCALHOST + ":" + backendPort + "/debug/received");
  }

  private static JsonNode getJson(String url) {
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(url + ": " + response.body()).isEqualTo(200);
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(url, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
