package io.voyager.bdk.local.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.voyager.bdk.extauthz.scheme.GitHubScheme;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.local.Component;
import io.voyager.bdk.local.LocalStack;
import io.voyager.bdk.local.ProjectRoot;
import io.voyager.bdk.local.StackPorts;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.SecretRef;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ServiceRef;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.model.WebhookLimits;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.ReceivedWebhook;
import io.voyager.bdk.samplebook.SampleBook;
import io.voyager.bdk.support.JdkHttpServers;
import io.voyager.bdk.support.bench.BenchFigures;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmark (not a test) of queued webhook delivery through the real gateway, beside direct
 * delivery in the same run: the local stack on ephemeral loopback ports with its mutual TLS
 * inside, the webhook relay and a real nats-server (JetStream, file storage), and one
 * ExternalBookDefinition with as many GitHub integrations of each mode as keep every endpoint under
 * its rate limit, all routed to one in-process sample book. Every request comes from 127.0.0.1, so
 * Envoy's per-client-address webhook limit (the xds-server's {@code --webhook-client-rate}, 50/s by
 * default: a defence against one sender) is raised above what the callers can send; otherwise it
 * answers nearly everything 429 before ext_authz.
 * <ol>
 *   <li><b>direct</b>: signed webhooks through Envoy → ext_authz → the book (200);
 *   <li><b>queued accept</b>: the same through Envoy → ext_authz → the relay, stored in JetStream
 *       (202) — what the sender waits for;
 *   <li><b>sent → delivered</b>: one queued webhook at a time with a healthy book, from the sender's
 *       POST to its arrival at the book (ext_authz, JetStream, the relay's workers and Envoy's
 *       internal listener): what a queued webhook takes end to end when nothing is wrong. (From the
 *       202 instead it is often negative: an idle relay delivers before the 202 is back.)
 * </ol>
 * Prints requests/s and p50/p99 per row, and what the unexpected answers were (status, and
 * {@code x-bdk-limited-by} when Envoy's per-client limit gave them) with Envoy's counts of its own
 * 429s and of ext_authz's denials. Run: {@code make bench}.
 */
@Command(name = "queued-webhook-benchmark", mixinStandardHelpOptions = true,
    description = "Queued webhook accept and delivery through Envoy beside direct delivery (loopback; not a test).")
public final class QueuedWebhookBenchmark implements Callable<Integer> {
  private static final String NAMESPACE = LocalStack.SEED_CUSTOMER_NAMESPACES.get(0);
  private static final String BOOK = "bench-queued";
  private static final String SECRET_NAME = "bench-queued-credentials";
  private static final String SECRET_KEY = "github";
  private static final Duration CONVERGE = Duration.ofSeconds(60);

  @Option(names = "--requests", description = "Measured requests per mode. Default: ${DEFAULT-VALUE}.")
  int requests = 2000;

  @Option(names = "--warmup", description = "Warm-up requests per mode (not measured). Default: ${DEFAULT-VALUE}.")
  int warmup = 200;

  @Option(names = "--concurrency", description = "Concurrent blocking callers. Default: ${DEFAULT-VALUE}.")
  int concurrency = 4;

  @Option(names = "--latency-samples", description = "Queued webhooks sent one at a time for sent → delivered. Default: ${DEFAULT-VALUE}.")
  int latencySamples = 200;

  @Option(names = "--client-limit", description = "Envoy's per-client-address webhook limit for the run, requests/s and burst"
      + " (the xds-server's --webhook-client-rate/-burst; every caller here is 127.0.0.1, so keep it above what they send)."
      + " Default: ${DEFAULT-VALUE}.")
  int clientLimit = 100_000;

  @Option(names = "--body-bytes", description = "Webhook body size. Default: ${DEFAULT-VALUE}.")
  int bodyBytes = 1024;

  public static void main(String[] args) {
    JdkHttpServers.tune();
    System.exit(new CommandLine(new QueuedWebhookBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (requests < 1 || warmup < 0 || concurrency < 1 || latencySamples < 1 || bodyBytes < 2 || clientLimit < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--requests, --concurrency, --latency-samples and --client-limit must be >= 1, --warmup >= 0, --body-bytes >= 2");
    }
    Path runDir = Files.createTempDirectory("bdk-queued-bench");
    String secret = "bench-" + UUID.randomUUID();
    int total = warmup + requests + latencySamples;
    try (LocalStack stack = LocalStack.builder()
            .ports(StackPorts.ephemeral())
            .runDir(runDir)
            .projectRoot(ProjectRoot.get())
            .nodeId("bench-queued")
            .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
            // All callers are 127.0.0.1: Envoy's per-address webhook limit (50/s, burst 100 by default)
            // would answer all but ~50 requests a second 429 before ext_authz (x-bdk-limited-by: gateway).
            .serviceArgs(Component.XDS, "--webhook-client-rate", Integer.toString(clientLimit),
                "--webhook-client-burst", Integer.toString(clientLimit))
            .start();
        SampleBook backend = SampleBook.start("127.0.0.1", 0, "bench-queued-backend", 2 * total)) {
      // Everything one mode sends (warm-up, measured and, for queued, the one-at-a-time latency
      // samples) is spread round-robin, so each endpoint takes at most half its burst over the whole
      // run, refill aside: nothing is refused by ext-authz's per-endpoint rate limit.
      int perMode = endpointsPerMode(warmup, requests, latencySamples);
      createBook(stack, backend.port(), secret, perMode);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      List<String> direct = new ArrayList<>();
      List<String> queued = new ArrayList<>();
      for (int i = 0; i < perMode; i++) {
        direct.add(stack.gatewayUrl() + WebhookRoutes.publicPath(NAMESPACE, BOOK, "direct-" + i));
        queued.add(stack.gatewayUrl() + WebhookRoutes.publicPath(NAMESPACE, BOOK, "queued-" + i));
      }
      for (String url : concat(direct, queued)) {
        await("webhook route live").atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
            .until(() -> http.send(request(url, "{}".getBytes(StandardCharsets.UTF_8), List.of()),
                HttpResponse.BodyHandlers.discarding()).statusCode() == 401);
      }
      List<ClosedLoop.Result> results = new ArrayList<>();
      long before = backend.receivedTotal();
      results.add(closedLoop(http, "direct        (Envoy → ext_authz → book; 200)", direct, 200, secret));
      long directDelivered = backend.receivedTotal() - before;
      long queuedStart = System.nanoTime();
      results.add(closedLoop(http, "queued accept (Envoy → ext_authz → relay → JetStream; 202)", queued, 202, secret));
      print(System.out, results, perMode);
      // Let the accepted backlog drain (its rate is the relay's delivery throughput), so the latency
      // run sees an idle relay. Only what was accepted (202) is waited for.
      long accepted = lastAccepted;
      long target = before + directDelivered + accepted;
      await("queued backlog delivered").atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
          .until(() -> backend.receivedTotal() >= target);
      double drainSeconds = (System.nanoTime() - queuedStart) / 1e9;
      System.out.printf("queued: %d accepted webhooks (warm-up included) delivered %.1f s after the accept run began: %.0f/s"
          + " delivered%n", accepted, drainSeconds, accepted / drainSeconds);
      long[] latency = acceptToDelivered(http, queued, secret, backend);
      measured = new Measured(List.copyOf(results), latency.length);
      System.out.printf("%-64s %10s %9.3f %9.3f%n", "sent → delivered (the sender's POST → at the book; " + latency.length
          + " one at a time)", "-", ClosedLoop.percentile(latency, 0.50), ClosedLoop.percentile(latency, 0.99));
      List<String> envoyStats = envoyView(stack);
      String load = TranscoderBenchmark.loadAverage();
      System.out.println("Load average (1/5/15 min) after the run: " + load);
      System.out.println("Envoy (whole run; webhook_client_limit: its per-address 429s, ext_authz.denied: ext-authz's denials,"
          + " route checks' 401s included):");
      envoyStats.forEach(line -> System.out.println("  " + line));
      record(results, accepted / drainSeconds, latency, load, perMode);
    }
    return 0;
  }

  /**
   * Endpoints per mode so that each takes at most half a burst of what one mode sends in the whole
   * run ({@code warmup + requests + latencySamples}, round-robin), whatever the refill.
   */
  static int endpointsPerMode(int warmup, int requests, int latencySamples) {
    return (int) Math.max(1, Math.ceil((warmup + requests + latencySamples) / (WebhookLimits.MAX_BURST / 2.0)));
  }

  /** Envoy's counts of its per-client limit's decisions and of ext_authz's answers (the stack Envoy). */
  private static List<String> envoyView(LocalStack stack) {
    String stats = stack.envoy().admin().get("/stats?filter=" + URLEncoder.encode(
        "(webhook_client_limit\\.http_local_rate_limit\\.(enabled|enforced|ok|rate_limited)$)"
            + "|(ext_authz\\.(ok|denied|error|failure_mode_allowed)$)",
        StandardCharsets.UTF_8)).body();
    return stats.lines().filter(l -> !l.isBlank()).filter(l -> !l.contains("bdk_https.")).toList();
  }

  /** The figures into $BDK_BENCH_DIR/queued.jsonl for BENCHMARKS.md (nothing when unset). */
  private void record(List<ClosedLoop.Result> results, double deliveredPerSecond, long[] latency, String load, int perMode) {
    try (BenchFigures figures = BenchFigures.open("queued", "Queued webhooks: accept and delivery beside direct delivery")) {
      figures.note(String.format(Locale.ROOT, "Signed GitHub webhooks, %d B bodies, %d requests per mode after %d"
          + " warm-up over %d endpoints per mode, %d concurrent callers, Envoy --concurrency 1, nats-server JetStream on file"
          + " storage (R1), loopback; load average (1/5/15 min) after the run: %s", bodyBytes, requests, warmup, perMode,
          concurrency, load));
      for (ClosedLoop.Result r : results) {
        String mode = r.label().startsWith("direct") ? "direct" : "queued accept";
        Map<String, String> labels = Map.of("mode", mode);
        figures.figure("queued.per_s", labels, mode + " req/s", r.perSecond(), "req/s", null);
        figures.figure("queued.p50_ms", labels, mode + " p50", r.p50Millis(), "ms", null);
        figures.figure("queued.p99_ms", labels, mode + " p99", r.p99Millis(), "ms", null);
        figures.figure("queued.unexpected", labels, mode + " unexpected answers (" + r.unexpectedSummary() + ")",
            r.failures(), "answers", BenchFigures.Target.exactly(0));
      }
      figures.figure("queued.delivered_per_s", "queued backlog delivered per second (warm-up included)", deliveredPerSecond,
          "webhooks/s", null);
      figures.figure("queued.sent_to_delivered_ms.p50", "sent → delivered, one at a time, p50", ClosedLoop.percentile(latency, 0.50),
          "ms", null);
      figures.figure("queued.sent_to_delivered_ms.p99", "sent → delivered, one at a time, p99", ClosedLoop.percentile(latency, 0.99),
          "ms", null);
    }
  }

  private ClosedLoop.Result closedLoop(HttpClient http, String label, List<String> urls, int expected, String secret)
      throws Exception {
    List<Signed> warm = signed(warmup, secret);
    ClosedLoop.Result warmed = ClosedLoop.run(http, label, warm.size(), concurrency, expected,
        i -> request(urls.get(i % urls.size()), warm.get(i).body(), warm.get(i).headers()));
    List<Signed> measured = signed(requests, secret);
    ClosedLoop.Result result = ClosedLoop.run(http, label, measured.size(), concurrency, expected,
        i -> request(urls.get(i % urls.size()), measured.get(i).body(), measured.get(i).headers()));
    lastAccepted = warmed.requests() - warmed.failures() + result.requests() - result.failures();
    return result;
  }

  /** What the last {@link #call} measured: the closed-loop rows and how many webhooks the latency run timed. */
  record Measured(List<ClosedLoop.Result> rows, int latencySamples) {}

  /** The last run's rows (null before one finished); tests read it. */
  Measured measured;

  /** Answered as expected in the last closed-loop run, warm-up included. */
  private int lastAccepted;

  /** Nanoseconds from each POST to the book's receipt, one webhook at a time (after its 202). */
  private long[] acceptToDelivered(HttpClient http, List<String> urls, String secret, SampleBook backend) throws Exception {
    long[] nanos = new long[latencySamples];
    for (int i = 0; i < latencySamples; i++) {
      Signed one = signed(1, secret).get(0);
      int sample = i + 1;
      // From the sender's POST: an idle relay often delivers before the 202 is back at the sender.
      Instant sent = Instant.now();
      HttpResponse<String> answer = http.send(request(urls.get(i % urls.size()), one.body(), one.headers()),
          HttpResponse.BodyHandlers.ofString());
      String id = answer.headers().firstValue("x-bdk-webhook-id").orElseThrow(() ->
          new IllegalStateException("queued accept (latency sample " + sample + ") answered " + ClosedLoop.answer(answer)
              + " without x-bdk-webhook-id: " + abbreviate(answer.body())));
      Instant received = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (received == null) {
        received = backend.received().stream().filter(r -> id.equals(r.webhookId())).map(ReceivedWebhook::receivedAt)
            .findFirst().orElse(null);
        if (received == null) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("webhook " + id + " not delivered within 30 s");
          }
          LockSupport.parkNanos(200_000); // polling pace only; the figure is the book's own receipt time
        }
      }
      nanos[i] = Duration.between(sent, received).toNanos();
    }
    Arrays.sort(nanos);
    return nanos;
  }

  private void createBook(LocalStack stack, int backendPort, String secret, int perMode) {
    stack.endpoints().publish(NAMESPACE, BOOK, "http", LocalStack.LOCALHOST, backendPort);
    stack.kubernetes().resource(new SecretBuilder()
        .withNewMetadata().withNamespace(NAMESPACE).withName(SECRET_NAME).endMetadata()
        .withData(Map.of(SECRET_KEY, Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8))))
        .build()).create();
    List<ExternalIntegration> hooks = new ArrayList<>();
    for (String mode : List.of(WebhookDelivery.DIRECT, WebhookDelivery.QUEUED)) {
      for (int i = 0; i < perMode; i++) {
        hooks.add(new ExternalIntegration(mode + "-" + i, "webhook", null,
            new Authentication("signature", "github", new SecretRef(SECRET_NAME, SECRET_KEY), null, null),
            new RateLimit(WebhookLimits.MAX_REQUESTS_PER_SECOND, WebhookLimits.MAX_BURST), null, mode, null));
      }
    }
    ExternalBookDefinition book = new ExternalBookDefinition();
    book.getMetadata().setNamespace(NAMESPACE);
    book.getMetadata().setName(BOOK);
    book.setSpec(new ExternalBookDefinitionSpec("orders", "1.0.0", hooks, null, null, null, new ServiceRef(BOOK, backendPort), null));
    stack.kubernetes().resource(book).create();
  }

  private record Signed(byte[] body, List<Header> headers) {}

  /** Unique pre-signed webhooks (GitHub deliveries are replay-keyed on their signature, i.e. their body). */
  private List<Signed> signed(int count, String secret) {
    String run = UUID.randomUUID().toString();
    List<Signed> all = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] body = body(run + "-" + i);
      all.add(new Signed(body, new GitHubScheme().sign(new SigningInput(body, secret, Instant.now(), UUID.randomUUID().toString()))));
    }
    return all;
  }

  private static HttpRequest request(String url, byte[] body, List<Header> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(10))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(h -> request.header(h.name(), h.value()));
    return request.build();
  }

  private byte[] body(String sequence) {
    String head = "{\"action\":\"opened\",\"seq\":\"" + sequence + "\",\"pad\":\"";
    String tail = "\"}";
    int pad = Math.max(0, bodyBytes - head.length() - tail.length());
    return (head + "x".repeat(pad) + tail).getBytes(StandardCharsets.UTF_8);
  }

  void print(PrintStream out, List<ClosedLoop.Result> results, int perMode) {
    out.println();
    out.printf("Signed GitHub webhooks, %d B bodies, %d requests per mode after %d warm-up, %d endpoints per mode (rate %s/s,"
        + " burst %d each), %d concurrent callers, Envoy --concurrency 1 (per-client limit %d/s), mutual TLS inside,"
        + " nats-server JetStream on file storage (R1), loopback%n",
        bodyBytes, requests, warmup, perMode, WebhookLimits.MAX_REQUESTS_PER_SECOND, WebhookLimits.MAX_BURST, concurrency,
        clientLimit);
    out.printf("%-64s %10s %9s %9s %9s%n", "what", "req/s", "p50 ms", "p99 ms", "unexpected");
    for (ClosedLoop.Result r : results) {
      out.printf("%-64s %10.0f %9.3f %9.3f %9d%n", r.label(), r.perSecond(), r.p50Millis(), r.p99Millis(), r.failures());
    }
    for (ClosedLoop.Result r : results) {
      if (r.failures() > 0) {
        out.printf("unexpected answers, %s: %s%n", r.label().substring(0, 13).trim(), r.unexpectedSummary());
      }
    }
    out.flush();
  }

  private static String abbreviate(String body) {
    String one = body.replaceAll("\\s+", " ").trim();
    return one.length() <= 300 ? one : one.substring(0, 300) + "…";
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
