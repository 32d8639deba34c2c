package io.voyager.bdk.local.bench;

import io.voyager.bdk.support.bench.BenchFigures;
import static org.awaitility.Awaitility.await;

import io.voyager.bdk.local.Component;
import io.voyager.bdk.local.EnvoyBinary;
import io.voyager.bdk.local.EnvoyProcess;
import io.voyager.bdk.local.LocalStack;
import io.voyager.bdk.local.ProjectRoot;
import io.voyager.bdk.local.StackPorts;
import io.voyager.bdk.model.BdkRoles;
import io.voyager.bdk.support.JdkHttpServers;
import io.voyager.bdk.support.auth.DevIssuer;
import io.voyager.bdk.transcoder.TranscoderSettings;
import io.voyager.bdk.xds.model.EdgeSettings;
import io.voyager.bdk.xds.model.FixedEndpoint;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.JwksDocument;
import io.voyager.bdk.xds.model.PortSelector;
import io.voyager.bdk.xds.model.ServiceRef;
import io.voyager.bdk.xds.translate.GatewayTranslator;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.translate.XdsTranslator;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmark (not a test) of what authentication costs the Book Library REST API at the edge. It
 * starts the local stack on ephemeral loopback ports (library-service and xds-server; the real
 * Envoy programmed by xDS, with jwt_authn on the library routes) and a second Envoy of the same
 * binary and concurrency whose static config is the xds-server's own translation with the
 * authentication taken out ({@link AuthOffBootstrap}), both in front of the same library-service.
 * Then, side by side and alternating ON/OFF to even out drift on a shared machine:
 * <ul>
 *   <li>GET {@code /api/v1/books/{id}} with one token reused (a client keeps its token for its
 *       lifetime; Envoy caches the verified token per worker);
 *   <li>GET with a fresh token per request (no cache hit: a signature verification each time);
 *   <li>POST {@code /api/v1/books} (create; each a new BookDefinition in the embedded API).
 * </ul>
 * Every request, OFF included, carries the same platform-admin token: the library-service may
 * verify it itself, and that cost is on both sides. Prints requests/s, p50 and p99 per target and
 * the throughput authentication costs. Run: {@code make bench}.
 */
@Command(name = "library-auth-benchmark", mixinStandardHelpOptions = true,
    description = "Book Library REST through Envoy with bearer-token authentication on and off (loopback; not a test).")
public final class LibraryAuthBenchmark implements Callable<Integer> {
  private static final Duration CONVERGE = Duration.ofSeconds(60);

  @Option(names = "--requests", description = "Measured GETs per target and round. Default: ${DEFAULT-VALUE}.")
  int requests = 3000;

  @Option(names = "--creates", description = "Measured creates per target and round. Default: ${DEFAULT-VALUE}.")
  int creates = 500;

  @Option(names = "--rounds", description = "Alternating ON/OFF rounds (results are summed over rounds). Default: ${DEFAULT-VALUE}.")
  int rounds = 2;

  @Option(names = "--warmup", description = "Warm-up requests per target (not measured). Default: ${DEFAULT-VALUE}.")
  int warmup = 500;

  @Option(names = "--concurrency", description = "Concurrent blocking callers. Default: ${DEFAULT-VALUE}.")
  int concurrency = 4;

  @Option(names = "--envoy-concurrency", description = "Worker threads of each Envoy. Default: ${DEFAULT-VALUE}.")
  int envoyConcurrency = 1;

