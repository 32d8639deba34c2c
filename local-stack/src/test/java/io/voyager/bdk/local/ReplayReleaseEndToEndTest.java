package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.support.LoopbackPorts;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 item 4 through the real Envoy: a direct delivery ext-authz allowed but the book failed
 * (answered 5xx, or was down) is released — Envoy's delivery-failure gRPC access log tells
 * ext-authz, which forgets its replay entries — so the sender's retry of the same signed delivery
 * reaches the book instead of 409. A delivery the book answered 2xx stays a replay. The access log
 * is asynchronous, so the retries poll with a deadline.
 */
class ReplayReleaseEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final String NS = "customer-retry";
  private static final RateLimit GENEROUS = new RateLimit(100.0, 100);
  private static final Integration FAILING = new Integration("failing", "github", "failing-credentials", GENEROUS, null);
  private static final Integration HEALTHY = new Integration("healthy", "github", "healthy-credentials", GENEROUS, null);
  private static final Integration DOWN = new Integration("down", "github", "down-credentials", GENEROUS, null);
  private static final String SECRET = "retry-secret-" + UUID.randomUUID();

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static HttpServer failingBook;
  static HttpServer healthyBook;
  static final AtomicInteger failingStatus = new AtomicInteger(500);
  static final AtomicInteger failingReceived = new AtomicInteger();
  static final AtomicInteger healthyReceived = new AtomicInteger();
  static int closedPort;

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-replay-release").without(Component.CONTROLLER, Component.LOCAL_RUNTIME).start();
    gateway = GatewayClient.anonymous(stack);
    failingBook = book(failingReceived, failingStatus);
    healthyBook = book(healthyReceived, new AtomicInteger(200));
    closedPort = LoopbackPorts.freePort(); // nothing listens there: the book is down
    WebhookBooks books = new WebhookBooks(stack);
    for (Integration i : List.of(FAILING, HEALTHY, DOWN)) {
      books.putSecret(NS, i.secretName(), List.of(SECRET));
    }
    books.create(NS, "failing", "retry", failingBook.getAddress().getPort(), List.of(FAILING));
    books.create(NS, "healthy", "retry", healthyBook.getAddress().getPort(), List.of(HEALTHY));
    books.create(NS, "down", "retry", closedPort, List.of(DOWN));
    for (String path : List.of(path("failing", FAILING), path("healthy", HEALTHY), path("down", DOWN))) {
      await("webhook route " + path + " live").atMost(CONVERGE).until(() -> gateway.post(path, "{}").status() == 401);
    }
  }

  @AfterAll
  static void stopAll() {
    for (HttpServer s : new HttpServer[] {failingBook, healthyBook}) {
      if (s != null) {
        s.stop(0);
      }
    }
    if (stack != null) {
      stack.close();
    }
  }

  /** A book: counts what it receives and answers {@code status}. */
  static HttpServer book(AtomicInteger received, AtomicInteger status) throws Exception {
    return book(0, received, status);
  }

  static HttpServer bookOn(int port, AtomicInteger received) throws Exception {
    return book(port, received, new AtomicInteger(200));
  }

  static HttpServer book(int port, AtomicInteger received, AtomicInteger status) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      received.incrementAndGet();
      byte[] body = "{}".getBytes();
      exchange.getResponseHeaders().add("content-type", "application/json");
      exchange.sendResponseHeaders(status.get(), body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    return server;
  }

  @Test
  void aDeliveryTheBookAnswered500IsAcceptedAgainWhenTheSenderRetries() {
    String body = "{\"delivery\":\"" + UUID.randomUUID() + "\"}";
    Map<String, String> headers = WebhookBooks.sign(FAILING, SECRET, body, UUID.randomUUID().toString());
    String path = path("failing", FAILING);
    Answer first = gateway.post(path, body, headers);
    assertThat(first.status()).as(first.body()).isEqualTo(500);
    int afterFirst = failingReceived.get();
    assertThat(afterFirst).isGreaterThanOrEqualTo(1);

    // The release is asynchronous: a retry may still meet 409 until ext-authz forgot the delivery.
    failingStatus.set(200);
    await("the retry of a failed delivery is accepted").atMost(CONVERGE).pollInterval(Duration.ofMillis(200))
        .until(() -> gateway.post(path, body, headers).status() == 200);
    assertThat(failingReceived.get()).isGreaterThan(afterFirst);

    // Delivered now: the next resend is a replay again.
    Answer replay = gateway.post(path, body, headers);
    assertThat(replay.status()).as(replay.body()).isEqualTo(409);
  }

  @Test
  void aDeliveryTheBookAnswered200StaysAReplay() {
    String body = "{\"delivery\":\"" + UUID.randomUUID() + "\"}";
    Map<String, String> headers = WebhookBooks.sign(HEALTHY, SECRET, body, UUID.randomUUID().toString());
    String path = path("healthy", HEALTHY);
    assertThat(gateway.post(path, body, headers).status()).isEqualTo(200);
    int afterFirst = healthyReceived.get();
    // Polled for a while: the 409 holds (no release ever comes for a delivered webhook).
    for (int i = 0; i < 5; i++) {
      Answer replay = gateway.post(path, body, headers);
      assertThat(replay.status()).as(replay.body()).isEqualTo(409);
      assertThat(replay.json().path("reason").asText()).isEqualTo("replay");
    }
    assertThat(healthyReceived.get()).isEqualTo(afterFirst);
  }

  @Test
  void aDeliveryToABookThatIsDownIsAcceptedAgainWhenTheSenderRetries() {
    String body = "{\"delivery\":\"" + UUID.randomUUID() + "\"}";
    Map<String, String> headers = WebhookBooks.sign(DOWN, SECRET, body, UUID.randomUUID().toString());
    String path = path("down", DOWN);
    Answer first = gateway.post(path, body, headers);
    assertThat(first.status()).as(first.body()).isEqualTo(503);
    // The book comes back on its address; the sender's retry of the same delivery reaches it.
    AtomicInteger received = new AtomicInteger();
    HttpServer book;
    try {
      book = bookOn(closedPort, received);
    } catch (Exception e) {
      throw new IllegalStateException("could not bring the down book up on its port " + closedPort, e);
    }
    try {
      await("the retry of a delivery to a down book is accepted").atMost(CONVERGE).pollInterval(Duration.ofMillis(200))
          .until(() -> gateway.post(path, body, headers).status() == 200);
      assertThat(received.get()).isEqualTo(1);
      assertThat(gateway.post(path, body, headers).status()).isEqualTo(409);
    } finally {
      book.stop(0);
    }
  }

  private static String path(String book, Integration integration) {
    return WebhookRoutes.publicPath(NS, book, integration.name());
  }
}
