package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.Hmac;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.ReceivedWebhook;
import io.voyager.bdk.samplebook.SampleBook;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Webhooks through the real Envoy, as external senders see them: two customers (acme and globex)
 * each own an ExternalBookDefinition named {@code orders} with a zendesk webhook, their own Secret
 * and their own Service + EndpointSlice pointing at their own sample book backend. The xds-server
 * routes each public path to its customer's backend with ext_authz on; ext-authz verifies the
 * signature, replays and the rate limit. Every assertion is about what the sender gets back and
 * what each backend received.
 *
 * <p>The fail-closed test stops ext-authz, so it runs last ({@link Order}); every other test is
 * independent of the others' order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebhookEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final String ACME = "customer-acme";
  private static final String GLOBEX = "customer-globex";
  private static final String BOOK = "orders";
  private static final String BOOK_TYPE = "order-sync";
  /** Bodies over this get 413 from Envoy (the xds-server's --max-request-bytes). */
  private static final int MAX_BODY_BYTES = 64 * 1024;
  private static final RateLimit GENEROUS = new RateLimit(100.0, 100);
  /** The flood route: a bucket of 5 refilled at one token per 10 s. */
  private static final RateLimit TIGHT = new RateLimit(0.1, 5);
  private static final Hmac CUSTOM_HMAC =
      new Hmac("sha512", "X-Acme-Signature", "sha512=", "base64", "timestamp.body", "X-Acme-Timestamp");

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static SampleBook acmeBackend;
  static SampleBook globexBackend;
  static SampleBook schemesBackend;
  static final Map<String, String> secrets = new LinkedHashMap<>();

  static final Integration ACME_ZENDESK = new Integration("zendesk", "zendesk", "orders-zendesk-credentials", GENEROUS, null);
  static final Integration ACME_ROTATING = new Integration("github", "github", "orders-github-credentials", GENEROUS, null);
  static final Integration GLOBEX_ZENDESK = new Integration("zendesk", "zendesk", "orders-zendesk-credentials", GENEROUS, null);
  static final Integration GLOBEX_FLOOD = new Integration("flood", "github", "orders-flood-credentials", TIGHT, null);
  /** Its own body limit, below the gateway's. */
  static final int SMALL_BODY_BYTES = 2048;
  static final Integration ACME_SMALL =
      new Integration("small", "github", "orders-small-credentials", GENEROUS, null, SMALL_BODY_BYTES);
  static final String SCHEMES_BOOK = "every-scheme";

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-webhooks")
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .serviceArgs(Component.XDS, "--max-request-bytes", Integer.toString(MAX_BODY_BYTES))
        .start();
    gateway = GatewayClient.anonymous(stack); // webhook senders carry no bearer token
    acmeBackend = SampleBook.start(0, "acme-orders-backend");
    globexBackend = SampleBook.start(0, "globex-orders-backend");
    schemesBackend = SampleBook.start(0, "every-scheme-backend");
    WebhookBooks books = new WebhookBooks(stack);

    secrets.put(key(ACME, ACME_ZENDESK), "acme-zendesk-" + UUID.randomUUID());
    secrets.put(key(ACME, ACME_ROTATING), "acme-github-old-" + UUID.randomUUID());
    secrets.put(key(GLOBEX, GLOBEX_ZENDESK), "globex-zendesk-" + UUID.randomUUID());
    secrets.put(key(GLOBEX, GLOBEX_FLOOD), "globex-flood-" + UUID.randomUUID());
    secrets.put(key(ACME, ACME_SMALL), "acme-small-" + UUID.randomUUID());
    books.putSecret(ACME, ACME_ZENDESK.secretName(), List.of(secret(ACME, ACME_ZENDESK)));
    books.putSecret(ACME, ACME_ROTATING.secretName(), List.of(secret(ACME, ACME_ROTATING)));
    books.putSecret(GLOBEX, GLOBEX_ZENDESK.secretName(), List.of(secret(GLOBEX, GLOBEX_ZENDESK)));
    books.putSecret(GLOBEX, GLOBEX_FLOOD.secretName(), List.of(secret(GLOBEX, GLOBEX_FLOOD)));
    books.putSecret(ACME, ACME_SMALL.secretName(), List.of(secret(ACME, ACME_SMALL)));
    books.create(ACME, BOOK, BOOK_TYPE, acmeBackend.port(), List.of(ACME_ZENDESK, ACME_ROTATING, ACME_SMALL));
    books.create(GLOBEX, BOOK, BOOK_TYPE, globexBackend.port(), List.of(GLOBEX_ZENDESK, GLOBEX_FLOOD));

    for (Integration integration : schemeIntegrations().toList()) {
      String secret = integration.scheme().equals("standard")
          ? "whsec_" + Base64.getEncoder().encodeToString(UUID.randomUUID().toString().getBytes())
          : integration.scheme() + "-" + UUID.randomUUID();
      secrets.put(key(GLOBEX, SCHEMES_BOOK, integration), secret);
      books.putSecret(GLOBEX, integration.secretName(), List.of(secret));
    }
    books.create(GLOBEX, SCHEMES_BOOK, "scheme-zoo", schemesBackend.port(), schemeIntegrations().toList());

    List<String> paths = new ArrayList<>(List.of(
        path(ACME, BOOK, ACME_ZENDESK), path(ACME, BOOK, ACME_ROTATING), path(ACME, BOOK, ACME_SMALL),
        path(GLOBEX, BOOK, GLOBEX_ZENDESK), path(GLOBEX, BOOK, GLOBEX_FLOOD)));
    schemeIntegrations().forEach(i -> paths.add(path(GLOBEX, SCHEMES_BOOK, i)));
    for (String path : paths) {
      // 401 for an unsigned request means: Envoy has the route, ext-authz is reached and has the
      // route's Secret (without it the answer is 503). It takes no rate-limit token.
      await("webhook route " + path + " live").atMost(CONVERGE)
          .until(() -> gateway.post(path, "{}").status() == 401);
    }
  }

  @AfterAll
  static void stopAll() {
    Stream.of(acmeBackend, globexBackend, schemesBackend).filter(b -> b != null).forEach(SampleBook::close);
    if (stack != null) {
      stack.close();
    }
  }

  // ---- routing to the right customer ----

  @Test
  void aSignedWebhookReachesOnlyItsOwnCustomersBackendWithTheRoutingHeaders() {
    for (String customer : List.of(ACME, GLOBEX)) {
      SampleBook mine = customer.equals(ACME) ? acmeBackend : globexBackend;
      SampleBook theirs = customer.equals(ACME) ? globexBackend : acmeBackend;
      Integration zendesk = customer.equals(ACME) ? ACME_ZENDESK : GLOBEX_ZENDESK;
      long theirsBefore = theirs.receivedTotal();
      String invocation = "inv-" + UUID.randomUUID();

      Answer answer = sendSigned(customer, BOOK, zendesk, uniqueBody("ticket.created"), invocation, Map.of());

      assertThat(answer.status()).as(answer.body()).isEqualTo(200);
      String webhookId = answer.header(WebhookAuthContext.HEADER_WEBHOOK_ID).orElseThrow();
      assertThat(webhookId).isEqualTo(invocation);
      ReceivedWebhook received = receivedById(mine, webhookId);
      assertThat(received.routedTo()).isEqualTo(customer + "/" + BOOK_TYPE);
      assertThat(received.instance()).isEqualTo(customer + "/" + BOOK);
      assertThat(received.integration()).isEqualTo("zendesk");
      assertThat(received.path()).isEqualTo(path(customer, BOOK, zendesk));
      // the seed's answer, from the customer's own backend
      assertThat(answer.json().path("webhook_id").asText()).isEqualTo(webhookId);
      assertThat(answer.json().path("processed").asBoolean()).isTrue();
      assertThat(answer.json().path("routed_to").asText()).isEqualTo(customer + "/" + BOOK_TYPE);
      assertThat(answer.json().path("handled_by").asText()).isEqualTo(mine.name());
      assertThat(theirs.receivedTotal()).as("the other customer's backend").isEqualTo(theirsBefore);
    }
    assertThat(path(ACME, BOOK, ACME_ZENDESK)).isNotEqualTo(path(GLOBEX, BOOK, GLOBEX_ZENDESK));
  }

  @Test
  void routingHeadersFromTheSenderAreOverwrittenNotPassedThrough() {
    Map<String, String> forged = Map.of(
        WebhookAuthContext.HEADER_WEBHOOK_ID, "forged-id",
        WebhookAuthContext.HEADER_ROUTED_TO, GLOBEX + "/" + BOOK_TYPE,
        WebhookAuthContext.HEADER_INSTANCE, GLOBEX + "/" + BOOK,
        WebhookAuthContext.HEADER_INTEGRATION, "forged");
    String invocation = "inv-" + UUID.randomUUID();

    Answer answer = sendSigned(ACME, BOOK, ACME_ZENDESK, uniqueBody("ticket.updated"), invocation, forged);

    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    assertThat(answer.header(WebhookAuthContext.HEADER_WEBHOOK_ID)).contains(invocation);
    ReceivedWebhook received = receivedById(acmeBackend, invocation);
    assertThat(received.routedTo()).isEqualTo(ACME + "/" + BOOK_TYPE);
    assertThat(received.instance()).isEqualTo(ACME + "/" + BOOK);
    assertThat(received.integration()).isEqualTo("zendesk");
    assertThat(acmeBackend.received()).extracting(ReceivedWebhook::webhookId).doesNotContain("forged-id");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemeNames")
  void everySchemeDeliversOneValidWebhookThroughEnvoy(String scheme) {
    Integration integration = schemeIntegrations().filter(i -> i.scheme().equals(scheme)).findFirst().orElseThrow();
    String id = "id-" + UUID.randomUUID();
    String body = uniqueBody(scheme + ".event");
    Map<String, String> headers = WebhookBooks.sign(integration, secrets.get(key(GLOBEX, SCHEMES_BOOK, integration)), body, id);

    Answer answer = gateway.post(path(GLOBEX, SCHEMES_BOOK, integration), body, headers);

    assertThat(answer.status()).as(scheme + ": " + answer.body()).isEqualTo(200);
    String webhookId = answer.header(WebhookAuthContext.HEADER_WEBHOOK_ID).orElseThrow();
    if (List.of("github", "standard", "shopify", "zendesk").contains(scheme)) {
      assertThat(webhookId).as("the sender's delivery id is the webhook id").isEqualTo(id);
    }
    ReceivedWebhook received = receivedById(schemesBackend, webhookId);
    assertThat(received.integration()).isEqualTo(integration.name());
    assertThat(received.routedTo()).isEqualTo(GLOBEX + "/scheme-zoo");
    assertThat(answer.json().path("webhook_id").asText()).isEqualTo(webhookId);
  }

  // ---- the headers as Envoy hands them to ext-authz: raw lines (encode_raw_headers) ----

  /**
   * The signature header twice: Envoy sends ext-authz two header lines (raw header_map), not one
   * value joined by a comma, and the webhook is refused naming the header and its count.
   */
  @Test
  void aSignatureHeaderSentTwiceReachesExtAuthzAsTwoLinesAndIsRefused() throws Exception {
    Integration github = schemeIntegrations().filter(i -> i.scheme().equals("github")).findFirst().orElseThrow();
    String body = uniqueBody("github.twice");
    Map<String, String> signed = WebhookBooks.sign(github, secrets.get(key(GLOBEX, SCHEMES_BOOK, github)), body, "id-" + UUID.randomUUID());
    long before = schemesBackend.receivedTotal();
    List<byte[]> lines = headerLines(signed);
    lines.add(("X-Hub-Signature-256: " + signed.get("X-Hub-Signature-256")).getBytes(StandardCharsets.US_ASCII));

    String answer = rawPost(path(GLOBEX, SCHEMES_BOOK, github), body, lines);

    assertThat(answer).startsWith("HTTP/1.1 401").contains("\"reason\":\"duplicate_header\"").contains("occurs 2 times");
    assertThat(schemesBackend.receivedTotal()).isEqualTo(before);
  }

  /**
   * A byte that is not UTF-8 in the signature header (HTTP allows such octets in a value): it
   * reaches ext-authz as raw bytes and is refused 401 naming the header — with the merged headers
   * map Envoy would have replaced it with '!' before ext-authz saw the value.
   */
  @Test
  void aSignatureHeaderThatIsNotUtf8IsRefused401NamingIt() throws Exception {
    Integration github = schemeIntegrations().filter(i -> i.scheme().equals("github")).findFirst().orElseThrow();
    String body = uniqueBody("github.bytes");
    Map<String, String> signed = new LinkedHashMap<>(
        WebhookBooks.sign(github, secrets.get(key(GLOBEX, SCHEMES_BOOK, github)), body, "id-" + UUID.randomUUID()));
    String signature = signed.remove("X-Hub-Signature-256");
    List<byte[]> lines = headerLines(signed);
    ByteArrayOutputStream bad = new ByteArrayOutputStream();
    bad.writeBytes(("X-Hub-Signature-256: " + signature).getBytes(StandardCharsets.US_ASCII));
    bad.write(0xff);
    lines.add(bad.toByteArray());

    String answer = rawPost(path(GLOBEX, SCHEMES_BOOK, github), body, lines);

    assertThat(answer).startsWith("HTTP/1.1 401").contains("\"reason\":\"malformed_header\"").contains("not valid UTF-8");
  }

  private static List<byte[]> headerLines(Map<String, String> headers) {
    List<byte[]> lines = new ArrayList<>();
    headers.forEach((name, value) -> lines.add((name + ": " + value).getBytes(StandardCharsets.US_ASCII)));
    return lines;
  }

  /** POSTs {@code body} with {@code headerLines} as they are (bytes, repeats kept) over one HTTP/1.1 connection; the whole answer. */
  private static String rawPost(String path, String body, List<byte[]> headerLines) throws Exception {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(("POST " + path + " HTTP/1.1\r\nHost: " + LocalStack.LOCALHOST + "\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + bytes.length + "\r\nConnection: close\r\n").getBytes(StandardCharsets.US_ASCII));
    for (byte[] line : headerLines) {
      request.writeBytes(line);
      request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    request.writeBytes(bytes);
    try (Socket socket = new Socket(LocalStack.LOCALHOST, stack.ports().envoyListener())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.toByteArray());
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  // ---- refusals that cost the book nothing ----

  @Test
  void aBodySignedWithAnotherCustomersSecretIsRefusedAndReachesNoBackend() {
    long acmeBefore = acmeBackend.receivedTotal();
    long globexBefore = globexBackend.receivedTotal();
    String body = uniqueBody("ticket.created");
    // signed exactly as acme's zendesk would sign it, but sent to globex's zendesk path
    Map<String, String> acmeSigned = WebhookBooks.sign(ACME_ZENDESK, secret(ACME, ACME_ZENDESK), body, "inv-" + UUID.randomUUID());

    Answer answer = gateway.post(path(GLOBEX, BOOK, GLOBEX_ZENDESK), body, acmeSigned);

    assertThat(answer.status()).as(answer.body()).isEqualTo(401);
    assertThat(answer.isJson()).isTrue();
    assertThat(answer.json().path("reason").asText()).isEqualTo("signature_mismatch");
    assertThat(globexBackend.receivedTotal()).isEqualTo(globexBefore);
    assertThat(acmeBackend.receivedTotal()).isEqualTo(acmeBefore);
  }

  @Test
  void aTamperedBodyIsRefusedWithAJsonReason() {
    long before = acmeBackend.receivedTotal();
    String body = "{\"event\":\"refund\",\"amount\":10,\"n\":\"" + UUID.randomUUID() + "\"}";
    Map<String, String> headers = WebhookBooks.sign(ACME_ZENDESK, secret(ACME, ACME_ZENDESK), body, "inv-" + UUID.randomUUID());

    Answer answer = gateway.post(path(ACME, BOOK, ACME_ZENDESK), body.replace("10", "10000"), headers);

    assertThat(answer.status()).as(answer.body()).isEqualTo(401);
    assertThat(answer.isJson()).as(answer.contentType()).isTrue();
    assertThat(answer.json().path("code").asInt()).isEqualTo(401);
    assertThat(answer.json().path("reason").asText()).isEqualTo("signature_mismatch");
    assertThat(answer.json().path("message").asText()).isNotBlank();
    assertThat(answer.body()).doesNotContain(secret(ACME, ACME_ZENDESK));
    assertThat(acmeBackend.receivedTotal()).isEqualTo(before);
  }

  @Test
  void aReplayOfAnAcceptedDeliveryIsRefusedWith409() {
    String body = uniqueBody("ticket.solved");
    Map<String, String> headers = WebhookBooks.sign(ACME_ZENDESK, secret(ACME, ACME_ZENDESK), body, "inv-" + UUID.randomUUID());
    String path = path(ACME, BOOK, ACME_ZENDESK);
    Answer first = gateway.post(path, body, headers);
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    long afterFirst = acmeBackend.receivedTotal();

    Answer replay = gateway.post(path, body, headers);

    assertThat(replay.status()).as(replay.body()).isEqualTo(409);
    assertThat(replay.json().path("reason").asText()).isEqualTo("replay");
    assertThat(acmeBackend.receivedTotal()).isEqualTo(afterFirst);
  }

  /**
   * The README's replay, for the schemes whose delivery id is not signed: a captured delivery
   * (body and signature) sent again with its delivery-id header changed, or without it, is the same
   * signed delivery — 409, and the book got it once.
   */
  @ParameterizedTest(name = "{0}: {1} changed or removed")
  @CsvSource({"github, X-GitHub-Delivery", "shopify, X-Shopify-Webhook-Id"})
  void aCapturedDeliveryReplayedWithAChangedOrRemovedDeliveryIdIsRefusedWith409(String scheme, String idHeader) {
    Integration integration = schemeIntegrations().filter(i -> i.scheme().equals(scheme)).findFirst().orElseThrow();
    String body = uniqueBody(scheme + ".captured");
    Map<String, String> captured = WebhookBooks.sign(integration, secrets.get(key(GLOBEX, SCHEMES_BOOK, integration)), body,
        "delivery-" + UUID.randomUUID());
    String path = path(GLOBEX, SCHEMES_BOOK, integration);
    Answer first = gateway.post(path, body, captured);
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    long afterFirst = schemesBackend.receivedTotal();

    Map<String, String> newId = new LinkedHashMap<>(captured);
    newId.put(idHeader, "delivery-" + UUID.randomUUID());
    Answer withNewId = gateway.post(path, body, newId);
    Map<String, String> noId = new LinkedHashMap<>(captured);
    noId.remove(idHeader);
    Answer withoutId = gateway.post(path, body, noId);

    for (Answer replay : List.of(withNewId, withoutId)) {
      assertThat(replay.status()).as(replay.body()).isEqualTo(409);
      assertThat(replay.json().path("reason").asText()).isEqualTo("replay");
    }
    assertThat(schemesBackend.receivedTotal()).as("deliveries the book saw").isEqualTo(afterFirst);
  }

  /** An integration's own body limit (below the gateway's) is enforced by Envoy on its route only. */
  @Test
  void anIntegrationsOwnBodyLimitGets413OnItsRouteOnly() {
    long before = acmeBackend.receivedTotal();
    String big = "{\"blob\":\"" + "x".repeat(SMALL_BODY_BYTES * 2) + "\",\"n\":\"" + UUID.randomUUID() + "\"}";
    Answer refused = gateway.post(path(ACME, BOOK, ACME_SMALL), big,
        WebhookBooks.sign(ACME_SMALL, secret(ACME, ACME_SMALL), big, UUID.randomUUID().toString()));
    assertThat(refused.status()).as(refused.body()).isEqualTo(413);
    assertThat(acmeBackend.receivedTotal()).isEqualTo(before);

    String small = uniqueBody("push");
    Answer accepted = gateway.post(path(ACME, BOOK, ACME_SMALL), small,
        WebhookBooks.sign(ACME_SMALL, secret(ACME, ACME_SMALL), small, UUID.randomUUID().toString()));
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(200);
    // the same big body on a route of the gateway's limit (64 KiB here) goes through
    Answer elsewhere = sendSigned(ACME, BOOK, ACME_ZENDESK, big, "inv-" + UUID.randomUUID(), Map.of());
    assertThat(elsewhere.status()).as(elsewhere.body()).isEqualTo(200);
  }

  @Test
  void aBodyOverTheLimitGets413AndReachesNoBackend() {
    long before = acmeBackend.receivedTotal();
    String body = "{\"blob\":\"" + "x".repeat(MAX_BODY_BYTES) + "\"}";
    Map<String, String> headers = WebhookBooks.sign(ACME_ZENDESK, secret(ACME, ACME_ZENDESK), body, "inv-" + UUID.randomUUID());

    Answer answer = gateway.post(path(ACME, BOOK, ACME_ZENDESK), body, headers);

    assertThat(answer.status()).as(answer.body()).isEqualTo(413);
    assertThat(acmeBackend.receivedTotal()).isEqualTo(before);
  }

  @Test
  void aFloodIsCutToTheBucketWith429sCarryingRetryAfterAndRateLimitHeaders() {
    int requests = 60;
    long before = globexBackend.receivedTotal();
    List<Answer> answers = new ArrayList<>();
    long started = System.nanoTime();
    for (int i = 0; i < requests; i++) {
      answers.add(sendSigned(GLOBEX, BOOK, GLOBEX_FLOOD, uniqueBody("push"), UUID.randomUUID().toString(), Map.of()));
    }
    double elapsedSeconds = (System.nanoTime() - started) / 1e9;

    Map<Integer, Long> byStatus = answers.stream().collect(Collectors.groupingBy(Answer::status, Collectors.counting()));
    assertThat(byStatus.keySet()).as("every answer is delivered or rate limited: " + byStatus).isSubsetOf(200, 429);
    long allowed = byStatus.getOrDefault(200, 0L);
    // the bucket starts full (5) and refills 0.1 token/s over the time the flood took
    long bound = (long) Math.floor(TIGHT.burst() + TIGHT.requestsPerSecond() * elapsedSeconds);
    assertThat(allowed).as("let through in %.1f s", elapsedSeconds).isBetween((long) TIGHT.burst(), bound);
    assertThat(globexBackend.receivedTotal() - before).as("deliveries the backend saw").isEqualTo(allowed);
    List<Answer> limited = answers.stream().filter(a -> a.status() == 429).toList();
    assertThat(limited).isNotEmpty();
    for (Answer answer : limited) {
      assertThat(Long.parseLong(answer.header("Retry-After").orElseThrow())).isPositive();
      assertThat(answer.header("RateLimit").orElseThrow()).startsWith("\"webhook\";r=0;t=");
      assertThat(answer.header("RateLimit-Policy").orElseThrow()).startsWith("\"webhook\";q=5;w=");
      assertThat(answer.json().path("reason").asText()).isEqualTo("rate_limited");
    }
  }

  @Test
  void unknownWebhookPathsAnswerJson404WithoutReachingAnyBook() {
    long[] before = totals();
    String unknown = WebhookRoutes.PREFIX + "zendesk/" + "0".repeat(20);
    String body = uniqueBody("ticket.created");

    Answer answer = gateway.post(unknown, body, WebhookBooks.sign(ACME_ZENDESK, secret(ACME, ACME_ZENDESK), body, null));

    assertThat(answer.status()).as(answer.body()).isEqualTo(404);
    assertThat(answer.isJson()).as(answer.contentType()).isTrue();
    assertThat(answer.json().path("code").asInt()).as("google.rpc NOT_FOUND").isEqualTo(5);
    assertThat(totals()).isEqualTo(before);
  }

  @Test
  void aGetOnAWebhookPathIsRefusedWithoutReachingTheBook() {
    long[] before = totals();

    Answer answer = gateway.get(path(ACME, BOOK, ACME_ZENDESK));

    assertThat(answer.status()).as(answer.body()).isEqualTo(405);
    assertThat(answer.header("allow")).contains("POST");
    assertThat(answer.isJson()).as(answer.contentType()).isTrue();
    assertThat(answer.json().path("code").asInt()).as("google.rpc UNIMPLEMENTED").isEqualTo(12);
    assertThat(totals()).isEqualTo(before);
  }

  // ---- secret rotation ----

  @Test
  void aRotatedSecretTakesEffectWithoutARestart() {
    long envoyPid = stack.envoy().pid();
    WebhookBooks books = new WebhookBooks(stack);
    String oldSecret = secret(ACME, ACME_ROTATING);
    String newSecret = "acme-github-new-" + UUID.randomUUID();
    Function<String, Answer> sendWith = secret -> {
      String body = uniqueBody("push");
      return gateway.post(path(ACME, BOOK, ACME_ROTATING), body,
          WebhookBooks.sign(ACME_ROTATING, secret, body, UUID.randomUUID().toString()));
    };
    assertThat(sendWith.apply(oldSecret).status()).isEqualTo(200);
    assertThat(sendWith.apply(newSecret).status()).isEqualTo(401);

    books.putSecret(ACME, ACME_ROTATING.secretName(), List.of(newSecret, oldSecret));
    await("new secret accepted while the old one still is").atMost(CONVERGE)
        .until(() -> sendWith.apply(newSecret).status() == 200);
    Answer oldDuringRotation = sendWith.apply(oldSecret);
    assertThat(oldDuringRotation.status()).as(oldDuringRotation.body()).isEqualTo(200);

    books.putSecret(ACME, ACME_ROTATING.secretName(), List.of(newSecret));
    AtomicReference<Answer> refused = new AtomicReference<>();
    await("old secret retired").atMost(CONVERGE).until(() -> {
      refused.set(sendWith.apply(oldSecret));
      return refused.get().status() == 401;
    });
    assertThat(refused.get().json().path("reason").asText()).isEqualTo("signature_mismatch");
    Answer newAfter = sendWith.apply(newSecret);
    assertThat(newAfter.status()).as(newAfter.body()).isEqualTo(200);
    assertThat(stack.envoy().pid()).isEqualTo(envoyPid);
    assertThat(stack.components()).contains(Component.EXT_AUTHZ);
  }

  // ---- fail closed (stops ext-authz: runs last) ----

  @Test
  @Order(Integer.MAX_VALUE)
  void withExtAuthzStoppedEnvoyFailsClosedWith503AndStaysClosed() throws Exception {
    Answer before = sendSigned(ACME, BOOK, ACME_ZENDESK, uniqueBody("ticket.created"), "inv-" + UUID.randomUUID(), Map.of());
    assertThat(before.status()).as(before.body()).isEqualTo(200);
    long delivered = acmeBackend.receivedTotal();

    stack.stop(Component.EXT_AUTHZ);

    Answer refused = sendSigned(ACME, BOOK, ACME_ZENDESK, uniqueBody("ticket.created"), "inv-" + UUID.randomUUID(), Map.of());
    assertThat(refused.status()).as(refused.body()).isEqualTo(503);
    // nothing else changes: every later webhook is refused too, none reaches the book
    await("stays fail-closed").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> sendSigned(ACME, BOOK, ACME_ZENDESK, uniqueBody("ticket.created"), "inv-" + UUID.randomUUID(),
            Map.of()).status() == 503);
    assertThat(acmeBackend.receivedTotal()).isEqualTo(delivered);
    assertThat(stack.envoy().isAlive()).isTrue();
  }

  // ---- helpers ----

  static Stream<String> schemeNames() {
    return Schemes.NAMES.stream();
  }

  /** One integration per scheme, named after it; hmac with non-default options. */
  static Stream<Integration> schemeIntegrations() {
    return Schemes.NAMES.stream().map(scheme -> new Integration(scheme, scheme, SCHEMES_BOOK + "-" + scheme + "-credentials", GENEROUS,
        scheme.equals("hmac") ? CUSTOM_HMAC : null));
  }

  private static Answer sendSigned(String namespace, String book, Integration integration, String body, String id,
      Map<String, String> extraHeaders) {
    Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
    headers.putAll(WebhookBooks.sign(integration, secrets.get(key(namespace, book, integration)), body, id));
    return gateway.post(path(namespace, book, integration), body, headers);
  }

  private static ReceivedWebhook receivedById(SampleBook backend, String webhookId) {
    List<ReceivedWebhook> matches = backend.received().stream().filter(r -> webhookId.equals(r.webhookId())).toList();
    assertThat(matches).as("deliveries of %s at %s", webhookId, backend.name()).hasSize(1);
    return matches.get(0);
  }

  private static long[] totals() {
    return new long[] {acmeBackend.receivedTotal(), globexBackend.receivedTotal(), schemesBackend.receivedTotal()};
  }

  private static String path(String namespace, String book, Integration integration) {
    return WebhookRoutes.publicPath(namespace, book, integration.name());
  }

  private static String secret(String namespace, Integration integration) {
    return secrets.get(key(namespace, integration));
  }

  private static String key(String namespace, Integration integration) {
    return key(namespace, BOOK, integration);
  }

  private static String key(String namespace, String book, Integration integration) {
    return namespace + "/" + book + "/" + integration.name();
  }

  private static String uniqueBody(String event) {
    return "{\"event\":\"" + event + "\",\"delivery\":\"" + UUID.randomUUID() + "\"}";
  }
}