  public static void main(String[] args) {
    JdkHttpServers.tune();
    System.exit(new CommandLine(new LibraryAuthBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (requests < 1 || creates < 1 || rounds < 1 || warmup < 0 || concurrency < 1 || envoyConcurrency < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--requests, --creates, --rounds, --concurrency and --envoy-concurrency must be >= 1, --warmup >= 0");
    }
    Path projectRoot = ProjectRoot.get();
    Path runDir = Files.createTempDirectory("bdk-library-auth-bench");
    try (LocalStack stack = LocalStack.builder()
        .ports(StackPorts.ephemeral())
        .runDir(runDir)
        .projectRoot(projectRoot)
        .nodeId("bench-library-auth")
        .envoyConcurrency(envoyConcurrency)
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME, Component.EXT_AUTHZ)
        .start()) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      String token = mint(stack.issuer());
      String on = stack.gatewayUrl();
      await("library routes accept the stack's tokens").atMost(CONVERGE).pollInterval(Duration.ofMillis(200))
          .ignoreExceptions().until(() -> status(http, get(on + "/api/v1/books", token)) == 200);
      if (status(http, get(on + "/api/v1/books", null)) != 401) {
        throw new IllegalStateException("the xDS-programmed Envoy must refuse a request without a token");
      }
      String bookId = createdId(http, on, token);

      int offPort = StackPorts.freePorts(1).get(0);
      String bootstrap = AuthOffBootstrap.render(authOffResources(stack, offPort));
      try (EnvoyProcess offEnvoy = EnvoyProcess.start(EnvoyBinary.locate(projectRoot), bootstrap,
          runDir.resolve("envoy-auth-off"), envoyConcurrency, List.of())) {
        offEnvoy.awaitReady(CONVERGE).awaitListener(offPort, CONVERGE);
        String off = "http://" + LocalStack.LOCALHOST + ":" + offPort;
        if (status(http, get(off + "/api/v1/books/" + bookId, token)) != 200) {
          throw new IllegalStateException("the auth-off Envoy does not reach the library");
        }
        List<String> freshTokens = new ArrayList<>(requests);
        for (int i = 0; i < requests; i++) {
          freshTokens.add(mint(stack.issuer()));
        }
        String getPath = "/api/v1/books/" + bookId;
        String runId = UUID.randomUUID().toString().substring(0, 8);
        List<Row> rows = List.of(
            new Row("GET one book", "auth ON  (jwt_authn, token reused)", requests, 200,
                i -> get(on + getPath, token)),
            new Row("GET one book", "auth OFF (same config without authentication)", requests, 200,
                i -> get(off + getPath, token)),
            new Row("GET one book", "auth ON  (a fresh token per request)", requests, 200,
                i -> get(on + getPath, freshTokens.get(i % freshTokens.size()))),
            new Row("create a book", "auth ON  (jwt_authn, token reused)", creates, 201,
                i -> create(on, token, "on-" + runId + "-" + i)),
            new Row("create a book", "auth OFF (same config without authentication)", creates, 201,
                i -> create(off, token, "off-" + runId + "-" + i)));
        for (Row row : rows) {
          ClosedLoop.run(http, row.target, Math.min(warmup, row.count), concurrency, row.expected,
              i -> row.request.apply(i + 1_000_000));
        }
        List<List<ClosedLoop.Result>> byRow = new ArrayList<>();
        rows.forEach(r -> byRow.add(new ArrayList<>()));
        for (int round = 0; round < rounds; round++) {
          for (int r = 0; r < rows.size(); r++) {
            Row row = rows.get(r);
            int offset = round * row.count;
            byRow.get(r).add(ClosedLoop.run(http, row.operation + " | " + row.target, row.count, concurrency,
                row.expected, i -> row.request.apply(offset + i)));
          }
        }
        print(System.out, rows, byRow);
      }
    }
    return 0;
  }

  /** One measured target: an operation through one Envoy. */
  private record Row(String operation, String target, int count, int expected, IntFunction<HttpRequest> request) {}

  /**
   * The translator's resources for a gateway listening on {@code port} with the stack's library as
   * a fixed endpoint and the stack's keys inlined — what the xds-server would send that Envoy.
   */
  static XdsResources authOffResources(LocalStack stack, int port) {
    GatewaySettings defaults = GatewaySettings.defaults();
    GatewaySettings settings = new GatewaySettings(LocalStack.LOCALHOST, port,
        new ServiceRef("bdk", LocalStack.LIBRARY_SERVICE, PortSelector.named(LocalStack.GRPC_PORT_NAME)),
        new ServiceRef("bdk", LocalStack.EXT_AUTHZ_SERVICE, PortSelector.named(LocalStack.GRPC_PORT_NAME)),
        defaults.maxWebhookBodyBytes(), TranscoderSettings.bookLibraryDefaults(),
        new FixedEndpoint(LocalStack.LOCALHOST, stack.ports().libraryGrpc()),
        new FixedEndpoint(LocalStack.LOCALHOST, stack.ports().extAuthzGrpc()),
        defaults.jwt(), defaults.jwksTrustedCa(),
        // Reaches the stack's own (mutual TLS) library-service with the stack's Envoy SDS files.
        defaults.edge().withUpstreamTls(new EdgeSettings.MutualTlsUpstreams(
            stack.runDir().resolve("envoy-sds").toAbsolutePath().toString())));
    JwksDocument keys = JwksDocument.parse("bench", stack.issuer().publicJwks());
    return new GatewayTranslator(new XdsTranslator(settings.transcoder()))
        .translate(new GatewayInput(settings, List.of(), Map.of()).withJwks(keys)).resources();
  }

