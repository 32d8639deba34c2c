package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.relay.ScriptedBook;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restarts under load through the real gateway (issue 9, item 7): senders on several threads post
 * signed webhooks for two queued bindings to Envoy's public listener while (a) the webhook relay —
 * a separate JVM here, so it can really be killed (SIGKILL), mid-request and mid-delivery — is
 * killed and started again, and (b) the nats-server (JetStream on file storage) is killed and
 * started again on the same store. Then every webhook that was answered 202 reaches its book at
 * least once (counted at the books by webhook id), and every answer that was not a 202 is a
 * complete 503 that did not claim the webhook was queued. No sender is left with a cut answer: the
 * relay's 202 is headers only, written in one write, so a relay killed mid-answer gives Envoy
 * either a complete 202 or nothing (Envoy's 503), and Envoy's access log must show no 202 it could
 * not finish (flag UPE, UC or UR). A failure names the offending answers by status, with the phase
 * of the test they came in and one body each; Envoy's log is kept under target/queued-load/ with
 * the relay's. {@code AcceptAnswersTest} kills the 202's writer at each of its calls on a real
 * socket, deterministically.
 */
class QueuedRestartsUnderLoadEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final Duration PHASE = Duration.ofSeconds(90);
  private static final Duration DELIVERED = Duration.ofSeconds(180);
  /** Envoy writes its access log out every 10 s (its default flush interval) or sooner. */
  private static final Duration ACCESS_LOG = Duration.ofSeconds(60);
  private static final String NAMESPACE = "customer-acme";
  private static final int THREADS = 4;
  /** Accepted webhooks per phase: before the relay is killed, after it is back, after NATS is back. */
  private static final int STEP = 80;
  /** Two senders per binding at most 1/REFUSED_BACKOFF refusals a second each stay under its 100/s. */
  private static final Duration REFUSED_BACKOFF = Duration.ofMillis(25);
  /** A bound on each sender, should a phase never end. */
  private static final int MAX_PER_THREAD = 5_000;
  /** The most a binding may have (100/s), with a burst that covers the whole load. */
  private static final RateLimit AMPLE = new RateLimit(100.0, 1000);
  /** Short waits so webhooks refused by a down book or lost with a killed relay come back quickly. */
  private static final String SCHEDULE = String.join(",", Collections.nCopies(60, "1s")).replaceFirst("1s", "0s");

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Envoy's response flags for an upstream answer it could not finish: protocol error, connection terminated, reset. */
  private static final Set<String> CUT_FLAGS = Set.of("UPE", "UC", "UR");
  /** The {@code "reason"} of a JSON refusal. */
  private static final Pattern REASON = Pattern.compile("\"reason\"\\s*:\\s*\"([^\"]*)\"");
  /** The {@code "message"} of a JSON refusal (Envoy's local replies). */
  private static final Pattern MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"([^\"]*)\"");

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static WebhookBooks books;
  static Process relay;
  static final List<ScriptedBook> backends = new ArrayList<>();

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-queued-load")
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .serviceArgs(Component.RELAY, "--retry-schedule", SCHEDULE, "--breaker-failures", "1000",
            // a killed relay's in-flight deliveries are offered again after the ack wait
            "--delivery-timeout", "5s", "--ack-wait", "8s")
        // every sender shares 127.0.0.1: Envoy's per-client-address bucket must not be what refuses them
        .serviceArgs(Component.XDS, "--webhook-client-rate", "1000", "--webhook-client-burst", "1000")
        .start();
    gateway = GatewayClient.anonymous(stack);
    books = new WebhookBooks(stack);
    // the relay runs in a JVM of its own (same flags, ports and certificates), so it can be killed
    stack.stop(Component.RELAY);
    relay = startRelayProcess();
  }

  @AfterAll
  static void stopAll() {
    if (relay != null) {
      relay.destroyForcibly();
    }
    backends.forEach(ScriptedBook::close);
    if (stack != null) {
      stack.close();
    }
  }

  private static Process startRelayProcess() throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "io.voyager.bdk.relay.Main"));
    command.addAll(stack.startArgs(Component.RELAY));
    Path logs = Path.of("target", "queued-load");
    Files.createDirectories(logs);
    Path log = logs.resolve("relay-" + System.currentTimeMillis() + ".log");
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  record Binding(String name, Integration integration, String secret, ScriptedBook book) {
    String path() {
      return WebhookRoutes.publicPath(NAMESPACE, name, integration.name());
    }
  }

  private static Binding queuedBook(String name) throws IOException {
    ScriptedBook book = ScriptedBook.up();
    backends.add(book);
    String secretName = name + "-credentials";
    Integration zendesk = Integration.queued("zendesk", "zendesk", secretName, AMPLE, false);
    String secret = "zendesk-" + UUID.randomUUID();
    books.putSecret(NAMESPACE, secretName, List.of(secret));
    books.create(NAMESPACE, name, "order-sync", book.port(), List.of(zendesk));
    Binding binding = new Binding(name, zendesk, secret, book);
    await("queued route " + binding.path() + " live").atMost(CONVERGE)
        .until(() -> gateway.post(binding.path(), "{}").status() == 401);
    return binding;
  }

  /** What the test was doing when an answer came back (named in a failure message). */
  private static volatile String phase = "before the load";

  /**
   * One sender's answer: the webhook id and what the gateway said (status -1: no complete HTTP
   * answer), and whether it said {@code x-bdk-queued: true}.
   */
  record Sent(Binding binding, String id, int status, String body, boolean saysQueued, String phase) {}

  private static Sent send(Binding binding) {
    String id = "load-" + UUID.randomUUID();
    String body = "{\"event\":\"ticket.created\",\"delivery\":\"" + id + "\"}";
    try {
      Answer answer = gateway.post(binding.path(), body, WebhookBooks.sign(binding.integration(), binding.secret(), body, id));
      return new Sent(binding, id, answer.status(), answer.body(),
          answer.header(WebhookDelivery.HEADER_QUEUED).filter("true"::equals).isPresent(), phase);
    } catch (RuntimeException e) {
      return new Sent(binding, id, -1, e + (e.getCause() == null ? "" : " (" + e.getCause() + ")"), false, phase);
    }
  }

  @Test
  void everyAcceptedWebhookIsDeliveredThroughRelayAndNatsRestarts() throws Exception {
    List<Binding> bindings = List.of(queuedBook("load-orders"), queuedBook("load-invoices"));
    await("the relay process takes webhooks").atMost(PHASE).until(() -> send(bindings.get(0)).status() == 202);

    List<Sent> answers = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService senders = Executors.newFixedThreadPool(THREADS);
    List<Future<?>> running = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      Binding binding = bindings.get(t % bindings.size());
      running.add(senders.submit(() -> {
        for (int i = 0; i < MAX_PER_THREAD && !stop.get(); i++) {
          Sent sent = send(binding);
          answers.add(sent);
          if (sent.status() != 202) {
            // pacing, not synchronisation: a refused sender backs off a little, as real ones do, so
            // fast 503s while the relay is down cannot empty the binding's rate-limit bucket (429)
            LockSupport.parkNanos(REFUSED_BACKOFF.toNanos());
          }
        }
      }));
    }

    // (a) the relay is killed (SIGKILL) under load, then started again
    phase = "load under way";
    await("load under way").atMost(PHASE).until(() -> count(answers, 202) >= STEP);
    phase = "relay killed";
    relay.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    long acceptedAtKill = count(answers, 202);
    int answeredAtKill = answers.size();
    await("the gateway answers while the relay is gone").atMost(PHASE)
        .until(() -> answers.size() >= answeredAtKill + THREADS * 2);
    relay = startRelayProcess();
    phase = "relay restarted";
    await("accepting again after the relay restart").atMost(PHASE)
        .until(() -> count(answers, 202) >= acceptedAtKill + STEP);

    // (b) nats-server is killed under load and started again on the same store
    phase = "nats-server killed";
    stack.nats().kill();
    long acceptedAtNatsKill = count(answers, 202);
    int answeredAtNatsKill = answers.size();
    await("the gateway answers while NATS is gone").atMost(PHASE)
        .until(() -> answers.size() >= answeredAtNatsKill + THREADS * 2);
    stack.nats().startAgain();
    phase = "nats-server restarted";
    await("accepting again after the nats-server restart").atMost(PHASE)
        .until(() -> count(answers, 202) >= acceptedAtNatsKill + STEP);

    stop.set(true);
    for (Future<?> sender : running) {
      sender.get(2, TimeUnit.MINUTES);
    }
    senders.shutdown();

    Map<Integer, Long> byStatus = answers.stream().collect(Collectors.groupingBy(Sent::status, Collectors.counting()));
    System.out.printf("queued load through restarts: sent=%d answers=%s%n", answers.size(), byStatus);
    synchronized (answers) {
      answers.stream().collect(Collectors.groupingBy(Sent::phase, LinkedHashMap::new,
              Collectors.groupingBy(Sent::status, TreeMap::new, Collectors.counting())))
          .forEach((during, statuses) -> System.out.printf("  %s: %s%n", during, statuses));
      System.out.printf("  refusals by status and kind: %s%n", answers.stream().filter(s -> s.status() != 202)
          .collect(Collectors.groupingBy(s -> s.status() + " " + kind(s.body()), TreeMap::new, Collectors.counting())));
    }
    // Envoy logs a request when it ends, with the webhook id the relay answered with, and writes its access log out
    // every few seconds: wait for the ids of every 202 (the last answers of the run are mostly 202s, so the log is then
    // complete) and of every request left without an answer; one that never shows is named below
    Set<String> toBeLogged = answers.stream().filter(s -> s.status() == 202 || s.status() == -1).map(Sent::id)
        .collect(Collectors.toSet());
    try {
      await("Envoy's access log names every 202 and every request left without an answer").atMost(ACCESS_LOG)
          .until(() -> webhookAccessLog().stream().map(l -> l.path("webhook_id").asText()).collect(Collectors.toSet())
              .containsAll(toBeLogged));
    } catch (ConditionTimeoutException e) {
      System.out.printf("  envoy access log: not every 202 or unanswered request logged after %s%n", ACCESS_LOG);
    }
    List<JsonNode> logged = webhookAccessLog();
    System.out.printf("  envoy access log, webhook routes, by status and response flags: %s (log kept as %s)%n",
        logged.stream().collect(Collectors.groupingBy(l -> l.path("status").asText() + " " + l.path("flags").asText(),
            TreeMap::new, Collectors.counting())), keepEnvoyLog());
    List<Sent> notAccepted = answers.stream().filter(s -> s.status() != 202).toList();
    // the offenders only, grouped by status with a count and one example body each, so a failure
    // names them instead of listing hundreds of fine 503s
    assertThat(offenders(notAccepted.stream().filter(s -> s.status() != 503).toList()))
        .as("every answer that is not a 202 is a complete 503: none is cut, not even by a relay killed mid-answer "
            + "(status -1: no complete HTTP answer); the others, by status")
        .isEmpty();
    // a relay killed after it began a 202 it could not finish would show here even had the sender's client not noticed
    assertThat(logged.stream().filter(l -> l.path("status").asInt() == 202
            && Arrays.stream(l.path("flags").asText().split(",")).anyMatch(CUT_FLAGS::contains))
        .map(l -> l.path("webhook_id").asText() + " " + l.path("flags").asText()).toList())
        .as("Envoy passed on no 202 it could not finish (the webhook ids and response flags of those it did)")
        .isEmpty();
    assertThat(offenders(notAccepted.stream().filter(Sent::saysQueued).toList()))
        .as("a 503 does not claim the webhook was queued; the ones that do, by status")
        .isEmpty();
    assertThat(answers.stream().filter(s -> s.status() == 202 && !s.saysQueued()).map(Sent::id).toList())
        .as("every 202 says x-bdk-queued: true; the ids of those that do not")
        .isEmpty();

    for (Binding binding : bindings) {
      Set<String> accepted = answers.stream().filter(s -> s.binding() == binding && s.status() == 202)
          .map(Sent::id).collect(Collectors.toSet());
      await("every webhook " + binding.name() + " accepted is delivered").atMost(DELIVERED)
          .untilAsserted(() -> assertThat(receivedIds(binding.book())).containsAll(accepted));
      System.out.printf("  %s: accepted=%d received_distinct=%d received_total=%d%n", binding.name(),
          accepted.size(), receivedIds(binding.book()).size(), binding.book().received().size());
    }
  }

  /** Status to "count × example body" (the first answer with that status), for a failure message. */
  private static Map<Integer, String> offenders(List<Sent> answers) {
    Map<Integer, String> byStatus = new TreeMap<>();
    Map<Integer, Long> counts = answers.stream().collect(Collectors.groupingBy(Sent::status, Collectors.counting()));
    for (Sent sent : answers) {
      byStatus.putIfAbsent(sent.status(), counts.get(sent.status()) + " x, e.g. (" + sent.phase() + ") " + sent.body());
    }
    return byStatus;
  }

  /** An answer body's {@code "reason"} (the relay's and ext-authz's JSON), else its {@code "message"} (Envoy's own), else its text. */
  private static String kind(String body) {
    Matcher reason = REASON.matcher(body);
    if (reason.find()) {
      return reason.group(1);
    }
    Matcher message = MESSAGE.matcher(body);
    String text = message.find() ? message.group(1) : body.strip();
    return text.length() <= 100 ? text : text.substring(0, 100) + "…";
  }

  /** Envoy's access-log lines (JSON) of the webhook routes: what Envoy saw of each request. */
  private static List<JsonNode> webhookAccessLog() throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(stack.envoy().logFile())) {
      if (line.startsWith("{") && line.endsWith("}")) { // not a line Envoy is still writing
        JsonNode json = JSON.readTree(line);
        if (json.path("route").asText().startsWith("webhook/")) {
          lines.add(json);
        }
      }
    }
    return lines;
  }

  /** A copy of Envoy's log (its access log included) next to the relay's, for a failure to be read after the run. */
  private static Path keepEnvoyLog() throws IOException {
    Path copy = Path.of("target", "queued-load", "envoy-" + System.currentTimeMillis() + ".log");
    Files.copy(stack.envoy().logFile(), copy);
    return copy;
  }

  private static long count(List<Sent> answers, int status) {
    synchronized (answers) {
      return answers.stream().filter(s -> s.status() == status).count();
    }
  }

  private static Set<String> receivedIds(ScriptedBook book) {
    Set<String> ids = ConcurrentHashMap.newKeySet();
    book.received().forEach(r -> ids.add(r.webhookId()));
    return ids;
  }
}
