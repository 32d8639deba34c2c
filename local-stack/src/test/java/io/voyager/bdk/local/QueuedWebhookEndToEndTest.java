package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.voyager.bdk.cli.Bdkctl;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.relay.DeliveryRecord;
import io.voyager.bdk.relay.DeliveryRecords;
import io.voyager.bdk.relay.QueueSettings;
import io.voyager.bdk.relay.ScriptedBook;
import io.voyager.bdk.support.tls.JdkTls;
import io.voyager.bdk.support.tls.TlsFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Queued webhook delivery end to end, all real: a sender signs a webhook for a {@code delivery:
 * queued} binding and posts it to Envoy's public listener; ext_authz (ext-authz) verifies it;
 * Envoy routes it over mutual TLS to the webhook relay, which stores it in a real nats-server's
 * JetStream and answers 202; the relay's workers POST it to Envoy's internal delivery listener
 * (mutual TLS, the relay's certificate only), whose route sends it to the book's own cluster with
 * the same {@code x-bdk-*} headers as a direct delivery. Books are {@link ScriptedBook}s: real
 * HTTP servers that answer from a script and can be down, then up.
 *
 * <p>The relay's retry schedule is shortened (one second between attempts) so retries happen
 * within a test; everything else is the relay's defaults.
 */
class QueuedWebhookEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final Duration DELIVERED = Duration.ofSeconds(60);
  private static final String ACME = "customer-acme";
  private static final String GLOBEX = "customer-globex";
  private static final RateLimit GENEROUS = new RateLimit(100.0, 100);
  /** 30 attempts a second apart: a book that is down for a few seconds is still delivered to. */
  private static final String SCHEDULE = String.join(",", Collections.nCopies(30, "1s")).replaceFirst("1s", "0s");

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static WebhookBooks books;
  static Connection nats;
  static DeliveryRecords records;
  static final List<ScriptedBook> backends = new ArrayList<>();

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-queued")
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .serviceArgs(Component.RELAY, "--retry-schedule", SCHEDULE, "--breaker-failures", "1000")
        .start();
    assertThat(stack.tls()).as("the stack runs with mutual TLS inside").isNotNull();
    gateway = GatewayClient.anonymous(stack);
    books = new WebhookBooks(stack);
    nats = Nats.connect(stack.nats().url());
    records = new DeliveryRecords(nats, QueueSettings.defaults());
  }

  @AfterAll
  static void stopAll() throws Exception {
    backends.forEach(ScriptedBook::close);
    if (nats != null) {
      nats.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  /** A queued binding {@code namespace/name/zendesk} routed to {@code backend}, live at the gateway. */
  private static Binding queuedBook(String namespace, String name, ScriptedBook backend) {
    backends.add(backend);
    String secretName = name + "-credentials";
    Integration zendesk = Integration.queued("zendesk", "zendesk", secretName, GENEROUS, false);
    String secret = "zendesk-" + UUID.randomUUID();
    books.putSecret(namespace, secretName, List.of(secret));
    books.create(namespace, name, "order-sync", backend.port(), List.of(zendesk));
    Binding binding = new Binding(namespace, name, zendesk, secret);
    // 401 unsigned: Envoy has the route and ext-authz its Secret (ext_authz runs before the relay)
    await("queued route " + binding.path() + " live").atMost(CONVERGE)
        .until(() -> gateway.post(binding.path(), "{}").status() == 401);
    return binding;
  }

  record Binding(String namespace, String name, Integration integration, String secret) {
    String path() {
      return WebhookRoutes.publicPath(namespace, name, integration.name());
    }

    Answer send(String id) {
      String body = "{\"event\":\"ticket.created\",\"delivery\":\"" + id + "\"}";
      return gateway.post(path(), body, WebhookBooks.sign(integration, secret, body, id));
    }

    Optional<DeliveryRecord> record(String id) {
      try {
        return records.get(namespace, name, id);
      } catch (Exception e) {
        return Optional.empty();
      }
    }
  }

  private static String accepted(Answer answer, String id) {
    assertThat(answer.status()).as(answer.body()).isEqualTo(202);
    assertThat(answer.header(WebhookDelivery.HEADER_QUEUED)).contains("true");
    assertThat(answer.header(WebhookAuthContext.HEADER_WEBHOOK_ID)).contains(id);
    assertThat(answer.body()).as("the relay's 202 is headers only").isEmpty();
    return id;
  }

  @Test
  void aBookThatIsDownGets202NowAndTheWebhookWhenItComesBack() throws Exception {
    ScriptedBook book = ScriptedBook.down();
    Binding binding = queuedBook(ACME, "orders-down", book);
    String webhookId = "inv-" + UUID.randomUUID();
    accepted(binding.send(webhookId), webhookId);

    await("a first attempt failed: the book is down").atMost(DELIVERED)
        .until(() -> binding.record(webhookId).filter(r -> r.attempts() >= 1
            && DeliveryRecord.RETRYING.equals(r.state())).isPresent());
    assertThat(book.received()).isEmpty();

    book.start();

    await("delivered once the book is back").atMost(DELIVERED)
        .until(() -> binding.record(webhookId).filter(r -> DeliveryRecord.DELIVERED.equals(r.state())).isPresent());
    List<ScriptedBook.Received> received = book.receivedFor(webhookId);
    assertThat(received).isNotEmpty();
    ScriptedBook.Received first = received.get(0);
    assertThat(first.path()).as("the book sees the public path, as for direct delivery").isEqualTo(binding.path());
    assertThat(first.instance()).isEqualTo(ACME + "/orders-down");
    assertThat(first.integration()).isEqualTo("zendesk");
    assertThat(Integer.parseInt(first.attempt())).as("attempts before the book came back count").isGreaterThan(1);
  }

  @Test
  void fiveHundredFiveHundredThenTwoHundredIsDeliveredOnTheThirdAttemptWithOneWebhookId() throws Exception {
    ScriptedBook book = ScriptedBook.up().answer(500, 500).otherwise(200);
    Binding binding = queuedBook(GLOBEX, "orders-flaky", book);
    String id = "inv-" + UUID.randomUUID();

    accepted(binding.send(id), id);

    await("delivered").atMost(DELIVERED)
        .until(() -> binding.record(id).filter(r -> DeliveryRecord.DELIVERED.equals(r.state())).isPresent());
    assertThat(binding.record(id).orElseThrow().attempts()).isEqualTo(3);
    List<ScriptedBook.Received> received = book.received();
    assertThat(received).extracting(ScriptedBook.Received::webhookId).containsExactly(id, id, id);
    assertThat(received).extracting(ScriptedBook.Received::attempt).containsExactly("1", "2", "3");
    assertThat(received).extracting(ScriptedBook.Received::instance).containsOnly(GLOBEX + "/orders-flaky");
  }

  @Test
  void fourHundredIsDeadLetteredAtOnceAndReplayDeliversItAfterTheBookIsFixed() throws Exception {
    ScriptedBook book = ScriptedBook.up().answer(400).otherwise(200);
    Binding binding = queuedBook(ACME, "orders-strict", book);
    String id = "inv-" + UUID.randomUUID();

    accepted(binding.send(id), id);

    await("dead-lettered").atMost(DELIVERED)
        .until(() -> binding.record(id).filter(r -> DeliveryRecord.DEAD_LETTERED.equals(r.state())).isPresent());
    DeliveryRecord dead = binding.record(id).orElseThrow();
    assertThat(dead.attempts()).as("a 400 is not retried").isEqualTo(1);
    assertThat(dead.lastStatus()).isEqualTo(400);
    assertThat(book.receivedFor(id)).hasSize(1);

    // the book is "fixed" (its script is spent: it answers 200 now); the operator replays
    StringWriter out = new StringWriter();
    int exit = Bdkctl.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(out))
        .execute("webhook", "dlq", "replay", "--id", id, "--nats-url", stack.nats().url());
    assertThat(exit).as(out.toString()).isZero();

    await("delivered after replay").atMost(DELIVERED)
        .until(() -> binding.record(id).filter(r -> DeliveryRecord.DELIVERED.equals(r.state())).isPresent());
    assertThat(book.receivedFor(id)).hasSize(2).extracting(ScriptedBook.Received::webhookId).containsOnly(id);
  }

  @Test
  void theInstanceReadThroughTheGatewayShowsWaitingAndDeadLetteredWebhooks() throws Exception {
    GatewayClient api = GatewayClient.of(stack);
    Answer book = api.postJson("/api/v1/books", Map.of(
        "name", "queue-summary", "version", "1.0.0",
        "runtime", Map.of("language", "python", "version", "3.11"),
        "integrations", List.of(Map.of("name", "zendesk", "type", "webhook"))));
    assertThat(book.status()).as(book.body()).isEqualTo(201);
    String bookId = book.json().path("book_id").asText();
    Answer created = api.postJson("/api/v1/books/" + bookId + "/instances", Map.of(
        "customer_namespace", ACME,
        "organization_id", LocalOrganizations.organizationOf(ACME),
        "deployment", Map.of("type", "primary", "replicas", 1),
        "credentials", List.of(Map.of("name", "signing-secret", "value", "s-" + UUID.randomUUID(),
            "type", "webhook_secret", "source", "manual")),
        "webhooks", List.of(Map.of("integration", "zendesk", "scheme", "zendesk", "credential", "signing-secret",
            "delivery", "queued"))));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String instanceId = created.json().path("instance_id").asText();
    String instancePath = "/api/v1/books/" + bookId + "/instances/" + instanceId;
    String name = stack.kubernetes().resources(BookInstanceDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE)
        .withLabel(BdkLabels.INSTANCE_ID, instanceId).list().getItems().get(0).getMetadata().getName();
    assertThat(created.json().has("webhook_delivery_summary")).as("only GetInstance reads the queue").isFalse();

    JsonNode empty = api.get(instancePath).json().path("webhook_delivery_summary");
    assertThat(empty.path("state").asText()).as(empty.toString()).isEqualTo("available");
    assertThat(empty.path("waiting_count").asLong()).isZero();
    assertThat(empty.path("bindings").path(0).path("integration").asText()).isEqualTo("zendesk");

    // the controller is left out of this stack: the ExternalBookDefinition it would make is made here
    ScriptedBook backend = ScriptedBook.down().otherwise(400);
    Binding binding = queuedBook(ACME, name, backend);
    String id = "inv-" + UUID.randomUUID();
    accepted(binding.send(id), id);

    JsonNode waiting = await("the read shows one webhook waiting").atMost(DELIVERED)
        .until(() -> api.get(instancePath).json().path("webhook_delivery_summary"),
            s -> s.path("waiting_count").asLong() == 1);
    assertThat(waiting.path("state").asText()).isEqualTo("available");
    assertThat(waiting.path("oldest_waiting_age").asText()).as(waiting.toString()).matches("[0-9.]+s");
    assertThat(waiting.path("dead_lettered_count").asLong()).isZero();
    JsonNode queue = waiting.path("bindings").path(0);
    assertThat(queue.path("waiting_count").asLong()).isEqualTo(1);
    assertThat(java.time.Instant.parse(queue.path("oldest_waiting_time").asText())).isBeforeOrEqualTo(java.time.Instant.now());

    backend.start(); // it answers 400: dead-lettered at once
    JsonNode dead = await("the read shows the dead letter").atMost(DELIVERED)
        .until(() -> api.get(instancePath).json().path("webhook_delivery_summary"),
            s -> s.path("dead_lettered_count").asLong() == 1 && s.path("waiting_count").asLong() == 0);
    assertThat(dead.has("oldest_waiting_age")).as(dead.toString()).isFalse();
    JsonNode deadQueue = dead.path("bindings").path(0);
    assertThat(deadQueue.path("last_dead_letter_reason").asText()).isEqualTo("client_error");
    assertThat(deadQueue.path("last_dead_letter_status").asInt()).isEqualTo(400);
    assertThat(deadQueue.path("last_dead_letter_time").asText()).isNotEmpty();

    // NATS gone: the read still answers 200, saying the summary is unavailable; back: available again
    stack.nats().kill();
    try {
      Answer down = await("the read says unavailable").atMost(DELIVERED)
          .until(() -> api.get(instancePath), a -> a.status() != 200
              || "unavailable".equals(a.json().path("webhook_delivery_summary").path("state").asText()));
      assertThat(down.status()).as(down.body()).isEqualTo(200);
      assertThat(down.json().path("webhook_delivery_summary").path("unavailable_reason").asText()).contains("NATS");
      assertThat(down.json().path("instance_id").asText()).isEqualTo(instanceId);
    } finally {
      stack.nats().startAgain();
    }
    await("available again").atMost(DELIVERED).until(() -> api.get(instancePath).json()
        .path("webhook_delivery_summary").path("dead_lettered_count").asLong() == 1);
    // the relay is back too before the next test sends (a probe: its book answers 400, a dead letter)
    await("the relay takes webhooks again").atMost(DELIVERED)
        .until(() -> binding.send("probe-" + UUID.randomUUID()).status() == 202);
  }

  @Test
  void theInternalDeliveryRouteCannotBeUsedFromOutside() throws Exception {
    ScriptedBook book = ScriptedBook.up();
    Binding binding = queuedBook(GLOBEX, "orders-guarded", book);
    String internalPath = WebhookRoutes.internalDeliveryPath(GLOBEX, "orders-guarded", "zendesk");
    Map<String, String> forged = Map.of(WebhookAuthContext.HEADER_WEBHOOK_ID, "forged-" + UUID.randomUUID());

    // the public listener has no such route, whatever the headers
    Answer publicAnswer = gateway.post(internalPath, "{}", forged);
    assertThat(publicAnswer.status()).as(publicAnswer.body()).isEqualTo(404);

    // the internal listener: no client certificate, or one of the internal CA that is not the relay's
    String internalUrl = "https://" + LocalStack.LOCALHOST + ":" + stack.ports().envoyInternal() + internalPath;
    SSLContext noCertificate = TlsEndToEndTest.trusting(stack.tls().internalCaFile());
    assertThatThrownBy(() -> post(noCertificate, internalUrl)).isInstanceOf(IOException.class);
    try (JdkTls operator = JdkTls.mutual(stack.tls().operator())) {
      assertThatThrownBy(() -> post(operator.clientContext(), internalUrl)).isInstanceOf(IOException.class);
    }
    // plain HTTP on the internal port is no way in either
    assertThatThrownBy(() -> HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(internalUrl.replace("https:", "http:"))).timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    assertThat(book.received()).as("nothing reached the book").isEmpty();

    // the relay's own certificate is admitted (the route works; only the relay may use it)
    TlsFiles relay = stack.tls().server(Component.RELAY);
    try (JdkTls relayTls = JdkTls.mutual(relay)) {
      HttpResponse<String> answer = post(relayTls.clientContext(), internalUrl);
      assertThat(answer.statusCode()).isEqualTo(200);
    }
    assertThat(book.received()).hasSize(1);
    assertThat(book.received().get(0).path()).isEqualTo(binding.path());
  }

  private static HttpResponse<String> post(SSLContext context, String url) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(context).version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .header(WebhookAuthContext.HEADER_WEBHOOK_ID, "probe-" + UUID.randomUUID())
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
  }
}