  private static String mint(DevIssuer issuer) {
    return issuer.mint(new DevIssuer.TokenRequest("bench", null, List.of(BdkRoles.PLATFORM_ADMIN.claimValue()),
        Duration.ofHours(2), Instant.now()), DevIssuer.Algorithm.RS256);
  }

  private static HttpRequest get(String url, String token) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return request.build();
  }

  private static HttpRequest create(String baseUrl, String token, String name) {
    return HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/books"))
        .timeout(Duration.ofSeconds(10))
        .header("authorization", "Bearer " + token)
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"bench-" + name + "\",\"version\":\"1.0.0\"}"))
        .build();
  }

  private static int status(HttpClient http, HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static String createdId(HttpClient http, String baseUrl, String token) throws Exception {
    HttpResponse<String> created = http.send(create(baseUrl, token, "target-" + UUID.randomUUID()),
        HttpResponse.BodyHandlers.ofString());
    Matcher id = Pattern.compile("\"book_id\":\"([^\"]+)\"").matcher(created.body());
    if (created.statusCode() != 201 || !id.find()) {
      throw new IllegalStateException("cannot create the benchmark's book: " + created.statusCode() + " " + created.body());
    }
    return id.group(1);
  }

  /** One line per target (rounds combined: requests/s over the rounds' total time; p50/p99 the rounds' median). */
  void print(PrintStream out, List<Row> rows, List<List<ClosedLoop.Result>> byRow) {
    out.println();
    out.printf("Book Library REST through Envoy, authentication on and off: %d GETs and %d creates per target and round,"
        + " %d alternating rounds after %d warm-up, %d concurrent callers, Envoy --concurrency %d, loopback%n",
        requests, creates, rounds, warmup, concurrency, envoyConcurrency);
    out.printf("%-14s %-48s %9s %9s %9s %9s%n", "operation", "target", "req/s", "p50 ms", "p99 ms", "failed");
    double[] perSecond = new double[rows.size()];
    for (int r = 0; r < rows.size(); r++) {
      List<ClosedLoop.Result> results = byRow.get(r);
      double seconds = results.stream().mapToDouble(x -> x.requests() / x.perSecond()).sum();
      int total = results.stream().mapToInt(ClosedLoop.Result::requests).sum();
      perSecond[r] = total / seconds;
      out.printf("%-14s %-48s %9.0f %9.3f %9.3f %9d%n", rows.get(r).operation, rows.get(r).target, perSecond[r],
          median(results.stream().mapToDouble(ClosedLoop.Result::p50Millis).toArray()),
          median(results.stream().mapToDouble(ClosedLoop.Result::p99Millis).toArray()),
          results.stream().mapToInt(ClosedLoop.Result::failures).sum());
    }
    for (int r = 0; r < rows.size(); r++) {
      for (ClosedLoop.Result result : byRow.get(r)) {
        if (result.failures() > 0) {
          out.printf("failed answers, %s (one round): %s%n", result.label(), result.unexpectedSummary());
        }
      }
    }
    try (BenchFigures figures = BenchFigures.open("library-auth", "Book Library REST through Envoy, authentication on and off")) {
      figures.note(String.format(Locale.ROOT, "%d GETs and %d creates per target and round, %d alternating rounds,"
          + " %d concurrent callers, Envoy --concurrency %d, loopback", requests, creates, rounds, concurrency, envoyConcurrency));
      for (int r = 0; r < rows.size(); r++) {
        figures.figure("library_auth.req_per_s", Map.of("row", String.valueOf(r)),
            rows.get(r).operation + ": " + rows.get(r).target, perSecond[r], "req/s", null);
      }
      figures.figure("library_auth.get_cost_pct", "authentication's cost on GET, token reused (% of throughput)",
          cost(perSecond[0], perSecond[1]), "%", BenchFigures.Target.below(10));
      figures.figure("library_auth.get_fresh_token_cost_pct", "authentication's cost on GET, fresh token per request",
          cost(perSecond[2], perSecond[1]), "%", null);
    }
    out.printf("authentication costs: GET %.1f %% of throughput (token reused), %.1f %% (fresh token per request);"
        + " create %.1f %%%n", cost(perSecond[0], perSecond[1]), cost(perSecond[2], perSecond[1]), cost(perSecond[3], perSecond[4]));
    out.println("OFF = a second Envoy with the xds-server's own listener, routes and clusters minus jwt_authn and the"
        + " x-bdk-*/size guard (the xds-server never serves a library route without a token requirement).");
  }

  private static double cost(double on, double off) {
    return 100.0 * (off - on) / off;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
