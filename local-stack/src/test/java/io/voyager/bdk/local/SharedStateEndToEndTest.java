package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.voyager.bdk.extauthz.Main;
import io.voyager.bdk.extauthz.ratelimit.JetStreamRateLimiter;
import io.voyager.bdk.extauthz.shared.SharedStateSettings;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.SampleBook;
import io.voyager.bdk.support.LoopbackPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replay and rate-limit state shared by ext-authz replicas (issue 9), through the real Envoy and a
 * real nats-server: two ext-authz processes (127.0.0.1 and 127.0.0.2, same port) are the two
 * endpoints of Envoy's ext_authz cluster, as two pods behind the ext-authz Service would be, and
 * both keep their state in the stack's JetStream key-value buckets.
 *
 * <p>The restart test stops both replicas, so it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedStateEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final String NAMESPACE = "customer-acme";
  private static final String BOOK = "shared-state";
  private static final String SECOND_HOST = "127.0.0.2";
  private static final Pattern CONNECTED = Pattern.compile("(?m)^bdk_extauthz_state_connected(?:\\{[^}]*\\})? ([0-9.E+]+)$");
  private static final Pattern CHECKS = Pattern.compile("(?m)^bdk_extauthz_checks_total\\{[^}]*\\} ([0-9.E+]+)$");
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static final Integration GENEROUS = new Integration("github", "github", "shared-state-github-credentials", new RateLimit(100.0, 100), null);
  /** 5 tokens, one back every 100 s: a burst in a test sees no refill. */
  static final Integration TIGHT = new Integration("tight", "github", "shared-state-tight-credentials", new RateLimit(0.01, 5), null);
  /** The README walkthrough's bucket: 5 tokens, one back a second. */
  static final Integration WALKTHROUGH =
      new Integration("walkthrough", "github", "shared-state-walkthrough-credentials", new RateLimit(1.0, 5), null);

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static SampleBook backend;
  static AutoCloseable replicaB;
  static int replicaBAdmin;
  static final Map<String, String> secrets = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-shared-state")
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .start();
    assertThat(stack.nats()).as("the stack's nats-server").isNotNull();
    assertThat(stack.startArgs(Component.EXT_AUTHZ)).contains("--nats-url", stack.nats().url());
    gateway = GatewayClient.anonymous(stack);
    backend = SampleBook.start(0, "shared-state-backend");
    WebhookBooks books = new WebhookBooks(stack);
    for (Integration i : List.of(GENEROUS, TIGHT, WALKTHROUGH)) {
      secrets.put(i.name(), i.name() + "-" + UUID.randomUUID());
      books.putSecret(NAMESPACE, i.secretName(), List.of(secrets.get(i.name())));
    }
    books.create(NAMESPACE, BOOK, "shared-state", backend.port(), List.of(GENEROUS, TIGHT, WALKTHROUGH));

    replicaBAdmin = freePort();
    replicaB = Main.start(secondReplicaArgs(replicaBAdmin));
    publishExtAuthz(List.of(LocalStack.LOCALHOST, SECOND_HOST));

    for (Integration i : List.of(GENEROUS, TIGHT, WALKTHROUGH)) {
      await("webhook route " + path(i) + " live").atMost(CONVERGE).until(() -> gateway.post(path(i), "{}").status() == 401);
    }
    // Envoy spreads checks over both endpoints once it has both (an unsigned request takes no token)
    double before = checks(replicaBAdmin);
    await("replica B receives checks").atMost(CONVERGE).pollInterval(Duration.ofMillis(100))
        .until(() -> gateway.post(path(GENEROUS), "{}").status() == 401 && checks(replicaBAdmin) > before);
  }

  @AfterAll
  static void stop() throws Exception {
    if (replicaB != null) {
      replicaB.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Order(1)
  void theSameSignedDeliverySentManyTimesToTwoReplicasIsAcceptedOnce() throws Exception {
    String id = UUID.randomUUID().toString();
    String body = uniqueBody();
    double aBefore = checks(stack.ports().extAuthzAdmin());
    double bBefore = checks(replicaBAdmin);
    long receivedBefore = backend.receivedTotal();

    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      statuses.add(send(GENEROUS, body, id).status());
    }

    assertThat(statuses).filteredOn(s -> s == 200).hasSize(1);
    assertThat(statuses).filteredOn(s -> s == 409).hasSize(9);
    assertThat(checks(stack.ports().extAuthzAdmin())).as("replica A decided some").isGreaterThan(aBefore);
    assertThat(checks(replicaBAdmin)).as("replica B decided some").isGreaterThan(bBefore);
    assertThat(backend.receivedTotal() - receivedBefore).isEqualTo(1);
  }

  @Test
  @Order(2)
  void theSameDeliverySentConcurrentlyIsAcceptedOnce() throws Exception {
    String id = UUID.randomUUID().toString();
    String body = uniqueBody();
    long receivedBefore = backend.receivedTotal();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        Callable<Integer> call = () -> {
          go.await();
          return send(GENEROUS, body, id).status();
        };
        answers.add(pool.submit(call));
      }
      go.countDown();
      List<Integer> statuses = new ArrayList<>();
      for (Future<Integer> f : answers) {
        statuses.add(f.get());
      }
      assertThat(statuses).filteredOn(s -> s == 200).hasSize(1);
      assertThat(statuses).filteredOn(s -> s == 409).hasSize(15);
    } finally {
      pool.shutdownNow();
    }
    assertThat(backend.receivedTotal() - receivedBefore).isEqualTo(1);
  }

  @Test
  @Order(3)
  void aBurstAcrossBothReplicasGetsOneBucketsWorth() throws Exception {
    double bBefore = checks(replicaBAdmin);
    List<Answer> answers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      answers.add(send(TIGHT, uniqueBody(), UUID.randomUUID().toString()));
    }
    assertThat(answers).extracting(Answer::status).filteredOn(s -> s == 200).hasSize(5);
    assertThat(answers).extracting(Answer::status).filteredOn(s -> s == 429).hasSize(7);
    Answer refused = answers.get(answers.size() - 1);
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.header("retry-after")).isPresent();
    assertThat(refused.json().path("reason").asText()).isEqualTo("rate_limited");
    assertThat(checks(replicaBAdmin)).as("replica B decided some").isGreaterThan(bBefore);
  }

  /**
   * The README walkthrough's steps 6 and 7 on both replicas: a delivery, its replays (409, each
   * giving its token back to the shared bucket), then — once the bucket is full again — a flood of
   * distinct deliveries gets the burst, five 200s, then 429s: the replays' tokens pass no webhook
   * on top of a full bucket.
   */
  @Test
  @Order(4)
  void afterReplaysAFloodOnTheRefilledBucketGetsTheBurstThen429s() throws Exception {
    String id = UUID.randomUUID().toString();
    String body = uniqueBody();
    assertThat(send(WALKTHROUGH, body, id).status()).isEqualTo(200);
    for (int i = 0; i < 4; i++) {
      assertThat(send(WALKTHROUGH, body, id).status()).isEqualTo(409);
    }
    // full again once the endpoint's key leaves the shared state (each write's TTL: the seconds until full)
    String key = JetStreamRateLimiter.bucketKey(WebhookRoutes.endpointKey(NAMESPACE, BOOK, WALKTHROUGH.name()));
    try (Connection nats = Nats.connect(stack.nats().url())) {
      KeyValue buckets = nats.keyValue(SharedStateSettings.RATE_LIMIT_BUCKET);
      await("the endpoint's bucket full again").atMost(CONVERGE).pollInterval(Duration.ofMillis(200))
          .until(() -> buckets.get(key) == null);
    }

    List<Integer> statuses = new ArrayList<>();
    long started = System.nanoTime();
    for (int i = 0; i < 8; i++) {
      statuses.add(send(WALKTHROUGH, uniqueBody(), UUID.randomUUID().toString()).status());
    }
    double elapsedSeconds = (System.nanoTime() - started) / 1e9;
    assertThat(statuses).as("statuses of the flood").isSubsetOf(200, 429).startsWith(200, 200, 200, 200, 200);
    long allowed = statuses.stream().filter(s -> s == 200).count();
    // burst + rate x the flood's time: a token that refilled meanwhile may pass, nothing else
    long bound = (long) Math.floor(WALKTHROUGH.rateLimit().burst() + WALKTHROUGH.rateLimit().requestsPerSecond() * elapsedSeconds);
    assertThat(allowed).as("let through in %.2f s: %s", elapsedSeconds, statuses).isBetween(5L, bound);
  }

  @Test
  @Order(5)
  void withNatsDownAuthenticWebhooksAreRefused503AndAcceptedOnceItIsBack() throws Exception {
    String id = UUID.randomUUID().toString();
    String body = uniqueBody();
    long receivedBefore = backend.receivedTotal();

    stack.nats().stop();
    Answer refused;
    Answer forged;
    try {
      refused = send(GENEROUS, body, id);
      forged = gateway.post(path(GENEROUS), body, Map.of("X-Hub-Signature-256", "sha256=" + "0".repeat(64)));
    } finally {
      stack.nats().startAgain();
    }

    assertThat(refused.status()).as(refused.body()).isEqualTo(503);
    assertThat(refused.json().path("reason").asText()).isEqualTo("state_unavailable");
    assertThat(refused.header("retry-after")).isPresent();
    assertThat(forged.status()).as("a forgery is still 401: the signature comes first").isEqualTo(401);
    assertThat(backend.receivedTotal()).isEqualTo(receivedBefore);
    // nothing was recorded: the sender's retry is accepted once NATS is back. Each replica reconnects
    // on its own schedule and fails closed (503) until it has, so wait for both before sending.
    await("both replicas reconnected to NATS").atMost(CONVERGE).pollInterval(Duration.ofMillis(200))
        .until(() -> stateConnected(stack.ports().extAuthzAdmin()) && stateConnected(replicaBAdmin));
    await("the sender's retry accepted").atMost(CONVERGE).pollInterval(Duration.ofMillis(500))
        .until(() -> send(GENEROUS, body, id).status() == 200);
    assertThat(backend.receivedTotal() - receivedBefore).isEqualTo(1);
    assertThat(send(GENEROUS, body, id).status()).isEqualTo(409);
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void aRestartedExtAuthzStillRefusesTheDuplicate() throws Exception {
    String id = UUID.randomUUID().toString();
    String body = uniqueBody();
    assertThat(send(GENEROUS, body, id).status()).isEqualTo(200);

    // every replica stops; a new process starts on the same port and the same NATS
    stack.stop(Component.EXT_AUTHZ);
    replicaB.close();
    replicaB = null;
    publishExtAuthz(List.of(LocalStack.LOCALHOST));
    AutoCloseable restarted = Main.start(stack.startArgs(Component.EXT_AUTHZ).toArray(String[]::new));
    try {
      await("restarted ext-authz reached").atMost(CONVERGE).pollInterval(Duration.ofMillis(200))
          .until(() -> gateway.post(path(GENEROUS), "{}").status() == 401);

      Answer duplicate = send(GENEROUS, body, id);
      assertThat(duplicate.status()).as(duplicate.body()).isEqualTo(409);
      assertThat(duplicate.json().path("reason").asText()).isEqualTo("replay");
      assertThat(send(GENEROUS, uniqueBody(), UUID.randomUUID().toString()).status()).isEqualTo(200);
    } finally {
      restarted.close();
    }
  }

  // ---- helpers ----

  private static Answer send(Integration integration, String body, String id) {
    return gateway.post(path(integration), body, WebhookBooks.sign(integration, secrets.get(integration.name()), body, id));
  }

  private static String path(Integration integration) {
    return WebhookRoutes.publicPath(NAMESPACE, BOOK, integration.name());
  }

  private static String uniqueBody() {
    return "{\"event\":\"push\",\"delivery\":\"" + UUID.randomUUID() + "\"}";
  }

  /** Replica A's flags with its gRPC server on {@link #SECOND_HOST} (same port) and its own admin port. */
  private static String[] secondReplicaArgs(int adminPort) {
    List<String> args = new ArrayList<>(stack.startArgs(Component.EXT_AUTHZ));
    args.set(args.indexOf("--grpc-host") + 1, SECOND_HOST);
    args.set(args.indexOf("--admin-port") + 1, Integer.toString(adminPort));
    return args.toArray(String[]::new);
  }

  private static void publishExtAuthz(List<String> hosts) {
    stack.endpoints().publish(BdkLabels.BDK_NAMESPACE, LocalStack.EXT_AUTHZ_SERVICE, LocalStack.GRPC_PORT_NAME, hosts,
        stack.ports().extAuthzGrpc(), "kubernetes.io/h2c");
  }

  /** Checks one replica decided (all results), from its /metrics. */
  private static double checks(int adminPort) throws IOException, InterruptedException {
    String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    double sum = 0;
    Matcher m = CHECKS.matcher(metrics);
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return sum;
  }

  /** Whether one replica's shared-state connection to NATS is up, from its /metrics. */
  private static boolean stateConnected(int adminPort) throws IOException, InterruptedException {
    String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = CONNECTED.matcher(metrics);
    return m.find() && Double.parseDouble(m.group(1)) == 1.0;
  }

  private static int freePort() {
    return LoopbackPorts.freePort();
  }
}
