package io.voyager.bdk.local.bench;

import io.voyager.bdk.support.JdkHttpServers;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.voyager.bdk.extauthz.scheme.GitHubScheme;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.local.Component;
import io.voyager.bdk.local.EnvoyBinary;
import io.voyager.bdk.local.EnvoyProcess;
import io.voyager.bdk.local.LocalStack;
import io.voyager.bdk.local.StackPorts;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.SecretRef;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ServiceRef;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookLimits;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.SampleBook;
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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmark (not a test) of signed webhooks through a real Envoy, ext_authz on and off, side by
 * side. It starts the local stack on ephemeral loopback ports, creates GitHub webhook
 * integrations (one ExternalBookDefinition + Secret + Service/EndpointSlice) whose backend is an
 * in-process sample book, then sends the same number of unique, pre-signed 1 KiB webhooks from a
 * fixed number of blocking callers to three targets, one after the other:
 * <ol>
 *   <li><b>ext_authz ON</b>: the xds-server's webhook routes on the stack's Envoy — ext_authz Check
 *       (body buffered, HMAC, replay, rate limit), then the book. Rate limits are capped
 *       ({@link WebhookLimits}: 100/s, burst 1,000 per endpoint), so the webhooks are spread
 *       round-robin over enough integrations that none is ever refused for rate;
 *   <li><b>ext_authz OFF</b>: a second Envoy (same binary, same concurrency) with one static route
 *       to the same backend and no ext_authz filter — the xds-server emits no webhook route without
 *       ext_authz, by design, so OFF is this plain proxy;
 *   <li><b>no Envoy</b>: straight to the backend, the floor under both.
 * </ol>
 * Prints requests/s and p50/p99 latency per target. The backend runs with TCP_NODELAY (see
 * {@link #main}). Run: {@code make bench}.
 */
@Command(name = "webhook-benchmark", mixinStandardHelpOptions = true,
    description = "Signed webhooks through Envoy with ext_authz on and off (loopback; not a test).")
public final class WebhookBenchmark implements Callable<Integer> {
  private static final String NAMESPACE = LocalStack.SEED_CUSTOMER_NAMESPACES.get(0);
  private static final String BOOK = "bench-orders";
  private static final String INTEGRATION = "github-";
  private static final String SECRET_NAME = "bench-orders-credentials";
  private static final String SECRET_KEY = "github";
  private static final Duration CONVERGE = Duration.ofSeconds(60);

  @Option(names = "--requests", description = "Measured requests per target. Default: ${DEFAULT-VALUE}.")
  int requests = 3000;

  @Option(names = "--warmup", description = "Warm-up requests per target (not measured). Default: ${DEFAULT-VALUE}.")
  int warmup = 300;

  @Option(names = "--concurrency", description = "Concurrent blocking callers. Default: ${DEFAULT-VALUE}.")
  int concurrency = 4;

  @Option(names = "--body-bytes", description = "Webhook body size. Default: ${DEFAULT-VALUE}.")
  int bodyBytes = 1024;

  @Option(names = "--envoy-concurrency", description = "Worker threads of each Envoy. Default: ${DEFAULT-VALUE}.")
  int envoyConcurrency = 1;

  /** One target: what it is, and the URLs the webhooks are posted to (round-robin). */
  record Target(String label, List<String> urls) {
    String url(int request) {
      return urls.get(request % urls.size());
    }
  }

  /** What one measured run gave. */
  record Result(Target target, int requests, int failures, double perSecond, double p50Millis, double p99Millis) {}

  public static void main(String[] args) {
    JdkHttpServers.tune();
    System.exit(new CommandLine(new WebhookBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (requests < 1 || warmup < 0 || concurrency < 1 || bodyBytes < 2 || envoyConcurrency < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--requests, --concurrency and --envoy-concurrency must be >= 1, --warmup >= 0, --body-bytes >= 2");
    }
    Path projectRoot = projectRoot();
    Path runDir = Files.createTempDirectory("bdk-webhook-bench");
    String secret = "bench-" + UUID.randomUUID();
    try (LocalStack stack = LocalStack.builder()
            .ports(StackPorts.ephemeral())
            .runDir(runDir)
            .projectRoot(projectRoot)
            .nodeId("bench-webhooks")
            .envoyConcurrency(envoyConcurrency)
            .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
            .start();
        SampleBook backend = SampleBook.start(0, "bench-backend")) {
      // Each endpoint takes at most half a burst per run: nothing is refused for rate.
      int integrations = (int) Math.ceil(Math.max(warmup, requests) / (WebhookLimits.MAX_BURST / 2.0));
      List<String> paths = new ArrayList<>();
      for (int i = 0; i < integrations; i++) {
        paths.add(WebhookRoutes.publicPath(NAMESPACE, BOOK, INTEGRATION + i));
      }
      createWebhookBook(stack, backend.port(), secret, integrations);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      List<String> onUrls = paths.stream().map(p -> stack.gatewayUrl() + p).toList();
      // 401 to an unsigned request: route in Envoy, ext-authz reached, Secret loaded.
      for (String onUrl : onUrls) {
        await("webhook route live").atMost(CONVERGE).pollInterval(Duration.ofMillis(200))
            .ignoreExceptions()
            .until(() -> post(http, onUrl, "{}".getBytes(StandardCharsets.UTF_8), List.of()) == 401);
      }

      int plainPort = StackPorts.freePorts(1).get(0);
      try (EnvoyProcess plain = EnvoyProcess.start(EnvoyBinary.locate(projectRoot),
          plainEnvoyBootstrap(plainPort, backend.port()), runDir.resolve("envoy-plain"), envoyConcurrency, List.of())) {
        plain.awaitReady(CONVERGE).awaitListener(plainPort, CONVERGE);
        List<Target> targets = List.of(
            new Target("ext_authz ON  (xDS webhook route: Check + HMAC + replay + rate limit)", onUrls),
            new Target("ext_authz OFF (plain Envoy route, same backend, no ext_authz)",
                paths.stream().map(p -> "http://127.0.0.1:" + plainPort + p).toList()),
            new Target("no Envoy      (straight to the backend)",
                paths.stream().map(p -> "http://127.0.0.1:" + backend.port() + p).toList()));
        List<Result> results = new ArrayList<>();
        for (Target target : targets) {
          run(http, target, warmup, secret);
          results.add(run(http, target, requests, secret));
        }
        print(System.out, results);
      }
    }
    return 0;
  }

  private void createWebhookBook(LocalStack stack, int backendPort, String secret, int integrations) {
    stack.endpoints().publish(NAMESPACE, BOOK, "http", LocalStack.LOCALHOST, backendPort);
    stack.kubernetes().resource(new SecretBuilder()
        .withNewMetadata().withNamespace(NAMESPACE).withName(SECRET_NAME).endMetadata()
        .withData(Map.of(SECRET_KEY, Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8))))
        .build()).create();
    ExternalBookDefinition book = new ExternalBookDefinition();
    book.getMetadata().setNamespace(NAMESPACE);
    book.getMetadata().setName(BOOK);
    // The highest rate limit allowed: the benchmark measures checks, not refusals.
    List<ExternalIntegration> hooks = new ArrayList<>();
    for (int i = 0; i < integrations; i++) {
      hooks.add(new ExternalIntegration(INTEGRATION + i, "webhook", null,
          new Authentication("signature", "github", new SecretRef(SECRET_NAME, SECRET_KEY), null, null),
          new RateLimit(WebhookLimits.MAX_REQUESTS_PER_SECOND, WebhookLimits.MAX_BURST)));
    }
    book.setSpec(new ExternalBookDefinitionSpec("orders", "1.0.0", hooks, null, null, null, new ServiceRef(BOOK, backendPort), null));
    stack.kubernetes().resource(book).create();
  }

  /** Sends {@code count} unique pre-signed webhooks to {@code target} from the callers; measures each. */
  private Result run(HttpClient http, Target target, int count, String secret) throws Exception {
    // Unique bodies per run: GitHub deliveries are replay-keyed on their signature, i.e. their body.
    String run = UUID.randomUUID().toString();
    List<Signed> signed = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      signed.add(Signed.of(body(run + "-" + i), secret));
    }
    ClosedLoop.Result r = ClosedLoop.run(http, target.label(), count, concurrency, 200,
        i -> request(target.url(i), signed.get(i).body(), signed.get(i).headers()));
    return new Result(target, r.requests(), r.failures(), r.perSecond(), r.p50Millis(), r.p99Millis());
  }

  /** One webhook as a sender would post it: body and GitHub signature headers (unique delivery id). */
  private record Signed(byte[] body, List<Header> headers) {
    static Signed of(byte[] body, String secret) {
      return new Signed(body, new GitHubScheme().sign(new SigningInput(body, secret, Instant.now(), UUID.randomUUID().toString())));
    }
  }

  private static HttpRequest request(String url, byte[] body, List<Header> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(10))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(h -> request.header(h.name(), h.value()));
    return request.build();
  }

  private static int post(HttpClient http, String url, byte[] body, List<Header> headers) throws Exception {
    return http.send(request(url, body, headers), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** A JSON body of exactly {@code bodyBytes} bytes (padding after a unique sequence). */
  private byte[] body(String sequence) {
    String head = "{\"action\":\"opened\",\"seq\":\"" + sequence + "\",\"pad\":\"";
    String tail = "\"}";
    int pad = Math.max(0, bodyBytes - head.length() - tail.length());
    return (head + "x".repeat(pad) + tail).getBytes(StandardCharsets.UTF_8);
  }

  void print(PrintStream out, List<Result> results) {
    out.println();
    out.printf("Signed GitHub webhooks, %d B bodies, %d requests per target after %d warm-up, %d concurrent callers,"
        + " Envoy --concurrency %d, loopback%n", bodyBytes, requests, warmup, concurrency, envoyConcurrency);
    out.printf("%-72s %10s %9s %9s %9s%n", "target", "req/s", "p50 ms", "p99 ms", "non-200");
    for (Result r : results) {
      out.printf("%-72s %10.0f %9.3f %9.3f %9d%n", r.target().label(), r.perSecond(), r.p50Millis(), r.p99Millis(),
          r.failures());
    }
    out.println("OFF = a second Envoy with a static route and no ext_authz filter (the xds-server never emits a"
        + " webhook route without ext_authz).");
  }

  /** A static Envoy: one listener, every path to the backend, no ext_authz; admin on any free port. */
  static String plainEnvoyBootstrap(int listenerPort, int backendPort) {
    return """
        node: { id: bench-plain, cluster: bench-plain }
        admin:
          address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
        static_resources:
          listeners:
            - name: plain
              address: { socket_address: { address: 127.0.0.1, port_value: %d } }
              filter_chains:
                - filters:
                    - name: envoy.filters.network.http_connection_manager
                      typed_config:
                        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                        stat_prefix: plain
                        route_config:
                          virtual_hosts:
                            - name: backend
                              domains: ["*"]
                              routes:
                                - match: { prefix: "/" }
                                  route: { cluster: backend, timeout: 30s }
                        http_filters:
                          - name: envoy.filters.http.router
                            typed_config:
                              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
          clusters:
            - name: backend
              type: STATIC
              connect_timeout: 2s
              load_assignment:
                cluster_name: backend
                endpoints:
                  - lb_endpoints:
                      - endpoint:
                          address: { socket_address: { address: 127.0.0.1, port_value: %d } }
        """.formatted(listenerPort, backendPort);
  }

  private static Path projectRoot() {
    String root = System.getProperty("project.root");
    return Path.of(root != null && !root.isBlank() ? root : ".").toAbsolutePath().normalize();
  }
}
