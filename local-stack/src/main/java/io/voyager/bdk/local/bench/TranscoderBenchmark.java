package io.voyager.bdk.local.bench;

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
import io.voyager.bdk.support.bench.BenchFigures;
import io.voyager.bdk.transcoder.DescriptorSets;
import java.io.IOException;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmark (not a test) of the Book Library's GetBook two ways, on the local stack (ephemeral
 * loopback ports, the real Envoy programmed by the xds-server, library-service with mutual TLS):
 * <ul>
 *   <li><b>REST</b>: {@code GET /api/v1/books/{id}} through Envoy (jwt_authn, the library routes'
 *       Lua token-size guard, grpc_json_transcoder, header_mutation, HTTP/2 + mutual TLS to the library), driven by
 *       <a href="https://github.com/wg/wrk">wrk</a>;
 *   <li><b>gRPC through Envoy</b>: {@code bdk.library.v1.BookLibrary/GetBook} through the same
 *       Envoy listener (plaintext HTTP/2) with the same token: jwt_authn, the Lua guard, HTTP/2 +
 *       mutual TLS to the library — a gRPC client's real path, and REST's path minus the transcoder
 *       (and header_mutation), driven by <a href="https://ghz.sh">ghz</a>. Issue 12's ratio is REST
 *       against this one: the difference is the transcoder's own cost;
 *   <li><b>direct gRPC</b>: the same call on the library's own port with the operator's client
 *       certificate (ghz): the library alone, no Envoy. Its ratio is printed beside;
 *   <li><b>REST variants</b> ({@code --variants}, {@link RestPathVariant}): the same REST call
 *       through further Envoys of the same binary, each running the xds-server's own translation
 *       made static with one piece taken out or one option changed: what each piece costs Envoy
 *       per call. By default: {@code static} (the control: the translation unchanged from a file),
 *       {@code no-lua} (what the remaining Lua guard costs), {@code transcoder-only} (what every
 *       optional piece together costs: Lua, jwt_authn, header_mutation, access log) and
 *       {@code concurrency-1} (the same on one Envoy worker: on two cores shared with the load
 *       generators and the JVM, the steadiest cut of Envoy's CPU per call measured).
 * </ul>
 * Both with the same bearer token (reused, as clients do), the same number of concurrent calls, a
 * warm-up run, then alternating measured rounds. Prints calls/s, p50/p99 and the CPU each call cost
 * Envoy and this JVM (the library-service and the xds-server run in it) — the load generators
 * differ (wrk is C, ghz is Go and heavier per call), so on a shared two-core machine CPU per call is
 * the steadier figure — and REST's share of direct gRPC beside issue 12's target. Run: {@code make bench}.
 */
@Command(name = "transcoder-benchmark", mixinStandardHelpOptions = true,
    description = "GetBook as REST through Envoy's transcoder (wrk), as gRPC through the same Envoy and as direct gRPC (ghz)"
        + " (loopback; not a test).")
public final class TranscoderBenchmark implements Callable<Integer> {
  private static final Duration CONVERGE = Duration.ofSeconds(120);
  /** Issue 12's target: REST through the transcoder at least this share of direct gRPC's throughput. */
  static final double TARGET_REST_SHARE_OF_GRPC = 0.80;

  @Option(names = "--seconds", description = "Measured seconds per target and round. Default: ${DEFAULT-VALUE}.")
  double seconds = 8;

  @Option(names = "--warmup-seconds", description = "Warm-up seconds per target. Default: ${DEFAULT-VALUE}.")
  double warmupSeconds = 4;

  /**
   * Three by default, so the median drops one outlier: the first measured round after the warm-up
   * still carries the JIT compiling the path (one run: the library's CPU per REST call 387 µs in
   * the first round, 118 and 145 µs in the next two, direct gRPC's 114–148 µs).
   */
  @Option(names = "--rounds", description = "Alternating REST/gRPC rounds (medians). Default: ${DEFAULT-VALUE}.")
  int rounds = 3;

  @Option(names = "--concurrency", description = "Calls in flight (wrk connections, ghz workers). Default: ${DEFAULT-VALUE}.")
  int concurrency = 8;

  @Option(names = "--envoy-concurrency", description = "Envoy's worker threads. Default: ${DEFAULT-VALUE}.")
  int envoyConcurrency = 2;

  @Option(names = "--variants", split = ",", description = "REST variants, each through its own static Envoy (comma-separated;"
      + " none: empty): static (the translation unchanged: the control), no-client-limit, no-stats-matcher, no-deferred, no-memory-release, no-lua, no-access-log, no-jwt, no-header-mutation,"
      + " transcoder-default-print, transcoder-no-status, transcoder-no-validation, transcoder-rematch,"
      + " transcoder-no-body-limits, transcoder-only, concurrency-1. Default: ${DEFAULT-VALUE}.")
  List<String> variants = new ArrayList<>(List.of("static", "no-lua", "transcoder-only", "concurrency-1"));

  /** One measured round of one target. */
  record Round(double perSecond, double p50Millis, double p99Millis, long failures, double envoyCpuMicros, double jvmCpuMicros,
      double seconds, double calls) {
    /** This JVM's CPU per call less what it spends with no load at all ({@code idleJvmMicrosPerSecond}) over the round. */
    double jvmCpuMicrosNetOfIdle(double idleJvmMicrosPerSecond) {
      return jvmCpuMicros - idleJvmMicrosPerSecond * seconds / Math.max(1, calls);
    }
  }

  @Option(names = "--grpc-with-proxy-headers", description = "Also call GetBook directly with the request headers a proxy adds"
      + " (a fresh x-request-id per call, x-forwarded-for/-proto, x-envoy-original-path): what those headers cost the library."
      + " Default: ${DEFAULT-VALUE}.")
  boolean grpcWithProxyHeaders;

  /** This JVM's CPU per second with no load, measured after the warm-up (the stack's own background work and JIT). */
  private double idleJvmMicrosPerSecond;

  @Option(names = "--idle-seconds", description = "Seconds without load after the warm-up, to measure the JVM's own background CPU."
      + " Default: ${DEFAULT-VALUE}.")
  double idleSeconds = 3;

  public static void main(String[] args) {
    JdkHttpServers.tune();
    System.exit(new CommandLine(new TranscoderBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (seconds < 1 || warmupSeconds < 0 || rounds < 1 || concurrency < 2 || envoyConcurrency < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--seconds >= 1, --warmup-seconds >= 0, --rounds >= 1, --concurrency >= 2, --envoy-concurrency >= 1");
    }
    Path wrk = Wrk.binary();
    Path ghz = Ghz.binary();
    Path runDir = Files.createTempDirectory("bdk-transcoder-bench");
    try (LocalStack stack = LocalStack.builder()
        .ports(StackPorts.ephemeral())
        .runDir(runDir)
        .projectRoot(ProjectRoot.get())
        .nodeId("bench-transcoder")
        .envoyConcurrency(envoyConcurrency)
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME, Component.EXT_AUTHZ)
        .start()) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      String token = stack.issuer().mint(new DevIssuer.TokenRequest("bench", null,
          List.of(BdkRoles.PLATFORM_ADMIN.claimValue()), Duration.ofHours(2), Instant.now()), DevIssuer.Algorithm.RS256);
      String gateway = stack.gatewayUrl();
      await("library routes accept the stack's tokens").atMost(CONVERGE).pollInterval(Duration.ofMillis(200))
          .ignoreExceptions().until(() -> http.send(get(gateway + "/api/v1/books", token),
              HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
      String bookId = createdId(http, gateway, token);
      List<RestPathVariant> chosen = variants.stream().filter(v -> !v.isBlank()).map(RestPathVariant::of).distinct().toList();
      List<Variant> started = new ArrayList<>();
      try {
        for (RestPathVariant v : chosen) {
          int port = StackPorts.freePorts(1).get(0);
          EnvoyProcess envoy = EnvoyProcess.start(EnvoyBinary.locate(ProjectRoot.get()),
              v.bootstrap(LibraryAuthBenchmark.authOffResources(stack, port)), runDir.resolve("envoy-" + v.id),
              v.envoyConcurrency > 0 ? v.envoyConcurrency : envoyConcurrency, List.of());
          started.add(new Variant(v, envoy, "http://" + LocalStack.LOCALHOST + ":" + port));
          envoy.awaitReady(CONVERGE).awaitListener(port, CONVERGE);
          String url = started.get(started.size() - 1).url();
          if (http.send(get(url + "/api/v1/books/" + bookId, token), HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
            throw new IllegalStateException("the Envoy of variant " + v.id + " does not reach the library");
          }
        }
        run(stack, token, bookId, wrk, ghz, runDir, started);
      } finally {
        for (Variant v : started) {
          v.envoy().close();
        }
      }
    }
    return 0;
  }

  /** One REST variant's Envoy. */
  private record Variant(RestPathVariant variant, EnvoyProcess envoy, String url) {
    String target() {
      return variant == RestPathVariant.NO_LUA ? "rest_without_lua" : "rest_" + variant.id.replace('-', '_');
    }
  }

  private void run(LocalStack stack, String token, String bookId, Path wrk, Path ghz, Path runDir, List<Variant> variants)
      throws Exception {
    String gateway = stack.gatewayUrl();
    Path script = Wrk.script(runDir, "get.lua");
    String grpcTarget = LocalStack.LOCALHOST + ":" + stack.ports().libraryGrpc();
    String envoyGrpcTarget = LocalStack.LOCALHOST + ":" + stack.ports().envoyListener();
    Path protoset = runDir.resolve("bdk-library.protoset");
    Files.write(protoset, DescriptorSets.load(DescriptorSets.BOOK_LIBRARY_RESOURCE)
        .toByteArray());
    long envoyPid = stack.envoy().pid();
    int wrkThreads = 2;
    String method = "bdk.library.v1.BookLibrary/GetBook";
    String data = "{\"book_id\":\"" + bookId + "\"}";
    Map<String, String> bearer = Map.of("authorization", "Bearer " + token);
    BiFunction<String, Double, Callable<Round>> restAt = (url, secs) -> () -> measure(
        url.equals(gateway) ? envoyPid : variants.stream().filter(v -> v.url().equals(url)).findFirst().orElseThrow().envoy().pid(),
        () -> {
          Wrk.Result r = Wrk.run(wrk, url + "/api/v1/books/" + bookId, wrkThreads, concurrency, secs, script, List.of(token));
          return new Load(r.requests() - r.failures(), r.failures(), r.seconds(), r.p50Millis(), r.p99Millis());
        });
    Function<Double, Callable<Round>> grpcViaEnvoy = secs -> () -> measure(envoyPid, () -> {
      Ghz.Result r = Ghz.run(ghz, envoyGrpcTarget, null, protoset, method, data, bearer, concurrency, envoyConcurrency, secs);
      return new Load(r.ok(), r.failures(), r.seconds(), r.p50Millis(), r.p99Millis());
    });
    Function<Double, Callable<Round>> grpcDirect = secs -> () -> measure(envoyPid, () -> {
      Ghz.Result r = Ghz.run(ghz, grpcTarget, stack.tls().operator(), method, data, bearer, concurrency, envoyConcurrency, secs);
      return new Load(r.ok(), r.failures(), r.seconds(), r.p50Millis(), r.p99Millis());
    });
    if (warmupSeconds > 0) {
      restAt.apply(gateway, warmupSeconds).call();
      grpcViaEnvoy.apply(warmupSeconds).call();
      grpcDirect.apply(warmupSeconds).call();
      for (Variant v : variants) {
        restAt.apply(v.url(), warmupSeconds).call();
      }
    }
    if (idleSeconds > 0) {
      long idle0 = CpuTime.jvmNanos();
      long wall0 = System.nanoTime();
      Thread.sleep((long) (idleSeconds * 1000)); // a measurement interval, not synchronisation
      idleJvmMicrosPerSecond = (CpuTime.jvmNanos() - idle0) / 1e3 / ((System.nanoTime() - wall0) / 1e9);
    }
    List<Round> restRounds = new ArrayList<>();
    List<Round> viaEnvoyRounds = new ArrayList<>();
    List<Round> grpcRounds = new ArrayList<>();
    List<Round> proxyHeaderRounds = new ArrayList<>();
    Map<Variant, List<Round>> variantRounds = new LinkedHashMap<>();
    variants.forEach(v -> variantRounds.put(v, new ArrayList<>()));
    Map<String, String> proxyHeaders = new LinkedHashMap<>(bearer);
    proxyHeaders.put("x-forwarded-for", "127.0.0.1");
    proxyHeaders.put("x-forwarded-proto", "http");
    proxyHeaders.put("x-request-id", "{{newUUID}}");
    proxyHeaders.put("x-envoy-original-path", "/api/v1/books/" + bookId);
    Callable<Round> grpcProxyHeaders = () -> measure(envoyPid, () -> {
      Ghz.Result r = Ghz.run(ghz, grpcTarget, stack.tls().operator(), method, data, proxyHeaders, concurrency, envoyConcurrency, seconds);
      return new Load(r.ok(), r.failures(), r.seconds(), r.p50Millis(), r.p99Millis());
    });
    for (int i = 0; i < rounds; i++) {
      restRounds.add(restAt.apply(gateway, seconds).call());
      viaEnvoyRounds.add(grpcViaEnvoy.apply(seconds).call());
      grpcRounds.add(grpcDirect.apply(seconds).call());
      for (Variant v : variants) {
        variantRounds.get(v).add(restAt.apply(v.url(), seconds).call());
      }
      if (grpcWithProxyHeaders) {
        proxyHeaderRounds.add(grpcProxyHeaders.call());
      }
    }
    print(System.out, restRounds, viaEnvoyRounds, grpcRounds, variantRounds);
    System.out.printf("JVM us/call per round, in run order: REST %s; gRPC through Envoy %s; direct gRPC %s%n", perRound(restRounds),
        perRound(viaEnvoyRounds), perRound(grpcRounds));
    if (!proxyHeaderRounds.isEmpty()) {
      Round p = line(System.out, "direct gRPC with a proxy's request headers (ghz)", proxyHeaderRounds);
      System.out.printf("  its JVM CPU per call net of the idle JVM's: %.0f us%n", p.jvmCpuMicrosNetOfIdle(idleJvmMicrosPerSecond));
    }
  }

  private static String perRound(List<Round> rounds) {
    return rounds.stream().map(r -> String.format("%.0f", r.jvmCpuMicros())).collect(Collectors.joining(" "));
  }

  /** What a load generator reported. */
  private record Load(long ok, long failures, double seconds, double p50Millis, double p99Millis) {}

  private interface LoadRun {
    Load run() throws Exception;
  }

  private static Round measure(long envoyPid, LoadRun run) throws Exception {
    long envoy0 = CpuTime.processNanos(envoyPid);
    long jvm0 = CpuTime.jvmNanos();
    Load load = run.run();
    long envoy = CpuTime.processNanos(envoyPid) - envoy0;
    long jvm = CpuTime.jvmNanos() - jvm0;
    double n = Math.max(1, load.ok() + load.failures());
    return new Round(load.ok() / load.seconds(), load.p50Millis(), load.p99Millis(), load.failures(), envoy / 1e3 / n, jvm / 1e3 / n,
        load.seconds(), n);
  }

  private static HttpRequest get(String url, String token) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .header("authorization", "Bearer " + token).GET().build();
  }

  private static String createdId(HttpClient http, String baseUrl, String token) throws Exception {
    HttpRequest create = HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/books"))
        .timeout(Duration.ofSeconds(10))
        .header("authorization", "Bearer " + token)
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"bench-" + UUID.randomUUID() + "\",\"version\":\"1.0.0\"}"))
        .build();
    HttpResponse<String> created = http.send(create, HttpResponse.BodyHandlers.ofString());
    Matcher id = Pattern.compile("\"book_id\":\"([^\"]+)\"").matcher(created.body());
    if (created.statusCode() != 201 || !id.find()) {
      throw new IllegalStateException("cannot create the benchmark's book: " + created.statusCode() + " " + created.body());
    }
    return id.group(1);
  }

  void print(PrintStream out, List<Round> rest, List<Round> viaEnvoy, List<Round> grpc, Map<Variant, List<Round>> variants) {
    out.println();
    out.printf("GetBook, one book, one reused platform-admin token: %d calls in flight, %.0f s per target and round,"
        + " %d alternating rounds after %.0f s warm-up, Envoy --concurrency %d, loopback%n",
        concurrency, seconds, rounds, warmupSeconds, envoyConcurrency);
    out.printf("%-66s %9s %8s %8s %8s %12s %12s%n", "target", "calls/s", "p50 ms", "p99 ms", "failed", "Envoy us/call",
        "JVM us/call");
    Round r = line(out, "REST through Envoy (jwt_authn, Lua guard, transcoder; wrk)", rest);
    Round e = line(out, "gRPC through the same Envoy (jwt_authn, Lua guard; ghz, h2c)", viaEnvoy);
    Round g = line(out, "direct gRPC to the library-service (mutual TLS; ghz; no Envoy)", grpc);
    Map<Variant, Round> byVariant = new LinkedHashMap<>();
    variants.forEach((v, rounds) -> byVariant.put(v, line(out, "REST variant " + v.variant().id + ": " + v.variant().description,
        rounds)));
    out.printf("REST = %.0f %% of gRPC through the same Envoy (issue 12's row, target >= %.0f %%); %.0f %% of direct gRPC"
        + " (the library alone)%n", 100 * r.perSecond() / e.perSecond(), 100 * TARGET_REST_SHARE_OF_GRPC,
        100 * r.perSecond() / g.perSecond());
    out.printf("Envoy CPU per call: REST %.0f us, gRPC through Envoy %.0f us (the transcoder and header_mutation: %.0f us),"
        + " direct gRPC %.1f us (Envoy idle)%n", r.envoyCpuMicros(), e.envoyCpuMicros(), r.envoyCpuMicros() - e.envoyCpuMicros(),
        g.envoyCpuMicros());
    out.printf("The JVM with no load: %.0f us of CPU per second (after the warm-up); net of it, library JVM CPU per call:"
        + " REST %.0f us, gRPC through Envoy %.0f us, direct gRPC %.0f us%n", idleJvmMicrosPerSecond,
        r.jvmCpuMicrosNetOfIdle(idleJvmMicrosPerSecond), e.jvmCpuMicrosNetOfIdle(idleJvmMicrosPerSecond),
        g.jvmCpuMicrosNetOfIdle(idleJvmMicrosPerSecond));
    byVariant.forEach((v, m) -> out.printf("  variant %-28s Envoy CPU per REST call %6.1f us (%+6.1f us against the stack's Envoy)%n",
        v.variant().id, m.envoyCpuMicros(), m.envoyCpuMicros() - r.envoyCpuMicros()));
    out.println("Rates are medians of the rounds. ghz (Go) spends more CPU per call than wrk (C) on the same two cores,"
        + " which lowers both gRPC rates more than REST's.");
    String load = loadAverage();
    out.println("Load average (1/5/15 min) after the run: " + load);
    try (BenchFigures figures = BenchFigures.open("transcoder", "GetBook: REST through Envoy's transcoder vs gRPC through Envoy and direct")) {
      figures.note(String.format("%d calls in flight, %.0f s per target and round, %d rounds (medians), Envoy --concurrency %d;"
          + " load average (1/5/15 min) after the run: %s", concurrency, seconds, rounds, envoyConcurrency, load));
      figures.note("grpc_via_envoy: GetBook through the stack's Envoy listener (plaintext HTTP/2, jwt_authn, Lua guard, mutual TLS"
          + " upstream) — a gRPC client's real path; grpc: direct to the library's port (no Envoy)");
      if (!byVariant.isEmpty()) {
        figures.note("REST variants, each a static Envoy of the same translation (medians as above): " + byVariant.keySet().stream()
            .map(v -> v.target() + " = " + v.variant().description).collect(Collectors.joining("; ")));
      }
      record(figures, "rest", r);
      record(figures, "grpc_via_envoy", e);
      record(figures, "grpc", g);
      byVariant.forEach((v, m) -> record(figures, v.target(), m));
      figures.figure("rest.jvm_idle_cpu_us_per_s", "the JVM's CPU per second with no load (after the warm-up)", idleJvmMicrosPerSecond,
          "us/s", null);
      for (var t : List.of(Map.entry("rest", r), Map.entry("grpc_via_envoy", e), Map.entry("grpc", g))) {
        figures.figure("rest.jvm_cpu_net_of_idle_us", Map.of("target", t.getKey()), t.getKey() + " JVM CPU per call, net of the idle JVM's",
            t.getValue().jvmCpuMicrosNetOfIdle(idleJvmMicrosPerSecond), "us", null);
      }
      figures.figure("rest.transcoder_ratio_pct", Map.of("baseline", "grpc_via_envoy"),
          "REST, share of gRPC through the same Envoy's throughput", 100 * r.perSecond() / e.perSecond(),
          "%", BenchFigures.Target.atLeast(100 * TARGET_REST_SHARE_OF_GRPC));
      figures.figure("rest.transcoder_ratio_pct", Map.of("baseline", "grpc_direct"),
          "REST, share of direct gRPC's throughput (the library alone, no Envoy)", 100 * r.perSecond() / g.perSecond(), "%", null);
    }
  }

  /** The machine's load average as {@code /proc/loadavg} has it (1, 5, 15 minutes), or "unknown". */
  static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static void record(BenchFigures figures, String target, Round m) {
    Map<String, String> labels = Map.of("target", target);
    figures.figure("rest.calls_per_s", labels, target + " calls/s", m.perSecond(), "calls/s", null);
    figures.figure("rest.p99_ms", labels, target + " p99", m.p99Millis(), "ms", null);
    figures.figure("rest.envoy_cpu_us", labels, target + " Envoy CPU per call", m.envoyCpuMicros(), "us", null);
    figures.figure("rest.jvm_cpu_us", labels, target + " JVM CPU per call", m.jvmCpuMicros(), "us", null);
  }

  private static Round line(PrintStream out, String label, List<Round> rounds) {
    Round m = new Round(median(rounds.stream().mapToDouble(Round::perSecond).toArray()),
        median(rounds.stream().mapToDouble(Round::p50Millis).toArray()),
        median(rounds.stream().mapToDouble(Round::p99Millis).toArray()),
        rounds.stream().mapToLong(Round::failures).sum(),
        median(rounds.stream().mapToDouble(Round::envoyCpuMicros).toArray()),
        median(rounds.stream().mapToDouble(Round::jvmCpuMicros).toArray()),
        median(rounds.stream().mapToDouble(Round::seconds).toArray()),
        median(rounds.stream().mapToDouble(Round::calls).toArray()));
    out.printf("%-66s %9.0f %8.3f %8.3f %8d %12.1f %12.1f%n", label, m.perSecond(), m.p50Millis(), m.p99Millis(),
        m.failures(), m.envoyCpuMicros(), m.jvmCpuMicros());
    return m;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
