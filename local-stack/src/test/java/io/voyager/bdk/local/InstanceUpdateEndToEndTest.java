package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BdkRoles;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.WebhookRoutes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * UpdateInstance as a REST user meets it, through the stack's real Envoy (grpc_json_transcoder maps
 * PATCH, the body onto {@code instance} and the {@code update_mask} query parameter onto the
 * FieldMask; jwt_authn; the 409/400/403/404/429 conversions), and a webhook signing secret rotated
 * with an overlap: ext-authz verifies with both values until the overlap ends and the library's
 * sweep removes the old one, then with the new one only. No REST answer carries a credential value
 * except the one that generated it.
 */
class InstanceUpdateEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final String ACME = "customer-acme";
  private static final String INTEGRATION = "zendesk";
  /** Long enough to deliver with both values on a loaded machine, short enough to wait out. */
  private static final int OVERLAP_SECONDS = 20;

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static GatewayClient acmeAdmin;
  static KubernetesClient kube;
  static String bookId;

  static final List<String> secrets = new ArrayList<>();
  static final List<Answer> answers = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-instance-update")
        .serviceArgs(Component.LIBRARY, "--rotation-sweep-interval", "PT1S")
        .start();
    gateway = GatewayClient.anonymous(stack);
    acmeAdmin = gateway.withToken(StackTokens.token(stack, "acme", BdkRoles.ORG_ADMIN));
    kube = stack.kubernetes();
    GatewayClient admin = GatewayClient.of(stack);
    Answer book = admin.postJson("/api/v1/books", Map.of("name", "update-" + UUID.randomUUID().toString().substring(0, 8),
        "version", "1.0.0", "runtime", Map.of("language", "python", "version", "3.11"),
        "integrations", List.of(Map.of("name", INTEGRATION, "type", "webhook"))));
    assertThat(book.status()).as(book.body()).isEqualTo(201);
    bookId = book.json().path("book_id").asText();
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @AfterEach
  void noReadCarriedACredential() {
    synchronized (answers) {
      for (Answer answer : answers) {
        for (String secret : secrets) {
          assertThat(answer.body()).as("a REST answer leaked a credential").doesNotContain(secret);
        }
      }
    }
  }

  @Test
  void patchThroughEnvoy_200_409OnAStaleEtag_400Immutable_403And404AcrossTenants_429OverQuota() {
    JsonNode created = create(Map.of("customer_namespace", ACME, "deployment", Map.of("type", "primary", "replicas", 1),
        "credentials", List.of(manual("signing-secret", newSecret())),
        "webhooks", List.of(Map.of("integration", INTEGRATION, "scheme", "zendesk", "credential", "signing-secret"))));
    String path = path(created);
    String etag = get(acmeAdmin, path).json().path("etag").asText();
    assertThat(etag).matches("W/\"\\d+-\\d+\"");

    // 200: the mask (a query parameter, two paths) names what changes; the rest of the body is ignored
    Answer scaled = track(acmeAdmin.patchJson(path + "?update_mask=deployment.replicas,configuration.log_level", Map.of(
        "deployment", Map.of("replicas", 2, "type", "shared"),
        "configuration", Map.of("log_level", "debug", "environment", "ignored"),
        "etag", etag)));
    assertThat(scaled.status()).as(scaled.body()).isEqualTo(200);
    assertThat(scaled.json().path("deployment").path("replicas").asInt()).isEqualTo(2);
    assertThat(scaled.json().path("deployment").path("type").asText()).isEqualTo("primary");
    assertThat(scaled.json().path("configuration").path("log_level").asText()).isEqualTo("debug");
    assertThat(scaled.json().path("configuration").path("environment").asText()).isEmpty();
    assertThat(scaled.json().path("etag").asText()).isNotEqualTo(etag);
    // the controller rolls the change out
    String name = name(created);
    await("Deployment scaled").atMost(CONVERGE).until(() -> {
      Deployment d = kube.apps().deployments().inNamespace(ACME).withName(name).get();
      return d != null && Integer.valueOf(2).equals(d.getSpec().getReplicas());
    });

    // 409: the etag read before that update is stale; nothing changes
    Answer stale = track(acmeAdmin.patchJson(path + "?update_mask=deployment.replicas",
        Map.of("deployment", Map.of("replicas", 3), "etag", etag)));
    assertThat(stale.status()).as(stale.body()).isEqualTo(409);
    assertThat(stale.json().path("code").asInt()).isEqualTo(10); // ABORTED
    assertThat(stale.json().path("message").asText()).startsWith("etag: the instance changed since " + etag);

    // 400: immutable fields, and a path no instance has, named
    Answer immutable = track(acmeAdmin.patchJson(path + "?update_mask=customer_namespace",
        Map.of("customer_namespace", "customer-globex")));
    assertThat(immutable.status()).as(immutable.body()).isEqualTo(400);
    assertThat(immutable.json().path("message").asText()).startsWith("customer_namespace: cannot be changed");
    Answer unknown = track(acmeAdmin.patchJson(path + "?update_mask=replicas", Map.of("deployment", Map.of("replicas", 3))));
    assertThat(unknown.status()).as(unknown.body()).isEqualTo(400);
    assertThat(unknown.json().path("message").asText()).startsWith("update_mask: names no field of an instance: 'replicas'");

    // 403: a viewer of the organization; 404: another organization, in the words of a missing instance
    GatewayClient acmeViewer = gateway.withToken(StackTokens.token(stack, "acme", BdkRoles.ORG_VIEWER));
    Answer viewer = track(acmeViewer.patchJson(path + "?update_mask=deployment.replicas", Map.of("deployment", Map.of("replicas", 3))));
    assertThat(viewer.status()).as(viewer.body()).isEqualTo(403);
    assertThat(viewer.json().path("message").asText()).contains("role org-admin (or platform-admin) is required to update instances");
    GatewayClient globexAdmin = gateway.withToken(StackTokens.token(stack, "globex", BdkRoles.ORG_ADMIN));
    Answer hidden = track(globexAdmin.patchJson(path + "?update_mask=deployment.replicas", Map.of("deployment", Map.of("replicas", 3))));
    Answer missing = track(globexAdmin.patchJson("/api/v1/books/" + bookId + "/instances/" + UUID.randomUUID()
        + "?update_mask=deployment.replicas", Map.of("deployment", Map.of("replicas", 3))));
    assertThat(hidden.status()).as(hidden.body()).isEqualTo(404);
    assertThat(hidden.json().path("message").asText())
        .isEqualTo(missing.json().path("message").asText().replaceAll("'[0-9a-f-]{36}'", "'" + created.path("instance_id").asText() + "'"));
    Answer anonymous = track(gateway.patchJson(path + "?update_mask=deployment.replicas", Map.of("deployment", Map.of("replicas", 3))));
    assertThat(anonymous.status()).isEqualTo(401);

    // 429: acme's Organization allows 5 replicas per instance
    Answer over = track(acmeAdmin.patchJson(path + "?update_mask=deployment.replicas", Map.of("deployment", Map.of("replicas", 6))));
    assertThat(over.status()).as(over.body()).isEqualTo(429);
    assertThat(over.json().path("message").asText())
        .startsWith("quota max_replicas_per_instance of organization 'acme' exceeded: limit 5, requested 6");

    // without a mask: the fields the body sets; an unknown query parameter is Envoy's 400
    Answer implied = track(acmeAdmin.patchJson(path, Map.of("deployment", Map.of("replicas", 1))));
    assertThat(implied.status()).as(implied.body()).isEqualTo(200);
    assertThat(implied.json().path("deployment").path("replicas").asInt()).isEqualTo(1);
    assertThat(implied.json().path("configuration").path("log_level").asText()).isEqualTo("debug");
    assertThat(track(acmeAdmin.patchJson(path + "?updateMask2=x", Map.of())).status()).isEqualTo(400);
    assertThat(get(acmeAdmin, path).json().path("deployment").path("replicas").asInt()).isEqualTo(1);
  }

  @Test
  void aCamelCaseMaskAndAnUpgradeToAnotherVersionOfTheBook() {
    GatewayClient admin = GatewayClient.of(stack);
    String bookName = "upgrade-" + UUID.randomUUID().toString().substring(0, 8);
    String v1 = admin.postJson("/api/v1/books", Map.of("name", bookName, "version", "1.0.0",
        "runtime", Map.of("language", "python"))).json().path("book_id").asText();
    Answer v2 = admin.postJson("/api/v1/books", Map.of("name", bookName, "version", "2.0.0", "runtime", Map.of("language", "python")));
    assertThat(v2.status()).as(v2.body()).isEqualTo(201);
    Answer created = track(acmeAdmin.postJson("/api/v1/books/" + v1 + "/instances", Map.of("customer_namespace", ACME)));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String instanceId = created.json().path("instance_id").asText();

    // FieldMask's JSON form is lowerCamelCase; Envoy turns bookVersion into book_version
    Answer upgraded = track(acmeAdmin.patchJson("/api/v1/books/" + v1 + "/instances/" + instanceId + "?update_mask=bookVersion",
        Map.of("book_version", "2.0.0")));
    assertThat(upgraded.status()).as(upgraded.body()).isEqualTo(200);
    assertThat(upgraded.json().path("book_id").asText()).isEqualTo(v2.json().path("book_id").asText());
    assertThat(upgraded.json().path("book_version").asText()).isEqualTo("2.0.0");
    assertThat(get(acmeAdmin, "/api/v1/books/" + v2.json().path("book_id").asText() + "/instances/" + instanceId).status())
        .isEqualTo(200);
    assertThat(track(acmeAdmin.get("/api/v1/books/" + v1 + "/instances/" + instanceId)).status()).isEqualTo(404);
    Answer noSuchVersion = track(acmeAdmin.patchJson("/api/v1/books/" + v2.json().path("book_id").asText() + "/instances/"
        + instanceId + "?update_mask=book_version", Map.of("book_version", "9.0.0")));
    assertThat(noSuchVersion.status()).as(noSuchVersion.body()).isEqualTo(400);
    assertThat(noSuchVersion.json().path("message").asText()).startsWith("book_version: book '" + bookName + "' has no version '9.0.0'");
  }

  @Test
  void aRotatedSigningSecretVerifiesWithBothValuesDuringTheOverlapThenWithTheNewOneOnly() {
    String first = newSecret();
    JsonNode created = create(Map.of("customer_namespace", ACME, "deployment", Map.of("type", "primary", "replicas", 1),
        "credentials", List.of(manual("signing-secret", first)),
        "webhooks", List.of(Map.of("integration", INTEGRATION, "scheme", "zendesk", "credential", "signing-secret"))));
    String path = path(created);
    String webhookPath = WebhookRoutes.publicPath(ACME, name(created), INTEGRATION);
    awaitReadyAndRouted(path);
    assertThat(deliver(webhookPath, first).status()).isEqualTo(200);

    String second = newSecret();
    Answer rotated = track(acmeAdmin.patchJson(path + "?update_mask=credentials", Map.of(
        "credentials", List.of(Map.of("name", "signing-secret", "value", second,
            "rotation", Map.of("overlap_seconds", OVERLAP_SECONDS))),
        "etag", get(acmeAdmin, path).json().path("etag").asText())));
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
    JsonNode credential = rotated.json().path("credentials").path(0);
    assertThat(credential.has("value")).as("no value in the answer of a manual rotation").isFalse();
    Instant until = Instant.parse(credential.path("previous_valid_until").asText());
    assertThat(until).isEqualTo(Instant.parse(credential.path("rotated_at").asText()).plusSeconds(OVERLAP_SECONDS));

    // during the overlap: the new value verifies once ext-authz's watch has it, and the old one still does
    await("the new value verifies").atMost(CONVERGE).until(() -> send(webhookPath, second).status() == 200);
    assertThat(Instant.now()).as("still inside the overlap (the machine was too slow to check both)").isBefore(until);
    Answer old = send(webhookPath, first);
    assertThat(old.status()).as("the previous value during the overlap: " + old.body()).isEqualTo(200);
    assertThat(Instant.now()).isBefore(until);

    // after it: the sweep removes the old value, which then never verifies again; the new one does
    await("the previous value stops verifying").atMost(Duration.ofSeconds(OVERLAP_SECONDS).plus(CONVERGE))
        .until(() -> send(webhookPath, first).status() == 401);
    assertThat(Instant.now()).as("not before the overlap ended").isAfterOrEqualTo(until);
    assertThat(send(webhookPath, second).status()).isEqualTo(200);
    assertThat(send(webhookPath, first).status()).isEqualTo(401);
    String stored = new String(Base64.getDecoder().decode(kube.secrets().inNamespace(ACME)
        .withName(name(created) + "-credentials").get().getData().get("signing-secret")), StandardCharsets.UTF_8);
    assertThat(stored).isEqualTo(second);
  }

  @Test
  void aGeneratedSigningSecretIsAnsweredOnceAndVerifiesWebhooks() {
    Answer created = track(acmeAdmin.postJson("/api/v1/books/" + bookId + "/instances", Map.of(
        "customer_namespace", ACME, "deployment", Map.of("type", "primary", "replicas", 1),
        "credentials", List.of(Map.of("name", "signing-secret", "source", "generated")),
        "webhooks", List.of(Map.of("integration", INTEGRATION, "scheme", "zendesk", "credential", "signing-secret")))));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String generated = created.json().path("credentials").path(0).path("value").asText();
    assertThat(generated).matches("[A-Za-z0-9_-]{43}");
    synchronized (answers) {
      answers.remove(created); // the one answer that carries it
    }
    secrets.add(generated);
    String path = path(created.json());
    JsonNode read = awaitReadyAndRouted(path);
    assertThat(read.path("credentials").path(0).has("value")).isFalse();
    assertThat(track(acmeAdmin.get("/api/v1/books/" + bookId + "/instances")).body()).doesNotContain(generated);
    assertThat(deliver(WebhookRoutes.publicPath(ACME, name(created.json()), INTEGRATION), generated).status()).isEqualTo(200);

    // Tailscale without its auth key: 400 naming it, on update as on create
    Answer tailscale = track(acmeAdmin.patchJson(path + "?update_mask=networking.tailscale.enabled",
        Map.of("networking", Map.of("tailscale", Map.of("enabled", true)))));
    assertThat(tailscale.status()).as(tailscale.body()).isEqualTo(400);
    assertThat(tailscale.json().path("message").asText())
        .startsWith("networking.tailscale.enabled: requires a credential named 'tailscale_auth_key'");
  }

  // ---- helpers ----

  private static JsonNode create(Map<String, ?> body) {
    Answer created = track(acmeAdmin.postJson("/api/v1/books/" + bookId + "/instances", body));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    return created.json();
  }

  private static String path(JsonNode instance) {
    return "/api/v1/books/" + instance.path("book_id").asText() + "/instances/" + instance.path("instance_id").asText();
  }

  /** The instance's Kubernetes name (REST does not show it), found by its id label. */
  private static String name(JsonNode instance) {
    List<BookInstanceDefinition> found = kube.resources(BookInstanceDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE)
        .withLabel(BdkLabels.INSTANCE_ID, instance.path("instance_id").asText()).list().getItems();
    assertThat(found).hasSize(1);
    return found.get(0).getMetadata().getName();
  }

  private static Answer get(GatewayClient client, String path) {
    Answer answer = track(client.get(path));
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    return answer;
  }

  private static JsonNode awaitReadyAndRouted(String path) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    await("instance Ready and routed").atMost(CONVERGE)
        .failFast(() -> last.get() != null && "Failed".equals(last.get().path("status").asText()))
        .until(() -> {
          last.set(get(acmeAdmin, path).json());
          return "Ready".equals(last.get().path("status").asText())
              && !last.get().path("webhooks").path(0).path("path").asText().isEmpty();
        });
    return last.get();
  }

  /** Sends a signed webhook until Envoy has the route and the book its endpoints; returns that answer. */
  private static Answer deliver(String path, String secret) {
    return await("signed webhook through " + path).atMost(CONVERGE)
        .until(() -> send(path, secret), answer -> answer.status() != 404 && answer.status() != 503);
  }

  /** One webhook signed with {@code secret} by the zendesk scheme, fresh timestamp and delivery id. */
  private static Answer send(String path, String secret) {
    byte[] body = ("{\"ticket\":{\"id\":\"" + UUID.randomUUID() + "\"}}").getBytes(StandardCharsets.UTF_8);
    Map<String, String> headers = new LinkedHashMap<>();
    for (Header header : Schemes.byName("zendesk", Map.of())
        .sign(new SigningInput(body, secret, Instant.now(), UUID.randomUUID().toString()))) {
      headers.put(header.name(), header.value());
    }
    return gateway.post(path, new String(body, StandardCharsets.UTF_8), headers);
  }

  private static Map<String, String> manual(String name, String value) {
    return Map.of("name", name, "value", value, "type", "webhook_secret", "source", "manual");
  }

  private static String newSecret() {
    String secret = "secret-" + UUID.randomUUID();
    secrets.add(secret);
    return secret;
  }

  private static Answer track(Answer answer) {
    synchronized (answers) {
      answers.add(answer);
    }
    return answer;
  }
}
