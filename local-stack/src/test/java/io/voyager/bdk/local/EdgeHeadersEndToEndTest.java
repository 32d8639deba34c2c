package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookRoutes;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client can and cannot make the edge do, on a real Envoy: client-sent {@code x-envoy-*}
 * headers cannot make Envoy retry a failing book (it is reached exactly once) and client-sent
 * {@code x-bdk-*} headers never reach the book; the access log is JSON without query strings or
 * credentials and names the trusted client address, not a forged X-Forwarded-For; a flood of
 * forged webhooks from one address gets 429 from Envoy itself, so ext-authz checks only what the
 * per-address bucket lets through, while another address is unaffected.
 */
class EdgeHeadersEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final String NAMESPACE = "customer-acme";
  private static final String BOOK = "flaky";
  private static final Integration GITHUB =
      new Integration("github", "github", "flaky-github-credentials", new RateLimit(100.0, 1000), null);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path runDir;
  static LocalStack stack;
  static HttpServer book;
  static final AtomicInteger bookRequests = new AtomicInteger();
  static final AtomicReference<Map<String, List<String>>> lastHeaders = new AtomicReference<>();
  static final String SECRET = "flaky-" + UUID.randomUUID();
  static String path;

  @BeforeAll
  static void start() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-edge-headers")
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .serviceArgs(Component.XDS, "--webhook-client-rate", "2", "--webhook-client-burst", "10")
        .start();
    // A book that always fails with 503 and counts what reaches it.
    book = HttpServer.create(new InetSocketAddress(LocalStack.LOCALHOST, 0), 0);
    book.createContext("/", exchange -> {
      bookRequests.incrementAndGet();
      Map<String, List<String>> headers = new ConcurrentHashMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), List.copyOf(v)));
      lastHeaders.set(headers);
      exchange.getRequestBody().readAllBytes();
      byte[] body = "{\"error\":\"try later\"}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(503, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    book.start();
    WebhookBooks books = new WebhookBooks(stack);
    books.putSecret(NAMESPACE, GITHUB.secretName(), List.of(SECRET));
    books.create(NAMESPACE, BOOK, "flaky-book", book.getAddress().getPort(), List.of(GITHUB));
    path = WebhookRoutes.publicPath(NAMESPACE, BOOK, GITHUB.name());
    await("webhook route live").atMost(CONVERGE).until(() -> GatewayClient.anonymous(stack).post(path, "{}").status() == 401);
  }

  @AfterAll
  static void stop() {
    if (book != null) {
      book.stop(0);
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void clientSentEnvoyHeadersCannotMakeEnvoyRetryAndClientSentBdkHeadersNeverReachTheBook() throws Exception {
    String body = "{\"action\":\"opened\",\"id\":\"" + UUID.randomUUID() + "\"}";
    String delivery = "delivery-" + UUID.randomUUID();
    Map<String, String> headers = new LinkedHashMap<>(WebhookBooks.sign(GITHUB, SECRET, body, delivery));
    headers.put("X-Forwarded-For", "10.0.0.1");
    headers.put("x-envoy-retry-on", "5xx");
    headers.put("x-envoy-max-retries", "3");
    headers.put("x-envoy-upstream-rq-per-try-timeout-ms", "1");
    headers.put("x-bdk-webhook-id", "forged-id");
    headers.put("x-bdk-routed-to", "customer-globex/orders");
    headers.put("X-Bdk-Anything", "forged");
    int before = bookRequests.get();

    GatewayClient.Answer answer = GatewayClient.anonymous(stack).post(path, body, headers);

    assertThat(answer.status()).isEqualTo(503); // the book's own answer, passed on once
    assertThat(answer.body()).contains("try later");
    assertThat(bookRequests.get() - before).isEqualTo(1);
    Map<String, List<String>> seen = lastHeaders.get();
    assertThat(seen.get("x-bdk-webhook-id")).containsExactly(delivery);
    assertThat(seen.get("x-bdk-routed-to")).containsExactly(NAMESPACE + "/flaky-book");
    assertThat(seen).doesNotContainKeys("x-bdk-anything", "x-envoy-retry-on", "x-envoy-max-retries",
        "x-envoy-upstream-rq-per-try-timeout-ms");
    assertThat(answer.headers().map().keySet()).noneMatch(h -> h.startsWith("x-envoy-"));

    // The access log: JSON, the trusted client (the TCP peer, not the forged X-Forwarded-For).
    JsonNode line = awaitAccessLog(l -> delivery.equals(l.path("webhook_id").asText()));
    assertThat(line.path("client").asText()).isEqualTo("127.0.0.1");
    assertThat(line.path("status").asInt()).isEqualTo(503);
    assertThat(line.path("method").asText()).isEqualTo("POST");
    assertThat(line.path("path").asText()).isEqualTo(path);
    assertThat(line.path("upstream_cluster").asText()).isEqualTo("k8s/" + NAMESPACE + "/" + BOOK + "/" + book.getAddress().getPort());
    assertThat(Files.readString(stack.envoy().logFile())).doesNotContain(headers.get("X-Hub-Signature-256"));
  }

  @Test
  void theAccessLogNeverHoldsQueryStringsOrTokens() throws Exception {
    String marker = "q" + UUID.randomUUID().toString().replace("-", "");
    assertThat(GatewayClient.anonymous(stack).get("/api/v1/nope-" + marker + "?access_token=SECRET" + marker).status())
        .isEqualTo(404);
    assertThat(GatewayClient.anonymous(stack).withToken("not-a-jwt-" + marker).get("/api/v1/books?page_token=P" + marker)
        .status()).isEqualTo(401);
    JsonNode line = awaitAccessLog(l -> l.path("path").asText().equals("/api/v1/nope-" + marker));
    assertThat(line.path("status").asInt()).isEqualTo(404);
    awaitAccessLog(l -> l.path("path").asText().equals("/api/v1/books") && l.path("status").asInt() == 401);
    String log = Files.readString(stack.envoy().logFile());
    assertThat(log).doesNotContain("SECRET" + marker, "not-a-jwt-" + marker, "P" + marker);
  }

  @Test
  void aFloodOfForgedWebhooksFromOneAddressGets429FromEnvoyAndExtAuthzChecksOnlyWhatTheBucketLetsThrough() throws Exception {
    long checksBefore = extAuthzChecks();
    int unauthorized = 0;
    int limited = 0;
    int requests = 60;
    for (int i = 0; i < requests; i++) {
      // No body: Envoy answers a limited request at its headers, and unread body bytes would make
      // its close a reset that can swallow the answer.
      RawAnswer answer = rawPost("127.0.0.9", path, "",
          Map.of("X-Hub-Signature-256", "sha256=" + "00".repeat(32), "X-GitHub-Delivery", "forged-" + i));
      if (answer.status() == 429) {
        limited++;
        assertThat(answer.head()).containsIgnoringCase("x-bdk-limited-by: gateway");
      } else {
        assertThat(answer.status()).isEqualTo(401);
        unauthorized++;
      }
    }
    assertThat(limited).isPositive();
    assertThat(unauthorized + limited).isEqualTo(requests);
    // Every request Envoy let through cost one Check; the 429s cost none.
    final int passed = unauthorized;
    await("ext-authz check count settles").atMost(CONVERGE).until(() -> extAuthzChecks() - checksBefore == passed);
    assertThat(passed).isLessThan(requests);
    // Another address has its own bucket.
    assertThat(rawPost("127.0.0.10", path, "", Map.of()).status()).isEqualTo(401);
  }

  // ---- helpers ----

  interface LinePredicate {
    boolean test(JsonNode line);
  }

  static JsonNode awaitAccessLog(LinePredicate predicate) {
    AtomicReference<JsonNode> found = new AtomicReference<>();
    await("access log line").atMost(CONVERGE).until(() -> {
      for (String line : Files.readAllLines(stack.envoy().logFile())) {
        if (line.startsWith("{")) {
          JsonNode json = JSON.readTree(line);
          if (predicate.test(json)) {
            found.set(json);
            return true;
          }
        }
      }
      return false;
    });
    return found.get();
  }

  static long extAuthzChecks() throws Exception {
    String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://" + LocalStack.LOCALHOST + ":" + stack.ports().extAuthzAdmin() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("(?m)^bdk_extauthz_checks_total\\{[^}]*} ([0-9.E]+)$").matcher(metrics);
    double total = 0;
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return Math.round(total);
  }

  record RawAnswer(int status, String head) {}

  /** An HTTP/1.1 POST to the plain listener from the loopback address {@code sourceIp} (its own client address). */
  static RawAnswer rawPost(String sourceIp, String path, String body, Map<String, String> headers) throws Exception {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    StringBuilder request = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + bytes.length + "\r\nConnection: close\r\n");
    headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
    request.append("\r\n");
    try (Socket socket = new Socket()) {
      socket.bind(new InetSocketAddress(sourceIp, 0));
      socket.connect(new InetSocketAddress(LocalStack.LOCALHOST, stack.ports().envoyListener()), 5000);
      socket.setSoTimeout(10000);
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
      out.write(bytes);
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String response = all.toString(StandardCharsets.UTF_8);
      int end = response.indexOf("\r\n\r\n");
      String head = end < 0 ? response : response.substring(0, end);
      return new RawAnswer(Integer.parseInt(head.split(" ", 3)[1]), head);
    }
  }
}
