package io.voyager.bdk.extauthz.bench;

import com.github.benmanes.caffeine.cache.Ticker;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.extauthz.AuthorizationService;
import io.voyager.bdk.extauthz.CheckDefaults;
import io.voyager.bdk.extauthz.CheckMetrics;
import io.voyager.bdk.extauthz.ExtAuthzServer;
import io.voyager.bdk.extauthz.WebhookCheck;
import io.voyager.bdk.extauthz.ratelimit.RateLimiter;
import io.voyager.bdk.extauthz.ratelimit.JetStreamRateLimiter;
import io.voyager.bdk.extauthz.replay.BoundedReplayStore;
import io.voyager.bdk.extauthz.replay.JetStreamReplayStore;
import io.voyager.bdk.extauthz.shared.SharedState;
import io.voyager.bdk.extauthz.shared.SharedStateSettings;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.extauthz.secrets.SecretRef;
import io.voyager.bdk.extauthz.secrets.SecretSource;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookLimits;
import io.voyager.bdk.support.GrpcServers;
import io.voyager.bdk.support.bench.BenchFigures;
import io.voyager.bdk.support.bench.JitCpu;
import io.voyager.bdk.support.tls.ServerTls;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark of the Check API (not a test): the real Authorization service, served the way ext-authz
 * serves it ({@link ExtAuthzServer#grpcExecutor}, {@link GrpcServers}: metrics and identity
 * interceptors, a Prometheus registry), over loopback gRPC without TLS, secrets in memory (two
 * active, as during a rotation). Rate limits are capped ({@link WebhookLimits}), so requests are
 * spread over endpoints that each get fewer than a burst.
 *
 * <p>The load is shaped like Envoy's: {@code connections} HTTP/2 connections (Envoy keeps one per
 * worker to ext-authz) carrying {@code inFlight} concurrent calls in total, each answered call
 * followed at once by the next (closed loop). Every scheme warms up first; then, for each scheme, it sends unique signed
 * 1 KiB webhooks and prints checks/s, p50/p99 latency of the Check call as the client sees it, and
 * the CPU time this process spent per check (server and client together: a figure that holds
 * better than the rate on a shared machine).
 *
 * <p>Run: {@code bin/bdkctl bench check} (after {@code make build}).
 */
public final class CheckBenchmark {
  /** Warm-up and measured seconds per scheme, HTTP/2 connections, concurrent calls in total. */
  public record Settings(double warmupSeconds, double seconds, int connections, int inFlight) {
    public Settings {
      if (warmupSeconds < 0 || seconds <= 0 || connections < 1 || inFlight < connections) {
        throw new IllegalArgumentException("seconds > 0, warm-up >= 0, connections >= 1 and in-flight >= connections");
      }
    }
  }

  /** Issue 12's target for the Check API on the 2-core development machine. */
  public static final double TARGET_CHECKS_PER_SECOND = 20_000;
  public static final double TARGET_P99_MILLIS = 2.0;

  private static final String SECRET = "whsec_YmVuY2htYXJrLXNlY3JldC1mb3ItZXh0LWF1dGh6LTEyMzQ=";
  private static final String OLD_SECRET = "whsec_b2xkLWJlbmNobWFyay1zZWNyZXQtZm9yLWV4dC1hdXRoeg==";

