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
import java.io.PrintStream;
import java.net.URI;
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
 * its rate limit, all routed to one in-process sample book.
 * <ol>
 *   <li><b>direct</b>: signed webhooks through Envoy → ext_authz → the book (200);
 *   <li><b>queued accept</b>: the same through Envoy → ext_authz → the relay, stored in JetStream
 *       (202) — what the sender waits for;
 *   <li><b>sent → delivered</b>: one queued webhook at a time with a healthy book, from the sender's
 *       POST to its arrival at the book (ext_authz, JetStream, the relay's workers and Envoy's
 *       internal listener): what a queued webhook takes end to end when nothing is wrong. (From the
 *       202 instead it is often negative: an idle relay delivers before the 202 is back.)
 * </ol>
 * Prints requests/s and p50/p99 per row. Run: {@code make bench}.
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

  @Option(names = "--body-bytes", description = "Webhook body size. Default: ${DEFAULT-VALUE}.")
  int bodyBytes = 1024;

  public static void main(String[] args) {
    JdkHttpServers.tune();
    System.exit(new CommandLine(new QueuedWebhookBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (requests < 1 || warmup < 0 || concurrency < 1 || latencySamples < 1 || bodyBytes < 2) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--requests, --concurrency and --latency-samples must be >= 1, --warmup >= 0, --body-bytes >= 2");
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
            .start();
        SampleBook backend = SampleBook.start("127.0.0.1", 0, "bench-queued-backend", 2 * total)) {
      // Each endpoint takes at most half a burst per run: nothing is refused for rate.
      int perMode = (int) Math.ceil(Math.max(warmup, requests) / (WebhookLimits.MAX_BURST / 2.0));
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
      print(System.out, results);
      // Let the accepted backlog drain (its rate is the relay's delivery throughput), so the latency
      // run sees an idle relay. Only what was accepted (202) is waited for.
      long accepted = lastAccepted;
      long target = before + directDelivered + accepted;
      await("queued backlog delivered").atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
          .until(() -> backend.receivedTotal() >= target);
      double drainSeconds = (System.nanoTime() - queuedStart) / 1e9;
      System.out.printf("queued: %d accepted webhooks (warm-up included) delivered %.1f s after the accept run began: %.0f/s"
          + " delivered%n", accepted, drainSeconds, accepted / drainSeconds);
      long[] latency = acceptToDelivered(http, queued.get(0), secret, backend);
      System.out.printf("%-64s %10s %9.3f %9.3f%n", "sent → delivered (the sender's POST → at the book; " + latency.length
          + " one at a time)", "-", ClosedLoop.percentile(latency, 0.50), ClosedLoop.percentile(latency, 0.99));
    }
    return 0;
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

  /** Answered as expected in the last closed-loop run, warm-up included. */
  private int lastAccepted;

  /** Nanoseconds from each POST to the book's receipt, one webhook at a time (after its 202). */
  private long[] acceptToDelivered(HttpClient http, String url, String secret, SampleBook backend) throws Exception {
    long[] nanos = new long[latencySamples];
    for (int i = 0; i < latencySamples; i++) {
      Signed one = signed(1, secret).get(0);
      // From the sender's POST: an idle relay often delivers before the 202 is back at the sender.
      Instant sent = Instant.now();
      HttpResponse<Void> answer = http.send(request(url, one.body(), one.headers()), HttpResponse.BodyHandlers.discarding());
      String id = answer.headers().firstValue("x-bdk-webhook-id").orElseThrow(() ->
          new IllegalStateException("queued accept answered " + answer.statusCode() + " without x-bdk-webhook-id"));
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

  void print(PrintStream out, List<ClosedLoop.Result> results) {
    out.println();
    out.printf("Signed GitHub webhooks, %d B bodies, %d requests per mode after %d warm-up, %d concurrent callers,"
        + " Envoy --concurrency 1, mutual TLS inside, nats-server JetStream on file storage (R1), loopback%n",
        bodyBytes, requests, warmup, concurrency);
    out.printf("%-64s %10s %9s %9s %9s%n", "what", "req/s", "p50 ms", "p99 ms", "unexpected");
    for (ClosedLoop.Result r : results) {
      out.printf("%-64s %10.0f %9.3f %9.3f %9d%n", r.label(), r.perSecond(), r.p50Millis(), r.p99Millis(), r.failures());
    }
    out.flush();
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
