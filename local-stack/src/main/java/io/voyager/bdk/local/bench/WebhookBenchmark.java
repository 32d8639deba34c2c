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
import io.voyager.bdk.local.ProjectRoot;
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
import io.voyager.bdk.support.bench.BenchFigures;
import io.voyager.bdk.support.bench.JitCpu;
import io.voyager.bdk.transcoder.TranscoderSettings;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EdgeSettings;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.FixedEndpoint;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.JwksDocument;
import io.voyager.bdk.xds.model.PortSelector;
import io.voyager.bdk.xds.model.ServiceKey;
import io.voyager.bdk.xds.translate.GatewayTranslator;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.translate.XdsTranslator;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.HashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmark (not a test) of signed webhooks through a real Envoy, ext_authz on and off, side by
 * side. It starts the local stack on ephemeral loopback ports, creates GitHub webhook
 * integrations (one ExternalBookDefinition + Secret + Service/EndpointSlice) whose backend is an
 * in-process sample book, then drives unique, pre-signed 1 KiB webhooks with
 * <a href="https://github.com/wg/wrk">wrk</a> ({@link Wrk}: a separate process, {@code connections}
 * keep-alive connections, closed loop) at three targets, one after the other:
 * <ol>
 *   <li><b>ext_authz ON</b>: the xds-server's webhook routes on the stack's Envoy — ext_authz Check
 *       (body buffered, HMAC, replay, rate limit), then the book. Rate limits are capped
 *       ({@link WebhookLimits}: 100/s, burst 1,000 per endpoint), so the webhooks are spread
 *       round-robin over enough integrations that none is refused for rate up to {@code maxRate};
 *   <li><b>ext_authz OFF</b>: a second Envoy (same binary, same concurrency) with one static route
 *       to the same backend and no ext_authz filter — the xds-server emits no webhook route without
 *       ext_authz, by design, so OFF is this plain proxy;
 *   <li><b>OFF at ON's rate</b>: OFF again, wrk paced (its {@code delay()}) to the rate ON reached:
 *       Envoy's CPU per request grows as the rate falls (fewer requests per wake-up), so ON's Envoy
 *       CPU minus this is what the ext_authz path itself costs Envoy ({@code --no-paced} skips it);
 *   <li><b>no Envoy</b>: straight to the backend, the floor under both.
 * </ol>
 * Envoy's per-address webhook limit is lifted for the run (every connection comes from 127.0.0.1);
 * the per-endpoint limits stay. Each target gets warm-up runs until the JIT has settled ({@link #warmUp}), then a measured one. Prints requests/s, p50/p99 latency, the
 * answers that were not 2xx, and the CPU each request cost each process — Envoy, this JVM
 * (ext-authz, the xds-server and the sample book run in it; split by thread group: ext-authz's gRPC
 * network threads, its jnats threads, the book's, the rest, and GC/JIT), the nats-server and wrk —
 * which holds better than rates on a shared machine; then ON's share of OFF beside issue 12's
 * target, the growth per request of Envoy's counters (ext_authz decisions, calls and bytes to the
 * ext-authz cluster and to the book, access-log writes, the per-client limit) and Envoy's own view
 * of the ext_authz calls (its stats). The backend runs with TCP_NODELAY (see {@link #main}). Run: {@code make bench}.
 */
@Command(name = "webhook-benchmark", mixinStandardHelpOptions = true,
    description = "Signed webhooks through Envoy with ext_authz on and off, driven by wrk (loopback; not a test).")
public final class WebhookBenchmark implements Callable<Integer> {
  private static final String NAMESPACE = LocalStack.SEED_CUSTOMER_NAMESPACES.get(0);
  private static final String BOOK = "bench-orders";
  private static final String INTEGRATION = "github-";
  private static final String SECRET_NAME = "bench-orders-credentials";
  private static final String SECRET_KEY = "github";
  private static final Duration CONVERGE = Duration.ofSeconds(120);
  /** Issue 12's target: webhooks with ext_authz at least this share of the throughput without it. */
  static final double TARGET_ON_SHARE_OF_OFF = 0.70;

  @Option(names = "--seconds", description = "Measured seconds per target. Default: ${DEFAULT-VALUE}.")
  double seconds = 10;

  @Option(names = "--warmup-seconds", description = "Warm-up seconds per target (not measured). Default: ${DEFAULT-VALUE}.")
  double warmupSeconds = 4;

  @Option(names = "--max-warm-rounds", description = "Warm-up runs per target at most: they go on until the JIT compiler threads"
      + " take under 5 %% of the JVM's CPU over one. Default: ${DEFAULT-VALUE}.")
  int maxWarmRounds = 12;

  @Option(names = "--connections", description = "wrk's keep-alive connections (concurrent requests). Default: ${DEFAULT-VALUE}.")
  int connections = 8;

  @Option(names = "--wrk-threads", description = "wrk's threads. Default: ${DEFAULT-VALUE}.")
  int wrkThreads = 2;

  @Option(names = "--body-bytes", description = "Webhook body size. Default: ${DEFAULT-VALUE}.")
  int bodyBytes = 1024;

  @Option(names = "--envoy-concurrency", description = "Worker threads of each Envoy. Default: ${DEFAULT-VALUE}.")
  int envoyConcurrency = 2;

  @Option(names = "--paced", negatable = true, description = "Also run OFF paced to ON's rate (Envoy's CPU per request"
      + " at equal rates). Default: ${DEFAULT-VALUE}.")
  boolean pacedRun = true;

  @Option(names = "--variants", split = ",", description = "Static Envoys of the translation's webhook path with one piece"
      + " out each, paced to ON's rate (WebhookPathVariant: static, no-access-log, no-client-limit, no-hygiene, merged-headers,"
      + " no-ext-authz, check-plaintext, check-state-in-memory; 'all'). Default: none.")
  List<String> variants = List.of();

  @Option(names = "--max-rate", description = "Highest rate (req/s) the signed pool and the integrations' rate limits are sized"
      + " for; beyond it deliveries repeat and show as non-2xx. Default: ${DEFAULT-VALUE}.")
  int maxRate = 20_000;

  /**
   * One target: what it is, the URLs the webhooks are posted to (round-robin), its Envoy's CPU and
   * (null: none or not read) admin for the stats, and whether its load is paced to the rate ext_authz ON
   * reached (OFF at ON's rate: Envoy's CPU per request depends on the rate, fewer requests per wake-up
   * cost more each).
   */
  record Target(String label, String baseUrl, List<String> paths, Supplier<Long> envoyCpuNanos, EnvoyProcess stats,
      boolean pacedToOn) {
    /** The kernel's share of this target's Envoy CPU (0 without an Envoy). */
    long envoySystemNanos() {
      return stats == null ? 0 : CpuTime.processSystemNanos(stats.pid());
    }

    String shortLabel() {
      return label.substring(0, label.indexOf("  (") > 0 ? label.indexOf("  (") : 13).trim();
    }
  }

  /** CPU used so far by the stack's nats-server (ext-authz's replay and rate-limit state); 0 without one. */
  private Supplier<Long> natsCpuNanos = () -> 0L;
  /** Where ext-authz keeps its replay and rate-limit state in this run. */
  private String stateStore = "ext-authz's memory";

  /**
   * What one measured run gave: the load, and per request the CPU (µs) of each process — Envoy, this
   * JVM (and its share per thread group, {@link JvmThreadCpu}; the JIT compiler threads' share of it), the nats-server, wrk — and the
   * growth of the Envoy counters {@link #ENVOY_COUNTERS} selects.
   */
  record Result(Target target, Wrk.Result load, double envoyCpuMicros, double envoySystemMicros, double jvmCpuMicros,
      double jitShare, double natsCpuMicros, double wrkCpuMicros, Map<String, Double> jvmGroupMicros, Map<String, Double> envoyCountersPerRequest) {
    double totalCpuMicros() {
      return envoyCpuMicros + jvmCpuMicros + natsCpuMicros + wrkCpuMicros;
    }
  }

  public static void main(String[] args) {
    JdkHttpServers.tune();
    System.exit(new CommandLine(new WebhookBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (seconds < 1 || warmupSeconds < 0 || maxWarmRounds < 1 || connections < 1 || wrkThreads < 1 || connections < wrkThreads
        || bodyBytes < 2 || envoyConcurrency < 1 || maxRate < 100) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--seconds >= 1, --warmup-seconds >= 0, --max-warm-rounds >= 1, --connections >= --wrk-threads >= 1, --body-bytes >= 2,"
              + " --envoy-concurrency >= 1, --max-rate >= 100");
    }
    Path wrk = Wrk.binary();
    Path projectRoot = ProjectRoot.get();
    Path runDir = Files.createTempDirectory("bdk-webhook-bench");
    String secret = "bench-" + UUID.randomUUID();
    try (LocalStack stack = LocalStack.builder()
            .ports(StackPorts.ephemeral())
            .runDir(runDir)
            .projectRoot(projectRoot)
            .nodeId("bench-webhooks")
            .envoyConcurrency(envoyConcurrency)
            .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
            // All of wrk's connections come from 127.0.0.1: Envoy's per-address webhook limit (50/s by
            // default, a defence against one sender) would answer nearly all of them 429 before ext_authz.
            .serviceArgs(Component.XDS, "--webhook-client-rate", Integer.toString(2 * maxRate),
                "--webhook-client-burst", Integer.toString(2 * maxRate))
            .start();
        SampleBook backend = SampleBook.start(0, "bench-backend")) {
      if (stack.nats() != null) {
        long natsPid = stack.nats().pid();
        natsCpuNanos = () -> CpuTime.processNanos(natsPid);
        stateStore = "JetStream key-value on the stack's nats-server (as make run and k8s/deploy)";
      }
      // Enough endpoints that none runs out of tokens at maxRate over the warm-up and the run.
      double onSeconds = warmupSeconds + seconds;
      int integrations = (int) Math.ceil(1.2 * maxRate * onSeconds
          / (WebhookLimits.MAX_BURST + WebhookLimits.MAX_REQUESTS_PER_SECOND * onSeconds));
      List<String> paths = new ArrayList<>();
      for (int i = 0; i < integrations; i++) {
        paths.add(WebhookRoutes.publicPath(NAMESPACE, BOOK, INTEGRATION + i));
      }
      createWebhookBook(stack, backend.port(), secret, integrations);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      // 401 to an unsigned request: route in Envoy, ext-authz reached, Secret loaded.
      for (String path : paths) {
        await("webhook route live").atMost(CONVERGE).pollInterval(Duration.ofMillis(200))
            .ignoreExceptions()
            .until(() -> post(http, stack.gatewayUrl() + path, "{}".getBytes(StandardCharsets.UTF_8), List.of()) == 401);
      }

      int plainPort = StackPorts.freePorts(1).get(0);
      try (EnvoyProcess plain = EnvoyProcess.start(EnvoyBinary.locate(projectRoot),
          plainEnvoyBootstrap(plainPort, backend.port()), runDir.resolve("envoy-plain"), envoyConcurrency, List.of())) {
        plain.awaitReady(CONVERGE).awaitListener(plainPort, CONVERGE);
        long stackEnvoy = stack.envoy().pid();
        List<Target> targets = new ArrayList<>(List.of(
            new Target("ext_authz ON  (xDS webhook route: Check + HMAC + replay + rate limit)", stack.gatewayUrl(), paths,
                () -> CpuTime.processNanos(stackEnvoy), stack.envoy(), false),
            new Target("ext_authz OFF (plain Envoy route, same backend, no ext_authz)", "http://127.0.0.1:" + plainPort, paths,
                () -> CpuTime.processNanos(plain.pid()), plain, false),
            new Target("OFF at ON's rate  (the same, wrk paced to ON's req/s)", "http://127.0.0.1:" + plainPort, paths,
                () -> CpuTime.processNanos(plain.pid()), plain, true),
            new Target("no Envoy      (straight to the backend)", "http://127.0.0.1:" + backend.port(), paths, () -> 0L,
                null, false)));
        List<WebhookPathVariant> chosen = variants.stream().filter(v -> !v.isBlank())
            .flatMap(v -> v.trim().equals("all") ? Arrays.stream(WebhookPathVariant.values()) : Stream.of(WebhookPathVariant.of(v)))
            .distinct().toList();
        List<AutoCloseable> started = new ArrayList<>();
        try {
        for (WebhookPathVariant v : chosen) {
          int port = StackPorts.freePorts(1).get(0);
          int checkPort = stack.ports().extAuthzGrpc();
          if (v.checkServer != WebhookPathVariant.CheckServer.STACK) {
            List<Integer> checkPorts = StackPorts.freePorts(2);
            started.add(Component.EXT_AUTHZ.starter().start(v.checkServer.args(stack.startArgs(Component.EXT_AUTHZ),
                checkPorts.get(0), checkPorts.get(1)).toArray(String[]::new)));
            checkPort = checkPorts.get(0);
          }
          EdgeSettings.UpstreamTls upstreamTls = v.checkServer == WebhookPathVariant.CheckServer.PLAINTEXT
              ? new EdgeSettings.PlaintextUpstreams()
              : new EdgeSettings.MutualTlsUpstreams(stack.runDir().resolve("envoy-sds").toAbsolutePath().toString());
          EnvoyProcess envoy = EnvoyProcess.start(EnvoyBinary.locate(projectRoot),
              v.bootstrap(variantResources(stack, port, backend.port(), integrations, checkPort, upstreamTls)),
              runDir.resolve("envoy-" + v.id), envoyConcurrency, List.of());
          started.add(envoy);
          envoy.awaitReady(CONVERGE).awaitListener(port, CONVERGE);
          String url = "http://" + LocalStack.LOCALHOST + ":" + port;
          int expected = v == WebhookPathVariant.NO_EXT_AUTHZ ? 200 : 401; // unsigned: refused by ext-authz, or straight through
          await("variant " + v.id + " live").atMost(CONVERGE).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
              .until(() -> post(http, url + paths.get(0), "{}".getBytes(StandardCharsets.UTF_8), List.of()) == expected);
          targets.add(new Target("variant " + v.id + "  (" + v.description + ", paced to ON)", url, paths,
              () -> CpuTime.processNanos(envoy.pid()), envoy, true));
        }
        Path script = Wrk.script(runDir, "webhooks.lua");
        List<Result> results = new ArrayList<>();
        for (Target target : targets) {
          if (target.pacedToOn() && target.stats() == plain && !pacedRun) { // --no-paced: no OFF at ON's rate (variants stay)
            continue;
          }
          double pace = target.pacedToOn() ? results.get(0).load().perSecond() : 0;
          Result warm = warmUp(wrk, script, runDir, target, secret, pace);
          double expected = warm == null ? maxRate : warm.load().perSecond();
          // Paced: wrk's delay comes on top of each answer's latency, so the warm-up's median is taken off.
          double latency = warm == null ? 0 : warm.load().p50Millis();
          results.add(run(wrk, script, runDir, target, seconds, Math.min(maxRate, Math.max(1000, expected * 1.5)), secret, pace,
              latency));
        }
        print(System.out, results, envoyView(stack.envoy()));
        } finally {
          for (int i = started.size() - 1; i >= 0; i--) { // Envoys before the ext-authz they call
            started.get(i).close();
          }
        }
      }
    }
    return 0;
  }

  /**
   * The translator's resources for a gateway listening on {@code port} serving the benchmark's book
   * (its integrations, its backend as the book's only endpoint) with the stack's ext-authz and
   * library as fixed endpoints over the stack's mutual-TLS files, and the run's per-client limit:
   * what the xds-server sends the stack's Envoy, in the single route layout. {@code checkPort} is the
   * ext-authz the Checks go to (the stack's, or a variant's second one) over {@code upstreamTls}.
   */
  private XdsResources variantResources(LocalStack stack, int port, int backendPort, int integrations, int checkPort,
      EdgeSettings.UpstreamTls upstreamTls) {
    GatewaySettings defaults = GatewaySettings.defaults();
    GatewaySettings settings = new GatewaySettings(LocalStack.LOCALHOST, port,
        new io.voyager.bdk.xds.model.ServiceRef("bdk", LocalStack.LIBRARY_SERVICE, PortSelector.named(LocalStack.GRPC_PORT_NAME)),
        new io.voyager.bdk.xds.model.ServiceRef("bdk", LocalStack.EXT_AUTHZ_SERVICE, PortSelector.named(LocalStack.GRPC_PORT_NAME)),
        defaults.maxWebhookBodyBytes(), TranscoderSettings.bookLibraryDefaults(),
        new FixedEndpoint(LocalStack.LOCALHOST, stack.ports().libraryGrpc()),
        new FixedEndpoint(LocalStack.LOCALHOST, checkPort),
        defaults.jwt(), defaults.jwksTrustedCa(),
        defaults.edge()
            .withUpstreamTls(upstreamTls)
            .withWebhookClientLimit(new EdgeSettings.ClientLimit(2 * maxRate, 2 * maxRate, EdgeSettings.ClientLimit.DEFAULTS.maxAddresses())));
    Map<ServiceKey, List<EndpointSliceView>> slices = Map.of(new ServiceKey(NAMESPACE, BOOK), List.of(new EndpointSliceView(
        NAMESPACE, BOOK + "-bench", BOOK, List.of(new EndpointSliceView.Port("http", backendPort)),
        List.of(new EndpointSliceView.Endpoint(LocalStack.LOCALHOST, true)))));
    JwksDocument keys = JwksDocument.parse("bench", stack.issuer().publicJwks());
    return new GatewayTranslator(new XdsTranslator(settings.transcoder()))
        .translate(new GatewayInput(settings, List.of(new BookSource(NAMESPACE, BOOK, bookSpec(backendPort, integrations))), slices)
            .withJwks(keys)).resources();
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
    book.setSpec(bookSpec(backendPort, integrations));
    stack.kubernetes().resource(book).create();
  }

  /** The benchmark book's spec: {@code integrations} GitHub webhooks to the backend at the highest rate limit allowed. */
  private static ExternalBookDefinitionSpec bookSpec(int backendPort, int integrations) {
    // The highest rate limit allowed: the benchmark measures checks, not refusals.
    List<ExternalIntegration> hooks = new ArrayList<>();
    for (int i = 0; i < integrations; i++) {
      hooks.add(new ExternalIntegration(INTEGRATION + i, "webhook", null,
          new Authentication("signature", "github", new SecretRef(SECRET_NAME, SECRET_KEY), null, null),
          new RateLimit(WebhookLimits.MAX_REQUESTS_PER_SECOND, WebhookLimits.MAX_BURST)));
    }
    return new ExternalBookDefinitionSpec("orders", "1.0.0", hooks, null, null, null, new ServiceRef(BOOK, backendPort), null);
  }

  /**
   * Warm-up runs of {@code target} until the JIT has settled — its compiler threads under
   * {@link JitCpu#SETTLED_SHARE} of this JVM's CPU over a round — or {@code maxWarmRounds} ran: the
   * stack's JVM starts just before the benchmark, and without this the measured run carries the JIT
   * compiling the path (ext-authz's above all, when ON is the first target). Prints each round's
   * share; returns the last round (null without warm-up).
   */
  private Result warmUp(Path wrk, Path script, Path runDir, Target target, String secret, double pace) throws Exception {
    Result warm = null;
    for (int round = 1; round <= maxWarmRounds && warmupSeconds > 0; round++) {
      warm = run(wrk, script, runDir, target, warmupSeconds, maxRate, secret, pace, 0);
      System.out.printf("%s warm-up round %d: %.0f req/s, JIT compiler threads %.0f %% of the JVM's CPU%n", target.shortLabel(),
          round, warm.load().perSecond(), 100 * warm.jitShare());
      if (warm.jitShare() < JitCpu.SETTLED_SHARE) {
        break;
      }
    }
    return warm;
  }

  /**
   * Signs a pool of unique webhooks for {@code seconds} at up to {@code rate} (GitHub deliveries are
   * replay-keyed on their signature, i.e. their body), then lets wrk send them to {@code target}.
   */
  private Result run(Path wrk, Path script, Path runDir, Target target, double seconds, double rate, String secret,
      double pace, double latencyMillis) throws Exception {
    if (seconds <= 0) {
      return null;
    }
    int count = (int) Math.ceil(rate * seconds);
    String run = UUID.randomUUID().toString().substring(0, 8);
    Path pool = runDir.resolve("pool-" + run + ".tsv");
    StringBuilder lines = new StringBuilder(count * 160);
    Instant now = Instant.now();
    GitHubScheme github = new GitHubScheme();
    for (int i = 0; i < count; i++) {
      String seq = run + "-" + i;
      String delivery = UUID.randomUUID().toString();
      Map<String, String> signed = new HashMap<>();
      github.sign(new SigningInput(body(seq), secret, now, delivery)).forEach(h -> signed.put(h.name(), h.value()));
      lines.append(target.paths().get(i % target.paths().size())).append('\t').append(delivery).append('\t')
          .append(signed.get(GitHubScheme.SIGNATURE)).append('\t').append(seq).append('\n');
    }
    Files.writeString(pool, lines);
    // Paced: each connection waits between an answer and its next request so that all of them
    // together post about `pace` per second (wrk's delay(), whole milliseconds, after latencyMillis).
    long delayMillis = pace > 0 ? Math.max(0, Math.round(1000.0 * connections / pace - latencyMillis)) : 0;
    Map<String, Long> counters0 = envoyCounters(target.stats());
    JvmThreadCpu.Snapshot threads0 = JvmThreadCpu.snapshot();
    long envoy0 = target.envoyCpuNanos().get();
    long envoySys0 = target.envoySystemNanos();
    long jvm0 = CpuTime.jvmNanos();
    JitCpu.Reading jit0 = JitCpu.read();
    long nats0 = natsCpuNanos.get();
    long wrk0 = CpuTime.endedChildrenNanos();
    Wrk.Result load = Wrk.run(wrk, target.baseUrl(), wrkThreads, connections, seconds, pace > 0 ? pacedScript(script) : script,
        List.of(pool.toString(), Integer.toString(bodyBytes), Integer.toString(wrkThreads), Long.toString(delayMillis)));
    long envoy = target.envoyCpuNanos().get() - envoy0;
    long envoySys = target.envoySystemNanos() - envoySys0;
    long jvm = CpuTime.jvmNanos() - jvm0;
    double jitShare = JitCpu.share(JitCpu.read().nanosSince(jit0), jvm);
    long nats = natsCpuNanos.get() - nats0;
    long wrkCpu = CpuTime.endedChildrenNanos() - wrk0;
    Map<String, Long> groups = JvmThreadCpu.between(threads0, JvmThreadCpu.snapshot());
    Map<String, Long> counters = envoyCounters(target.stats());
    Files.deleteIfExists(pool);
    double n = Math.max(1, load.requests());
    Map<String, Double> groupMicros = new LinkedHashMap<>();
    groups.forEach((group, nanos) -> groupMicros.put(group, nanos / 1e3 / n));
    Map<String, Double> perRequest = new TreeMap<>();
    counters.forEach((name, value) -> perRequest.put(name, (value - counters0.getOrDefault(name, 0L)) / n));
    return new Result(target, load, envoy / 1e3 / n, envoySys / 1e3 / n, jvm / 1e3 / n, jitShare, nats / 1e3 / n, wrkCpu / 1e3 / n,
        groupMicros, perRequest);
  }

  /** {@code script} with wrk's delay(): the milliseconds given as the fourth argument, before each request. */
  private static Path pacedScript(Path script) throws java.io.IOException {
    Path paced = script.resolveSibling("paced-" + script.getFileName());
    if (!Files.exists(paced)) {
      Files.writeString(paced, Files.readString(script)
          + "\n-- Paced (the benchmark's OFF at ON's rate): wait between requests.\n"
          + "function delay()\n  return delay_ms\nend\n");
    }
    return paced;
  }

  /**
   * Envoy counters read per run (their growth per request shows the round trips and bytes a
   * webhook costs Envoy): the ext_authz filter's decisions, the calls, connections, bytes and HTTP/2
   * streams/frames to the ext-authz cluster, the requests and bytes to the book, the access logs
   * written, the per-client limit's checks.
   */
  static final Pattern ENVOY_COUNTERS = Pattern.compile(
      "^(http\\.bdk_http\\.ext_authz\\.(ok|denied|error)"
          + "|cluster\\..*ext-authz.*\\.(http2\\.[a-z_]+|upstream_flow_control_[a-z_]+)"
          + "|cluster\\..+\\.(upstream_rq_total|upstream_cx_total|upstream_cx_tx_bytes_total|upstream_cx_rx_bytes_total)"
          + "|access_log\\.[a-z_.]+|http\\.[a-z_]+\\.downstream_rq_total|webhook_client_limit\\.[a-z_.]+"
          + "|filesystem\\.(write_completed|write_buffered|flushed_by_timer))$");

  /** The counters {@link #ENVOY_COUNTERS} selects from {@code envoy}'s admin; empty without one. */
  private static Map<String, Long> envoyCounters(EnvoyProcess envoy) {
    Map<String, Long> counters = new TreeMap<>();
    if (envoy == null) {
      return counters;
    }
    for (String line : envoy.admin().get("/stats?type=Counters").body().lines().toList()) {
      int colon = line.lastIndexOf(": ");
      if (colon > 0 && ENVOY_COUNTERS.matcher(line.substring(0, colon)).matches()) {
        try {
          counters.put(line.substring(0, colon), Long.parseLong(line.substring(colon + 2).trim()));
        } catch (NumberFormatException e) {
          // not a counter line
        }
      }
    }
    return counters;
  }

  private static int post(HttpClient http, String url, byte[] body, List<Header> headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(10))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(h -> request.header(h.name(), h.value()));
    return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** A JSON body of exactly {@code bodyBytes} bytes (padding after a unique sequence); webhooks.lua builds the same. */
  private byte[] body(String sequence) {
    String head = "{\"action\":\"opened\",\"seq\":\"" + sequence + "\",\"pad\":\"";
    String tail = "\"}";
    int pad = Math.max(0, bodyBytes - head.length() - tail.length());
    return (head + "x".repeat(pad) + tail).getBytes(StandardCharsets.UTF_8);
  }

  /** The stack Envoy's stats about its ext_authz calls and connections (filter, cluster). */
  private static List<String> envoyView(EnvoyProcess envoy) {
    String stats = envoy.admin().get("/stats?filter=" + java.net.URLEncoder.encode(
        "(ext_authz\\.(ok|denied|error|failure_mode_allowed)$)|(ext-authz.*(upstream_rq_time|upstream_cx_total|upstream_cx_active"
            + "|upstream_rq_total|upstream_rq_pending_overflow|upstream_cx_http2_total)$)|(^server\\.concurrency$)",
        StandardCharsets.UTF_8)).body();
    return stats.lines().filter(l -> !l.isBlank()).toList();
  }

  void print(PrintStream out, List<Result> results, List<String> envoyStats) {
    out.println();
    out.printf("Signed GitHub webhooks, %d B bodies, wrk -t%d -c%d: %.0f s per target after warm-up runs of %.0f s until the JIT"
        + " settled (at most %d), Envoy --concurrency %d, loopback%n", bodyBytes, wrkThreads, connections, seconds, warmupSeconds,
        maxWarmRounds, envoyConcurrency);
    out.printf("ext-authz's replay and rate-limit state: %s%n", stateStore);
    out.printf("%-72s %9s %8s %8s %8s %12s %12s %12s%n", "target", "req/s", "p50 ms", "p99 ms", "non-2xx",
        "Envoy us/req", "JVM us/req", "NATS us/req");
    for (Result r : results) {
      out.printf("%-72s %9.0f %8.3f %8.3f %8d %12.1f %12.1f %12.1f%n", r.target().label(), r.load().perSecond(),
          r.load().p50Millis(), r.load().p99Millis(), r.load().failures(), r.envoyCpuMicros(), r.jvmCpuMicros(),
          r.natsCpuMicros());
    }
    for (Result r : results) {
      if (r.load().failures() > r.load().requests() / 100) {
        out.printf("WARNING: %s: %d of %d answers were not 2xx; its rate is not a webhook rate%n",
            r.target().shortLabel(), r.load().failures(), r.load().requests());
      }
    }
    double share = results.get(0).load().perSecond() / results.get(1).load().perSecond();
    out.printf("ext_authz ON = %.0f %% of OFF's throughput (target, issue 12: >= %.0f %%)%n", 100 * share,
        100 * TARGET_ON_SHARE_OF_OFF);
    out.println("OFF = a second Envoy with a static route and no ext_authz filter (the xds-server never emits a"
        + " webhook route without ext_authz). CPU per request: Envoy's process, and this JVM's (ext-authz, xds-server,"
        + " sample book); the nats-server's (ext-authz's shared state).");
    out.println();
    out.println("CPU per request by process (us; the JVM split by thread: ext-authz's Check runs on gRPC's network threads,"
        + " its JetStream calls on jnats's; GC/JIT/ended = the JVM's CPU outside its live threads;"
        + " (kernel) = the part of Envoy's spent in the kernel: syscalls, loopback TCP, wake-ups;"
        + " JIT % = the JIT compiler threads' share of the JVM's CPU during the measured run):");
    out.printf("%-18s %9s %8s %10s %8s %8s %8s %8s %8s %8s %8s %8s %6s%n", "target", "req/s", "Envoy", "(kernel)", "gRPC", "jnats",
        "book", "other", "GC/JIT", "NATS", "wrk", "total", "JIT %");
    for (Result r : results) {
      Map<String, Double> g = r.jvmGroupMicros();
      out.printf("%-18s %9.0f %8.1f %10.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %6.1f%n", r.target().shortLabel(),
          r.load().perSecond(), r.envoyCpuMicros(), r.envoySystemMicros(), g.get(JvmThreadCpu.GRPC), g.get(JvmThreadCpu.NATS), g.get(JvmThreadCpu.BOOK),
          g.get(JvmThreadCpu.OTHER), g.get(JvmThreadCpu.JVM), r.natsCpuMicros(), r.wrkCpuMicros(), r.totalCpuMicros(), 100 * r.jitShare());
    }
    if (results.size() > 2 && results.get(2).target().pacedToOn()) {
      out.printf("Envoy's CPU per webhook, ON - OFF at ON's rate: %.1f us (ON %.1f, OFF at %.0f req/s %.1f, OFF closed loop %.1f)%n",
          results.get(0).envoyCpuMicros() - results.get(2).envoyCpuMicros(), results.get(0).envoyCpuMicros(),
          results.get(2).load().perSecond(), results.get(2).envoyCpuMicros(), results.get(1).envoyCpuMicros());
    }
    Result control = results.stream().filter(r -> r.target().label().startsWith("variant static ")).findFirst().orElse(null);
    if (control != null) {
      out.println("Envoy's CPU per webhook by variant (static Envoys of the translation, each paced to ON's rate), against static:");
      for (Result r : results) {
        if (r.target().label().startsWith("variant ")) {
          out.printf("  %-16s %8.0f req/s %8.1f us (kernel %6.1f)  %+8.1f us%n", r.target().shortLabel().substring("variant ".length()),
              r.load().perSecond(), r.envoyCpuMicros(), r.envoySystemMicros(), r.envoyCpuMicros() - control.envoyCpuMicros());
        }
      }
    }
    out.println("Envoy counters per request (growth during each measured run / requests):");
    for (Result r : results) {
      if (!r.envoyCountersPerRequest().isEmpty()) {
        out.println("  " + r.target().shortLabel() + ":");
        r.envoyCountersPerRequest().forEach((name, value) -> {
          if (value != 0) {
            out.printf("    %-90s %10.3f%n", name, value);
          }
        });
      }
    }
    String load = TranscoderBenchmark.loadAverage();
    out.println("Load average (1/5/15 min) after the run: " + load);
    out.println("Envoy's view of ext_authz (stack Envoy, whole run):");
    envoyStats.forEach(line -> out.println("  " + line));
    record(results, share, load);
  }

  /** The figures into $BDK_BENCH_DIR/webhook.jsonl for BENCHMARKS.md (nothing when unset). */
  private void record(List<Result> results, double share, String load) {
    try (BenchFigures figures = BenchFigures.open("webhook", "Signed webhooks through Envoy, ext_authz on and off")) {
      figures.note(String.format("%d B bodies, wrk -t%d -c%d, %.0f s per target after warm-up runs of %.0f s until the JIT settled,"
          + " Envoy --concurrency %d;"
          + " ext-authz's state: %s; load average (1/5/15 min) after the run: %s", bodyBytes, wrkThreads, connections, seconds,
          warmupSeconds, envoyConcurrency, stateStore, load));
      for (Result r : results) {
        String target = r.target().shortLabel();
        Map<String, String> labels = Map.of("target", target);
        figures.figure("webhook.per_s", labels, target + " req/s", r.load().perSecond(), "req/s", null);
        figures.figure("webhook.p99_ms", labels, target + " p99", r.load().p99Millis(), "ms", null);
        figures.figure("webhook.envoy_cpu_us", labels, target + " Envoy CPU per request", r.envoyCpuMicros(), "us", null);
        figures.figure("webhook.envoy_kernel_cpu_us", labels, target + " Envoy kernel CPU per request", r.envoySystemMicros(), "us", null);
        figures.figure("webhook.jvm_cpu_us", labels, target + " JVM CPU per request", r.jvmCpuMicros(), "us", null);
        figures.figure("webhook.jit_pct", labels, target + " JIT share of the JVM's CPU", 100 * r.jitShare(), "%", null);
        figures.figure("webhook.nats_cpu_us", labels, target + " nats-server CPU per request", r.natsCpuMicros(), "us", null);
        figures.figure("webhook.wrk_cpu_us", labels, target + " wrk CPU per request", r.wrkCpuMicros(), "us", null);
        r.jvmGroupMicros().forEach((group, micros) -> figures.figure("webhook.jvm_threads_cpu_us",
            Map.of("target", target, "threads", group), target + " JVM " + group + " CPU per request", micros, "us", null));
      }
      figures.figure("webhook.ext_authz_ratio_pct", "ext_authz ON, share of OFF's throughput", 100 * share, "%",
          BenchFigures.Target.atLeast(100 * TARGET_ON_SHARE_OF_OFF));
    }
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
}