  private CheckBenchmark() {}

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
    run(new Settings(2, seconds, 2, 16), args.length > 1 ? args[1] : null, System.out);
  }

  /** What one scheme's measured run gave. */
  public record Result(String scheme, double perSecond, double p50Millis, double p99Millis, double cpuMicrosPerCheck,
      long denied, double jitShare, double natsMessagesPerCheck, double serverMicrosPerCheck, double clientMicrosPerCheck,
      long gcMillis, long clientGcMillis, double serverBytesPerCheck, double serverJvmBytesPerCheck, double gcsPer10kChecks) {}

  /** Warm-up rounds (every scheme once per round) end when the JIT's share of a round's CPU falls below this, or after {@link #MAX_WARM_ROUNDS}. */
  static final double JIT_SETTLED_SHARE = JitCpu.SETTLED_SHARE;
  static final int MAX_WARM_ROUNDS = 4;
  /** The replay bucket's size in the benchmark: a full bucket refuses new deliveries (503), which would measure refusals. */
  static final long BENCH_REPLAY_BYTES = 512L << 20;

  public static List<Result> run(Settings settings, PrintStream out) throws Exception {
    return run(settings, null, out);
  }

  public static List<Result> run(Settings settings, String natsUrl, PrintStream out) throws Exception {
    return run(settings, natsUrl, Server.inProcess(), out);
  }

  /**
   * Where the server runs. {@link #childProcess}: the default of {@code bdkctl bench check}, the
   * server in its own JVM started with {@link #DEPLOYED_JVM_OPTIONS}, so the client's allocations,
   * GC pauses and JIT do not land in the server's latency. {@link #inProcess}: client and server in
   * this JVM (the earlier benchmark; one profile shows both).
   */
  public record Server(List<String> jvmOptions) {
    public static Server inProcess() {
      return new Server(null);
    }

    public static Server childProcess(List<String> jvmOptions) {
      return new Server(List.copyOf(jvmOptions));
    }

    boolean separate() {
      return jvmOptions != null;
    }
  }

  /**
   * The JVM as k8s/deploy/ext-authz.yaml runs it: JAVA_TOOL_OPTIONS -XX:MaxRAMPercentage=75 in a
   * container limited to 1 GiB and 2 CPUs. In such a container the JVM's ergonomics pick the Serial
   * collector (it takes a machine with fewer than 1792 MB for a client-class one), so that is named
   * here, as the memory and CPU limits are.
   */
  public static final List<String> DEPLOYED_JVM_OPTIONS = List.of("-XX:MaxRAM=1g", "-XX:MaxRAMPercentage=75",
      "-XX:ActiveProcessorCount=2", "-XX:+UseSerialGC");

  /**
   * The server side's counters: its JVM's CPU, its gRPC network threads' CPU, its GC time, NATS
   * messages sent, the bytes its gRPC network threads allocated (where checks run), the bytes all its
   * live threads allocated (NATS client threads included), its GC count. Allocation is counted by the
   * JVM per thread (ThreadMXBean), so it does not depend on the machine's load as time does.
   */
  record ServerStats(long processCpuNanos, long serverThreadsNanos, long gcMillis, long natsMessages, long serverThreadsBytes,
      long jvmBytes, long gcCount) {}

  /** The Check server as ext-authz serves it: state in memory or in JetStream key-value on {@code natsUrl}. */
  static final class ServerSide implements AutoCloseable {
    final SharedState shared;
    final GrpcServers.Running running;

    ServerSide(String natsUrl) {
      SecretSource secrets = new SecretSource() {
        private final List<String> both = List.of(OLD_SECRET, SECRET);

        @Override
        public List<String> secrets(SecretRef ref) {
          return both;
        }
      };
      // a replay bucket that holds every delivery of the run (warm-up rounds included) for its window
      this.shared = natsUrl == null ? null : SharedState.connect(new SharedStateSettings(natsUrl, 1,
          SharedStateSettings.local(natsUrl).timeout(), BENCH_REPLAY_BYTES, SharedStateSettings.local(natsUrl).rateLimitMaxBytes()));
      WebhookCheck check = shared == null
          ? new WebhookCheck(secrets, new BoundedReplayStore(BoundedReplayStore.Budget.standard(), Ticker.systemTicker()),
              new RateLimiter(100_000, Ticker.systemTicker()), CheckDefaults.standard(), Clock.systemUTC())
          : new WebhookCheck(secrets, new JetStreamReplayStore(shared),
              new JetStreamRateLimiter(shared, Clock.systemUTC()), CheckDefaults.standard(), Clock.systemUTC());
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      AuthorizationService service = new AuthorizationService(check, new CheckMetrics(registry));
      try {
        this.running = GrpcServers.start(new InetSocketAddress("127.0.0.1", 0), registry, ServerTls.PLAINTEXT,
            ExtAuthzServer.grpcExecutor(), service);
      } catch (RuntimeException e) {
        if (shared != null) {
          shared.close();
        }
        throw e;
      }
    }

    ServerStats stats() {
      return new ServerStats(processCpuNanos(), threadCpuNanos(SERVER_THREADS), gcMillis(), shared == null ? 0 : shared.messagesSent(),
          threadAllocatedBytes(SERVER_THREADS), threadAllocatedBytes(""), gcCount());
    }

    @Override
    public void close() {
      try {
        running.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      } finally {
        if (shared != null) {
          shared.close();
        }
      }
    }
  }

  /**
   * The server's JVM when the benchmark runs it apart ({@link Server#childProcess}): prints
   * {@code port=N} once serving, then answers each {@code stats} line on stdin with
   * {@code stats <process CPU ns> <gRPC threads' CPU ns> <GC ms> <NATS messages> <gRPC threads' allocated bytes>
   * <all threads' allocated bytes> <GC count>}; ends at the end of stdin.
   *
   * @param args the NATS URL, or none for state in memory
   */
  public static final class ChildServer {
    private ChildServer() {}

    public static void main(String[] args) throws Exception {
      try (ServerSide server = new ServerSide(args.length > 0 ? args[0] : null)) {
        System.out.println("port=" + server.running.port());
        System.out.flush();
        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
          if (line.equals("stats")) {
            ServerStats s = server.stats();
            System.out.println("stats " + s.processCpuNanos() + " " + s.serverThreadsNanos() + " " + s.gcMillis() + " " + s.natsMessages()
                + " " + s.serverThreadsBytes() + " " + s.jvmBytes() + " " + s.gcCount());
            System.out.flush();
          }
        }
      }
    }
  }

  /** The server as the benchmark talks to it: in this JVM or a child one. */
  private interface Target extends AutoCloseable {
    int port();

    ServerStats stats() throws java.io.IOException;

    @Override
    void close() throws Exception;
  }

  private static Target inThisJvm(String natsUrl) throws java.io.IOException {
    ServerSide side = new ServerSide(natsUrl);
    return new Target() {
      @Override
      public int port() {
        return side.running.port();
      }

      @Override
      public ServerStats stats() {
        return side.stats();
      }

      @Override
      public void close() {
        side.close();
      }
    };
  }

  private static Target childJvm(List<String> jvmOptions, String natsUrl) throws java.io.IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvmOptions);
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ChildServer.class.getName());
    if (natsUrl != null) {
      command.add(natsUrl);
    }
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    java.io.BufferedReader from = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    PrintStream to = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    String first = from.readLine();
    // a -XX:StartFlightRecording in the options prints its own lines first
    for (int skipped = 0; first != null && !first.startsWith("port=") && skipped < 20; skipped++) {
      first = from.readLine();
    }
    if (first == null || !first.startsWith("port=")) {
      process.destroyForcibly();
      throw new IllegalStateException("the benchmark's server JVM did not start (" + String.join(" ", command) + "): " + first);
    }
    int port = Integer.parseInt(first.substring("port=".length()));
    return new Target() {
      @Override
      public int port() {
        return port;
      }

      @Override
      public ServerStats stats() throws java.io.IOException {
        to.println("stats");
        String line = from.readLine();
        if (line == null || !line.startsWith("stats ")) {
          throw new IllegalStateException("the benchmark's server JVM ended: " + line);
        }
        String[] f = line.split(" ");
        return new ServerStats(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
            Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]));
      }

      @Override
      public void close() throws Exception {
        to.close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
    };
  }

  /**
   * @param natsUrl null: replay and rate-limit state in memory (ext-authz without --nats-url);
   *     else the JetStream key-value stores on that server, served as ext-authz serves them then;
   *     recorded as the separate benchmark {@code check-jetstream}
   * @param where the server in this JVM or in its own
   */
  public static List<Result> run(Settings settings, String natsUrl, Server where, PrintStream out) throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    List<Result> results = new ArrayList<>();
    boolean jetStream = natsUrl != null;
    ClientLoop clientLoop = ClientLoop.create(settings.connections());
    try (Target server = where.separate() ? childJvm(where.jvmOptions(), natsUrl) : inThisJvm(natsUrl)) {
      List<ManagedChannel> stubs = new ArrayList<>();
      for (int c = 0; c < settings.connections(); c++) {
        // the client's own event loop (threads "bench-client-…"), so its CPU is told apart from the
        // server's; no retry buffering (a Check is answered or failed, never retried here)
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
            .eventLoopGroup(clientLoop.group()).channelType(clientLoop.channelType())
            .directExecutor().disableRetry().build();
        channels.add(channel);
        stubs.add(channel);
      }
      out.printf("ext-authz Check API over loopback gRPC (no TLS), 1 KiB body, %d HTTP/2 connections, %d calls in flight,"
          + " %.1f s per scheme after %.1f s warm-up; replay and rate-limit state: %s; server: %s%n", settings.connections(),
          settings.inFlight(), settings.seconds(), settings.warmupSeconds(), natsUrl == null ? "memory" : "JetStream key-value on " + natsUrl,
          where.separate() ? "its own JVM (" + String.join(" ", where.jvmOptions()) + ")" : "in the benchmark's JVM");
      // Every scheme warms up before any is measured (the first would otherwise absorb the JIT's
      // work), in rounds until the JIT's share of a round's CPU has settled.
      Map<String, Double> warmRates = new HashMap<>();
      for (int round = 1; round <= MAX_WARM_ROUNDS && settings.warmupSeconds() > 0; round++) {
        long cpu0 = processCpuNanos();
        JitCpu.Reading jit0 = JitCpu.read();
        for (String scheme : Schemes.NAMES) {
          warmRates.put(scheme, measure(stubs, server, where.separate(), scheme, "warm" + round, settings.warmupSeconds(),
              settings.inFlight(), 0, jetStream).perSecond());
        }
        double share = JitCpu.share(JitCpu.read().nanosSince(jit0), processCpuNanos() - cpu0);
        out.printf("warm-up round %d: JIT compiler threads %.0f %% of this process's CPU%n", round, share * 100);
        if (share < JIT_SETTLED_SHARE && !where.separate()) {
          break;
        }
        if (where.separate() && round >= 2 && share < JIT_SETTLED_SHARE) {
          break; // the server's JIT is not seen from here: at least two rounds
        }
      }
      out.printf("%-10s %12s %10s %10s %14s %10s %10s %8s %6s %8s %9s %10s %10s %8s%s%n", "scheme", "checks/s", "p50 ms", "p99 ms",
          "CPU us/check", "server us", "client us", "denied", "JIT %", "GC ms", "client GC", "server B", "srv JVM B", "GCs/10k",
          jetStream ? "  NATS msgs/check" : "");
      for (String scheme : Schemes.NAMES) {
        Result r = measure(stubs, server, where.separate(), scheme, "run", settings.seconds(), settings.inFlight(),
            warmRates.getOrDefault(scheme, 0.0), jetStream);
        results.add(r);
        out.printf("%-10s %12.0f %10.3f %10.3f %14.1f %10.1f %10.1f %8d %6.1f %8d %9d %10.0f %10.0f %8.2f%s%n", scheme, r.perSecond(),
            r.p50Millis(), r.p99Millis(), r.cpuMicrosPerCheck(), r.serverMicrosPerCheck(), r.clientMicrosPerCheck(), r.denied(),
            r.jitShare() * 100, r.gcMillis(), r.clientGcMillis(), r.serverBytesPerCheck(), r.serverJvmBytesPerCheck(),
            r.gcsPer10kChecks(),
            jetStream ? String.format("  %16.2f", r.natsMessagesPerCheck()) : "");
      }
      out.printf("target (issue 12, 2-core machine): >= %,.0f checks/s with p99 < %.0f ms per scheme; CPU us/check is the"
          + " server's and the client's JVMs' CPU (gRPC threads, JIT, GC) per check; server us: the gRPC server's network threads"
          + " (where checks run), client us: the benchmark client's; GC ms: the server JVM's collection time in the measured window,"
          + " client GC: the client JVM's (the same JVM when the server runs in-process: then a pause stops both and lands in p99);"
          + " server B: bytes the server's gRPC network threads allocated per check, srv JVM B: all the server JVM's live threads"
          + " (the client's too when in-process), GCs/10k: the server JVM's collections per 10,000 checks;"
          + " JIT %%: the client JVM's compiler threads%n", TARGET_CHECKS_PER_SECOND, TARGET_P99_MILLIS);
      record(settings, results, jetStream, where);
    } finally {
      for (ManagedChannel channel : channels) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      clientLoop.group().shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    return results;
  }

  /**
   * Sends pre-signed unique requests for {@code seconds} (or until the pool runs out), keeping
   * {@code inFlight} calls outstanding; the pool is sized from the expected rate.
   */
  private static Result measure(List<ManagedChannel> stubs, Target server, boolean separate, String scheme, String phase,
      double seconds, int inFlight, double expectedRate, boolean jetStream) throws Exception {
    if (seconds <= 0) {
      return new Result(scheme, 0, 0, 0, 0, 0, 0, Double.NaN, 0, 0, 0, 0, 0, 0, 0);
    }
    int poolSize = (int) Math.min(1_000_000, Math.max(20_000, expectedRate * seconds * 1.5));
    List<byte[]> pool = requests(scheme, phase, poolSize);
    // The pool is the client's and lives through the window: moved to the old generation now, so no
    // young collection in the window copies it (a JFR recording of the earlier benchmark, whose pool
    // of protobuf messages was built just before its window, showed young pauses of 40-880 ms).
    System.gc();
    // Building the pool queues compilations in this JVM (seen: the first scheme's measured window
    // ran with the client's JIT at 20 % of its CPU, the others at 0-1 %); they finish first.
    JitCpu.awaitQuiet(java.time.Duration.ofMillis(300), java.time.Duration.ofSeconds(5));
    long[] latencies = new long[poolSize];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicLong denied = new AtomicLong();
    CountDownLatch finished = new CountDownLatch(inFlight);
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    long cpu0 = processCpuNanos();
    JitCpu.Reading jit0 = JitCpu.read();
    ServerStats s0 = server.stats();
    long client0 = threadCpuNanos(CLIENT_THREADS);
    long gc0 = gcMillis();
    long start = System.nanoTime();
    for (int slot = 0; slot < inFlight; slot++) {
      ManagedChannel stub = stubs.get(slot % stubs.size());
      new Caller(stub, pool, latencies, next, done, denied, deadline, finished).send();
    }
    if (!finished.await((long) (seconds * 1000) + 30_000, TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("Check calls did not finish");
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    ServerStats s1 = server.stats();
    long clientProcessCpu = processCpuNanos() - cpu0;
    // both JVMs' CPU when the server has its own (in-process, this process's CPU is both already)
    long cpu = clientProcessCpu + (separate ? s1.processCpuNanos() - s0.processCpuNanos() : 0);
    long serverCpu = s1.serverThreadsNanos() - s0.serverThreadsNanos();
    long clientCpu = threadCpuNanos(CLIENT_THREADS) - client0;
    long clientGc = gcMillis() - gc0;
    long gc = s1.gcMillis() - s0.gcMillis();
    double jit = JitCpu.share(JitCpu.read().nanosSince(jit0), clientProcessCpu);
    double nats = jetStream ? s1.natsMessages() - s0.natsMessages() : Double.NaN;
    int n = done.get();
    if (n == 0) {
      return new Result(scheme, 0, 0, 0, 0, denied.get(), jit, Double.NaN, 0, 0, gc, clientGc, 0, 0, 0);
    }
    long[] all = Arrays.copyOf(latencies, n);
    Arrays.sort(all);
    return new Result(scheme, n / elapsed, all[(int) (n * 0.50)] / 1e6, all[Math.min(n - 1, (int) (n * 0.99))] / 1e6,
        cpu / 1e3 / n, denied.get(), jit, nats / n, serverCpu / 1e3 / n, clientCpu / 1e3 / n, gc, clientGc,
        (double) (s1.serverThreadsBytes() - s0.serverThreadsBytes()) / n, (double) (s1.jvmBytes() - s0.jvmBytes()) / n,
        (s1.gcCount() - s0.gcCount()) * 10_000.0 / n);
  }

  /** The gRPC server's network threads (grpc-java's shared event loop; the client has its own). */
  static final String SERVER_THREADS = "grpc-default-worker";
  static final String CLIENT_THREADS = "bench-client";

  /** CPU time of the live threads whose name starts with {@code prefix}. */
  private static long threadCpuNanos(String prefix) {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null && info.getThreadName().startsWith(prefix)) {
        long t = threads.getThreadCpuTime(info.getThreadId());
        sum += Math.max(0, t);
      }
    }
    return sum;
  }

  /**
   * Bytes allocated so far by the live threads whose name starts with {@code prefix} ("" for all);
   * a thread that ended takes its count with it (the server's threads live through the run).
   */
  private static long threadAllocatedBytes(String prefix) {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null && info.getThreadName().startsWith(prefix)) {
        sum += Math.max(0, threads.getThreadAllocatedBytes(info.getThreadId()));
      }
    }
    return sum;
  }

  private static long gcCount() {
    long sum = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      sum += Math.max(0, gc.getCollectionCount());
    }
    return sum;
  }

  private static long gcMillis() {
    long sum = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      sum += Math.max(0, gc.getCollectionTime());
    }
    return sum;
  }

  /**
   * Check over a channel with the request already serialized: the client sends the bytes of a
   * pre-built {@link CheckRequest} (what the server parses is the same), so its CPU per check is the
   * transport's and the response's parse, not the request's protobuf encoding.
   */
  static final io.grpc.MethodDescriptor<byte[], CheckResponse> RAW_CHECK = AuthorizationGrpc.getCheckMethod().toBuilder(
      new io.grpc.MethodDescriptor.Marshaller<byte[]>() {
        @Override
        public java.io.InputStream stream(byte[] value) {
          return new java.io.ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(java.io.InputStream stream) {
          throw new UnsupportedOperationException("the client only sends requests");
        }
      }, AuthorizationGrpc.getCheckMethod().getResponseMarshaller()).build();

  /** The client's own event loop: epoll where Netty has it (as grpc-java's default), else NIO. */
  private record ClientLoop(io.grpc.netty.shaded.io.netty.channel.EventLoopGroup group,
      Class<? extends io.grpc.netty.shaded.io.netty.channel.Channel> channelType) {
    static ClientLoop create(int threads) {
      var factory = new io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory(CLIENT_THREADS, true);
      if (io.grpc.netty.shaded.io.netty.channel.epoll.Epoll.isAvailable()) {
        return new ClientLoop(new io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup(threads, factory),
            io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel.class);
      }
      return new ClientLoop(new io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup(threads, factory),
          io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel.class);
    }
  }

  /** One in-flight slot: sends the next request of the pool when the previous one is answered. */
  /** The figures into $BDK_BENCH_DIR/check.jsonl for BENCHMARKS.md (nothing when unset). */
  private static void record(Settings settings, List<Result> results, boolean jetStream, Server where) {
    // the two states are separate benchmarks: issue 12's Check row reads the in-memory one
    String name = jetStream ? "check-jetstream" : "check";
    String prefix = jetStream ? "check_jetstream." : "check.";
    try (BenchFigures figures = BenchFigures.open(name, jetStream
        ? "ext-authz Check API per scheme, replay and rate-limit state in NATS JetStream key-value"
        : "ext-authz Check API per scheme")) {
      figures.note(String.format("loopback gRPC (no TLS), 1 KiB body, %d HTTP/2 connections, %d calls in flight, %.1f s per scheme"
          + " after warm-up rounds of %.1f s per scheme until the JIT settled; state: %s; server: %s", settings.connections(),
          settings.inFlight(), settings.seconds(), settings.warmupSeconds(), jetStream ? "JetStream key-value on a local nats-server" : "memory",
          where.separate() ? "its own JVM (" + String.join(" ", where.jvmOptions()) + ")" : "in the benchmark's JVM"));
      for (Result r : results) {
        Map<String, String> labels = Map.of("scheme", r.scheme());
        figures.figure(prefix + "checks_per_s", labels, r.scheme() + " checks/s", r.perSecond(), "checks/s",
            BenchFigures.Target.atLeast(TARGET_CHECKS_PER_SECOND));
        figures.figure(prefix + "p99_ms", labels, r.scheme() + " p99", r.p99Millis(), "ms", BenchFigures.Target.below(TARGET_P99_MILLIS));
        figures.figure(prefix + "cpu_us", labels, r.scheme() + " CPU per check", r.cpuMicrosPerCheck(), "us", null);
        figures.figure(prefix + "server_us", labels, r.scheme() + " CPU per check on the server's network threads",
            r.serverMicrosPerCheck(), "us", null);
        figures.figure(prefix + "client_us", labels, r.scheme() + " CPU per check on the benchmark client's threads",
            r.clientMicrosPerCheck(), "us", null);
        figures.figure(prefix + "gc_ms", labels, r.scheme() + " the server JVM's GC time in the measured window", r.gcMillis(), "ms", null);
        figures.figure(prefix + "client_gc_ms", labels, r.scheme() + " the client JVM's GC time in the measured window", r.clientGcMillis(),
            "ms", null);
        figures.figure(prefix + "server_alloc_bytes", labels, r.scheme() + " bytes allocated per check on the server's network threads",
            r.serverBytesPerCheck(), "B", null);
        figures.figure(prefix + "server_jvm_alloc_bytes", labels, r.scheme() + " bytes allocated per check by all the server JVM's threads",
            r.serverJvmBytesPerCheck(), "B", null);
        figures.figure(prefix + "gcs_per_10k", labels, r.scheme() + " the server JVM's collections per 10,000 checks",
            r.gcsPer10kChecks(), "GCs", null);
        figures.figure(prefix + "jit_pct", labels, r.scheme() + " JIT share of the CPU", r.jitShare() * 100, "%", null);
        if (jetStream) {
          figures.figure(prefix + "nats_msgs", labels, r.scheme() + " NATS messages sent per check", r.natsMessagesPerCheck(), "msgs", null);
        }
      }
    }
  }

  private static final class Caller implements StreamObserver<CheckResponse> {
    private final ManagedChannel stub;
    private final List<byte[]> pool;
    private final long[] latencies;
    private final AtomicInteger next;
    private final AtomicInteger done;
    private final AtomicLong denied;
    private final long deadline;
    private final CountDownLatch finished;
    private long sentAt;

    Caller(ManagedChannel stub, List<byte[]> pool, long[] latencies, AtomicInteger next,
        AtomicInteger done, AtomicLong denied, long deadline, CountDownLatch finished) {
      this.stub = stub;
      this.pool = pool;
      this.latencies = latencies;
      this.next = next;
      this.done = done;
      this.denied = denied;
      this.deadline = deadline;
      this.finished = finished;
    }

    void send() {
      int i;
      if (System.nanoTime() >= deadline || (i = next.getAndIncrement()) >= pool.size()) {
        finished.countDown();
        return;
      }
      sentAt = System.nanoTime();
      io.grpc.stub.ClientCalls.asyncUnaryCall(stub.newCall(RAW_CHECK, io.grpc.CallOptions.DEFAULT), pool.get(i), this);
    }

    @Override
    public void onNext(CheckResponse response) {
      long latency = System.nanoTime() - sentAt;
      latencies[done.getAndIncrement()] = latency;
      if (!response.hasOkResponse()) {
        denied.incrementAndGet();
      }
    }

    @Override
    public void onError(Throwable t) {
      denied.incrementAndGet();
      send();
    }

    @Override
    public void onCompleted() {
      send();
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** {@code count} signed unique requests, serialized. */
  private static List<byte[]> requests(String scheme, String phase, int count) {
    Map<String, String> context = new HashMap<>();
    context.put(WebhookAuthContext.SCHEME, scheme);
    context.put(WebhookAuthContext.SECRET_NAMESPACE, "customer-bench");
    context.put(WebhookAuthContext.SECRET_NAME, "bench-credentials");
    context.put(WebhookAuthContext.SECRET_KEY, "secret");
    String endpointPrefix = "bench-" + scheme + "-" + phase + "-" + System.nanoTime() + "-";
    context.put(WebhookAuthContext.RATE_PER_SECOND, Double.toString(WebhookLimits.MAX_REQUESTS_PER_SECOND));
    context.put(WebhookAuthContext.BURST, Integer.toString(WebhookLimits.MAX_BURST));
    context.put(WebhookAuthContext.ROUTED_TO, "customer-bench/book");
    context.put(WebhookAuthContext.HMAC_HEADER, "X-Signature");
    var signer = Schemes.byName(scheme, context);
    List<byte[]> requests = new ArrayList<>(count);
    Instant now = Instant.now();
    for (int i = 0; i < count; i++) {
      byte[] body = body(i);
      AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
          .setMethod("POST").setPath("/api/v1/webhooks/bench/" + scheme)
          .putHeaders("content-type", "application/json")
          .setRawBody(ByteString.copyFrom(body));
      for (Header h : signer.sign(new SigningInput(body, SECRET, now, "evt-" + phase + "-" + i))) {
        http.putHeaders(h.name().toLowerCase(), h.value());
      }
      // Never more than a burst per endpoint: nothing is refused for rate.
      String endpoint = endpointPrefix + (i / (WebhookLimits.MAX_BURST / 2));
      requests.add(CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
          .setRequest(AttributeContext.Request.newBuilder().setHttp(http))
          .putAllContextExtensions(context).putContextExtensions(WebhookAuthContext.ENDPOINT_KEY, endpoint)).build().toByteArray());
    }
    return requests;
  }

  /** A 1 KiB JSON body, unique per index. */
  private static byte[] body(int i) {
    StringBuilder sb = new StringBuilder(1024).append("{\"event\":\"bench\",\"seq\":").append(i).append(",\"pad\":\"");
    while (sb.length() < 1022) {
      sb.append('x');
    }
    return sb.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
  }
}
