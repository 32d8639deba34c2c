package io.voyager.bdk.local.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.voyager.bdk.extauthz.scheme.GitHubScheme;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.local.AdsApiType;
import io.voyager.bdk.local.Component;
import io.voyager.bdk.local.EnvoyAdmin;
import io.voyager.bdk.local.EnvoyBinary;
import io.voyager.bdk.local.EnvoyProcess;
import io.voyager.bdk.local.LocalStack;
import io.voyager.bdk.local.PinnedConnection;
import io.voyager.bdk.local.ProjectRoot;
import io.voyager.bdk.local.StackPorts;
import io.voyager.bdk.local.XdsServerProcess;
import io.voyager.bdk.model.BdkRoles;
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
import io.voyager.bdk.support.JdkHttpServers;
import io.voyager.bdk.support.ParsingConverter;
import io.voyager.bdk.support.auth.DevIssuer;
import io.voyager.bdk.support.bench.BenchFigures;
import io.voyager.bdk.xds.server.DeltaAds;
import io.voyager.bdk.xds.translate.RouteLayout;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
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
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmark (not a test) of convergence at scale (issue 12 item 3): how long one book's change
 * takes from its write to the Kubernetes API until a real Envoy serves it, with N books already
 * routed, while webhooks and REST keep flowing to routes that do not change.
 *
 * <p>It starts the local stack on ephemeral loopback ports (embedded API, ext-authz,
 * library-service, the xds-server in its own JVM unless {@code --no-xds-process}, one Envoy plus
 * {@code --envoys} − 1 more on the same xds-server), publishes N books (one Service +
 * EndpointSlice and one GitHub webhook each, spread over the demo customer namespaces; every
 * Service points at one shared in-process backend), waits until every Envoy serves them (a sample
 * of {@code --load-samples} books spread over the N, the last one written among them, and the
 * steady book, each answering an unsigned probe with ext-authz's 401 on every Envoy), then makes
 * single changes in turn — <b>add</b> a book (its Service first, as a controller would),
 * <b>change</b> one (its integration renamed: the new path must serve), <b>remove</b> one (its path
 * must answer 404) — and times each from the API call until the public path answers as it should
 * <em>on each Envoy</em>: a signed webhook answered 2xx by the book's backend after an add or a
 * change (route, ext-authz's view of the book, cluster and endpoints all there), an unsigned probe
 * answered 404 after a remove. Each Envoy is asked on its own kept-alive connection
 * ({@link PinnedConnection}; the Envoys share the listener port), every millisecond or so. Envoys
 * load webhook scopes on demand, so no Envoy holds every route configuration and xDS versions are
 * not compared: a probe is what a client sees, on-demand fetch included. Meanwhile a paced load
 * generator posts signed webhooks to a steady book and GETs {@code /api/v1/books} with a token,
 * counting every non-2xx answer.
 *
 * <p>Per change it also reads what the first Envoy received on its ADS connection
 * ({@code cluster.xds_cluster.upstream_cx_rx_bytes_total}: the TLS bytes of the push). At the end:
 * each Envoy's RSS and heap, the xds-server's heap after a full GC and its CPU during the load and
 * the changes (its own process; with {@code --no-xds-process} the stack JVM's, an upper bound).
 * Run: {@code make bench-convergence} ({@code CONVERGENCE_ARGS}, {@code --help}).
 */
@Command(name = "convergence-benchmark", mixinStandardHelpOptions = true,
    description = "Book change → served by a real Envoy, with N books routed and load on unchanged routes (not a test).")
public final class ConvergenceBenchmark implements Callable<Integer> {
  private static final String SECRET_NAME = "bench-steady-credentials";
  private static final String SECRET_KEY = "github";
  private static final String STEADY_BOOK = "bench-steady";
  private static final int STEADY_INTEGRATIONS = 8;
  /** Connections the load generator spreads its requests over. */
  static final int LOAD_CONNECTIONS = 8;
  private List<EnvoyAdmin> envoyAdmins = List.of();
  private int listenerPort;
  /** One kept-alive connection per Envoy, in the order of {@link #envoyAdmins}. */
  private List<PinnedConnection> pinned = List.of();
  /** One thread per Envoy for {@link #measure}'s probes. */
  private ExecutorService probers;
  /** The books' webhook secret (signed probes). */
  private String webhookSecret;
  /** The xds-server's CPU seconds while the N books were written and served (NaN in the stack's JVM). */
  private double loadXdsCpu = Double.NaN;
  /** The whole route configuration at 10,000 books before issue 12 (its "before" row). */
  static final double BEFORE_BYTES = 15.7e6;

  @Option(names = "--books", description = "Books routed before the changes. Default: ${DEFAULT-VALUE}.")
  int books = 10_000;

  @Option(names = "--changes", description = "Single changes measured (add, change, remove in turn). Default: ${DEFAULT-VALUE}.")
  int changes = 300;

  @Option(names = "--load-rate", description = "Requests per second on unchanged routes (webhooks and REST alternate); 0 = none."
      + " Default: ${DEFAULT-VALUE}.")
  int loadRate = 100;

  @Option(names = "--converge-timeout", description = "Longest wait for one change, seconds. Default: ${DEFAULT-VALUE}.")
  int convergeTimeoutSeconds = 60;

  @Option(names = "--load-timeout", description = "Longest wait for the N books to be served, seconds. Default: ${DEFAULT-VALUE}.")
  int loadTimeoutSeconds = 1800;

  @Option(names = "--load-samples", description = "Books (spread over the N, the last written among them) that must answer on"
      + " every Envoy before loading counts as done. Default: ${DEFAULT-VALUE}.")
  int loadSamples = 20;

  @Option(names = "--envoys", description = "Real Envoys on the one xds-server (the stack's and more, each its own node id;"
      + " they share the listener port by SO_REUSEPORT). Default: ${DEFAULT-VALUE}.")
  int envoys = 1;

  @Option(names = "--xds-process", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Run the xds-server in its own JVM, so its heap and CPU are its own (--no-xds-process: in the stack's JVM)."
          + " Default: ${DEFAULT-VALUE}.")
  boolean xdsProcess = true;

  @Option(names = "--xds-heap", description = "The xds-server JVM's -Xmx when --xds-process. Default: ${DEFAULT-VALUE}.")
  String xdsHeap = "1g";

  @Option(names = "--route-layout", paramLabel = "scoped|single", converter = RouteLayoutConverter.class,
      description = "The xds-server's route layout: scoped (one route configuration per webhook path) or single (one for every"
          + " route). Default: scoped, the gateway's default.")
  RouteLayout routeLayout = RouteLayout.SCOPED;

  @Option(names = "--ads-api", paramLabel = "DELTA_GRPC|GRPC",
      description = "Every Envoy's ADS protocol: DELTA_GRPC (delta xDS) or GRPC (state of the world; needs --route-layout single)."
          + " Default: ${DEFAULT-VALUE}, the gateway's default.")
  AdsApiType adsApi = AdsApiType.DELTA_GRPC;

  @Option(names = "--held-books-limit", paramLabel = "N", defaultValue = DeltaAds.DEFAULT_HELD_BOOKS_LIMIT,
      description = "The xds-server's --held-books-limit (books each Envoy holds loaded on demand; 0: no bound)."
          + " Default: ${DEFAULT-VALUE}, the xds-server's default.")
  int heldBooksLimit = Integer.parseInt(DeltaAds.DEFAULT_HELD_BOOKS_LIMIT);

  @Option(names = "--debounce-ms", paramLabel = "MS",
      description = "The xds-server's --debounce-ms (quiet period that coalesces events following a rebuild)."
          + " Default: the xds-server's default.")
  Long debounceMs;

  static final class RouteLayoutConverter extends ParsingConverter<RouteLayout> {
    RouteLayoutConverter() {
      super(RouteLayout::parse);
    }
  }

  /**
   * The xds-server's flags for the run. Every request here comes from 127.0.0.1: the
   * per-client-address limit (50/s by default) would answer the load and the probes 429 and
   * measure nothing, so it is lifted.
   */
  List<String> xdsArgs() {
    List<String> args = new ArrayList<>(List.of("--webhook-client-rate", "100000", "--webhook-client-burst", "100000",
        "--held-books-limit", Integer.toString(heldBooksLimit)));
    if (debounceMs != null) {
      args.addAll(List.of("--debounce-ms", Long.toString(debounceMs)));
    }
    return args;
  }

  /** How the figures are labelled: the route layout and the ADS protocol, e.g. {@code scoped+delta}. */
  String setupLabel() {
    return routeLayout.flagValue() + "+" + (adsApi == AdsApiType.DELTA_GRPC ? "delta" : "sotw");
  }

  /**
   * One measured change: {@code envoyMillis[i]} until Envoy i answered the changed book's path as it
   * should ({@link #served}); {@code servedMillis} the latest of them; {@code transients} the
   * answers that were neither the old state nor the new one (e.g. {@code 503}), in order.
   */
  record Change(String kind, double[] envoyMillis, long bytes, List<String> transients) {
    double servedMillis() {
      double slowest = Double.NaN;
      for (double ms : envoyMillis) {
        slowest = Double.isNaN(slowest) ? ms : Math.max(slowest, ms);
      }
      return slowest;
    }

    double envoyMillis(int i) {
      return envoyMillis[i];
    }

    /** Probes of this change an Envoy held without an answer for {@link PinnedConnection#READ_TIMEOUT}. */
    long heldProbes() {
      return transients.stream().filter(t -> t.contains(":held>")).count();
    }
  }

  public static void main(String[] args) {
    JdkHttpServers.tune();
    System.exit(new CommandLine(new ConvergenceBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (books < 1 || changes < 3 || loadRate < 0 || envoys < 1 || loadSamples < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--books must be >= 1, --changes >= 3, --load-rate >= 0, --envoys >= 1, --load-samples >= 1");
    }
    if (routeLayout == RouteLayout.SCOPED && adsApi != AdsApiType.DELTA_GRPC) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--route-layout scoped needs --ads-api DELTA_GRPC (route scopes are served over delta xDS only)");
    }
    Path runDir = Files.createTempDirectory("bdk-convergence-bench");
    List<String> namespaces = LocalStack.SEED_CUSTOMER_NAMESPACES;
    String secret = "bench-" + UUID.randomUUID();
    webhookSecret = secret;
    XdsServerProcess xds = xdsProcess ? new XdsServerProcess(runDir.resolve("xds-server.log"), List.of("-Xmx" + xdsHeap)) : null;
    LocalStack.Builder builder = LocalStack.builder()
        .ports(StackPorts.ephemeral())
        .runDir(runDir)
        .projectRoot(ProjectRoot.get())
        .nodeId("bench-convergence")
        .routeLayout(routeLayout)
        .adsApiType(adsApi)
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .serviceArgs(Component.XDS, xdsArgs().toArray(String[]::new))
        .envoyTimeout(Duration.ofSeconds(120));
    if (xds != null) {
      builder.starter(Component.XDS, xds);
    }
    List<EnvoyProcess> extraEnvoys = new ArrayList<>();
    try (LocalStack stack = builder.start();
        SampleBook backend = SampleBook.start(0, "bench-backend");
        AutoCloseable closeExtra = () -> extraEnvoys.forEach(EnvoyProcess::close);
        AutoCloseable closePinned = () -> pinned.forEach(PinnedConnection::close);
        AutoCloseable closeProbers = () -> {
          if (probers != null) {
            probers.shutdownNow();
          }
        }) {
      for (int e = 2; e <= envoys; e++) {
        extraEnvoys.add(EnvoyProcess.start(EnvoyBinary.locate(ProjectRoot.get()), stack.envoyBootstrap("bench-convergence-" + e),
            runDir.resolve("envoy-" + e), 1, List.of())
            .awaitReady(Duration.ofSeconds(120)));
      }
      List<EnvoyProcess> allEnvoys = new ArrayList<>(List.of(stack.envoy()));
      allEnvoys.addAll(extraEnvoys);
      List<EnvoyAdmin> admins = allEnvoys.stream().map(EnvoyProcess::admin).toList();
      envoyAdmins = admins;
      listenerPort = stack.ports().envoyListener();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      String gateway = stack.gatewayUrl();

      // Every book's webhook Secret (signed webhooks to the steady book → 2xx; the probes' unsigned
      // posts → 401 rather than a missing-Secret warning per probe).
      for (String ns : namespaces) {
        stack.kubernetes().resource(new SecretBuilder()
            .withNewMetadata().withNamespace(ns).withName(SECRET_NAME).endMetadata()
            .withData(Map.of(SECRET_KEY, Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8))))
            .build()).create();
      }
      stack.endpoints().publish(namespaces.get(0), STEADY_BOOK, "http", LocalStack.LOCALHOST, backend.port());
      List<String> steadyIntegrations = new ArrayList<>();
      for (int i = 0; i < STEADY_INTEGRATIONS; i++) {
        steadyIntegrations.add("steady-" + i);
      }
      stack.kubernetes().resource(book(namespaces.get(0), STEADY_BOOK, steadyIntegrations, backend.port())).create();

      // N books, then wait until the last one written is served.
      long loadStart = System.nanoTime();
      long xdsCpuAtLoad = xds == null ? 0 : CpuTime.processNanos(xds.pid());
      for (int i = 0; i < books; i++) {
        String ns = namespaces.get(i % namespaces.size());
        String name = "bench-book-" + i;
        stack.endpoints().publish(ns, name, "http", LocalStack.LOCALHOST, backend.port());
        stack.kubernetes().resource(book(ns, name, List.of("github"), backend.port())).create();
        if ((i + 1) % 1000 == 0) {
          System.out.printf("%,d books written (%.0f s)%n", i + 1, (System.nanoTime() - loadStart) / 1e9);
        }
      }
      // Loaded: on every Envoy, on its own connection, a sample of the N books (the last written
      // among them) and every steady route answer an unsigned probe with ext-authz's 401.
      pinned = PinnedConnection.pinEach(admins, LocalStack.LOCALHOST, listenerPort, Duration.ofSeconds(60));
      probers = Executors.newFixedThreadPool(pinned.size(), r -> {
        Thread t = new Thread(r, "bench-probe");
        t.setDaemon(true);
        return t;
      });
      List<String> loadedPaths = new ArrayList<>();
      for (int i : loadSamples(books, loadSamples)) {
        loadedPaths.add(WebhookRoutes.publicPath(namespaces.get(i % namespaces.size()), "bench-book-" + i, "github"));
      }
      for (String integration : steadyIntegrations) {
        loadedPaths.add(WebhookRoutes.publicPath(namespaces.get(0), STEADY_BOOK, integration));
      }
      long loadDeadline = loadStart + Duration.ofSeconds(loadTimeoutSeconds).toNanos();
      for (PinnedConnection envoy : pinned) {
        for (String path : loadedPaths) {
          await("Envoy " + (envoy.envoy() + 1) + " serves " + path).atMost(Duration.ofNanos(Math.max(1_000_000, loadDeadline - System.nanoTime())))
              .pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> routed(unsignedProbe(envoy, path)));
        }
      }
      double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
      loadXdsCpu = xds == null ? Double.NaN : (CpuTime.processNanos(xds.pid()) - xdsCpuAtLoad) / 1e9;
      System.out.printf("%,d books written and served in %.0f s%s%n", books, loadSeconds,
          xds == null ? "" : String.format(Locale.ROOT, " (xds-server CPU %.1f s)", loadXdsCpu));

      String token = stack.issuer().mint(new DevIssuer.TokenRequest("bench", null, List.of(BdkRoles.PLATFORM_ADMIN.claimValue()),
          Duration.ofHours(4), Instant.now()), DevIssuer.Algorithm.RS256);
      await("library REST served").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> http.send(restRequest(gateway, token), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);

      LoadGenerator load = new LoadGenerator(http, gateway, namespaces.get(0), steadyIntegrations, secret, token, loadRate);
      List<Change> measured = new ArrayList<>();
      var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpuBefore = os.getProcessCpuTime();
      long xdsCpuBefore = xds == null ? 0 : CpuTime.processNanos(xds.pid());
      long changesStart = System.nanoTime();
      load.start();
      try {
        int added = 0;
        int next = 0; // the next of the N books to change or remove (each at most once)
        for (int c = 0; c < changes; c++) {
          String ns;
          String name;
          switch (c % 3) {
            case 0 -> { // add
              ns = namespaces.get(added % namespaces.size());
              name = "bench-added-" + added++;
              stack.endpoints().publish(ns, name, "http", LocalStack.LOCALHOST, backend.port());
              String path = WebhookRoutes.publicPath(ns, name, "github");
              long before = rxBytes(stack);
              long t0 = System.nanoTime();
              stack.kubernetes().resource(book(ns, name, List.of("github"), backend.port())).create();
              measured.add(measure("add", path, t0, stack, before));
            }
            case 1 -> { // change: the integration renamed, the new path must serve
              int i = next++;
              ns = namespaces.get(i % namespaces.size());
              name = "bench-book-" + i;
              String path = WebhookRoutes.publicPath(ns, name, "renamed");
              long before = rxBytes(stack);
              long t0 = System.nanoTime();
              stack.kubernetes().resource(book(ns, name, List.of("renamed"), backend.port())).update();
              measured.add(measure("change", path, t0, stack, before));
            }
            default -> { // remove
              int i = next++;
              ns = namespaces.get(i % namespaces.size());
              name = "bench-book-" + i;
              String path = WebhookRoutes.publicPath(ns, name, "github");
              long before = rxBytes(stack);
              long t0 = System.nanoTime();
              stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(ns).withName(name).delete();
              measured.add(measure("remove", path, t0, stack, before));
            }
          }
        }
      } finally {
        load.stop();
      }
      double changeSeconds = (System.nanoTime() - changesStart) / 1e9;
      double cpuSeconds = xds == null ? (os.getProcessCpuTime() - cpuBefore) / 1e9
          : (CpuTime.processNanos(xds.pid()) - xdsCpuBefore) / 1e9;
      Memory memory = Memory.read(allEnvoys, xds);
      print(System.out, measured, load, memory, loadSeconds, changeSeconds, cpuSeconds);
      record(measured, load, memory, loadSeconds, changeSeconds, cpuSeconds);
    }
    return 0;
  }

  /**
   * Probes the changed book's {@code path} on every Envoy at once, each on its own connection from
   * its own thread (an Envoy that holds a request must not delay the others' probes), about a
   * millisecond apart, until each answers as it should ({@link #served}); per Envoy the time of its
   * first such answer. A probe left unanswered for {@link PinnedConnection#READ_TIMEOUT} is
   * reported ({@code held}) and probing goes on on a new connection.
   */
  private Change measure(String kind, String path, long t0, LocalStack stack, long rxBefore) throws Exception {
    long deadline = t0 + Duration.ofSeconds(convergeTimeoutSeconds).toNanos();
    List<String> transients = Collections.synchronizedList(new ArrayList<>());
    List<Future<Double>> perEnvoyFutures = new ArrayList<>();
    for (PinnedConnection envoy : pinned) {
      perEnvoyFutures.add(probers.submit(() -> probeUntilServed(kind, path, envoy, t0, deadline, transients)));
    }
    double[] perEnvoy = new double[pinned.size()];
    for (int e = 0; e < perEnvoy.length; e++) {
      try {
        perEnvoy[e] = perEnvoyFutures.get(e).get();
      } catch (ExecutionException ex) {
        throw new IllegalStateException(ex.getCause().getMessage(), ex.getCause());
      }
    }
    long bytes = settledRxBytes(stack) - rxBefore;
    List<String> others;
    synchronized (transients) {
      others = List.copyOf(transients);
    }
    Change change = new Change(kind, perEnvoy, bytes, others);
    StringBuilder perEnvoyText = new StringBuilder();
    if (perEnvoy.length > 1) {
      for (int e = 0; e < perEnvoy.length; e++) {
        perEnvoyText.append(e == 0 ? " (" : ", ").append(String.format(Locale.ROOT, "envoy-%d %.0f ms", e + 1, perEnvoy[e]));
      }
      perEnvoyText.append(')');
    }
    System.out.printf(Locale.ROOT, "%s %s: %.0f ms%s, %,d bytes%s%n", kind, path.substring(path.lastIndexOf('/') + 1),
        change.servedMillis(), perEnvoyText, bytes, others.isEmpty() ? "" : ", other answers " + others);
    return change;
  }

  /** One Envoy's side of {@link #measure}: milliseconds from {@code t0} until {@code envoy} answered as it should. */
  private double probeUntilServed(String kind, String path, PinnedConnection envoy, long t0, long deadline,
      List<String> transients) {
    String name = "envoy-" + (envoy.envoy() + 1);
    String last = "none";
    while (System.nanoTime() < deadline) {
      int status;
      try {
        status = kind.equals("remove") ? unsignedProbe(envoy, path) : signedProbe(envoy, path);
      } catch (java.net.SocketTimeoutException ex) {
        last = "held";
        transients.add(String.format(Locale.ROOT, "%s:held>%ds@%.0fms", name, PinnedConnection.READ_TIMEOUT.toSeconds(),
            (System.nanoTime() - t0) / 1e6));
        continue;
      } catch (java.io.IOException ex) {
        last = ex.getClass().getSimpleName();
        if (transients.size() < 30) {
          transients.add(name + ":" + last);
        }
        LockSupport.parkNanos(1_000_000);
        continue;
      }
      if (served(kind, status)) {
        return (System.nanoTime() - t0) / 1e6;
      }
      last = Integer.toString(status);
      if (!unchanged(kind, status) && transients.size() < 30) {
        transients.add(name + ":" + status);
      }
      LockSupport.parkNanos(1_000_000);
    }
    throw new IllegalStateException("the " + kind + " of " + path + " was not served by " + name + " within "
        + convergeTimeoutSeconds + " s; its last answer " + last);
  }

  /**
   * Whether a probe's {@code status} shows the change of {@code kind} served on that Envoy: after
   * an add or a change the signed webhook reached the book's backend (2xx: route, ext-authz's view
   * of the book and its Secret, cluster and endpoints all there); after a remove the unsigned probe
   * finds no route (404).
   */
  static boolean served(String kind, int status) {
    return switch (kind) {
      case "add", "change" -> status >= 200 && status <= 299;
      case "remove" -> status == 404;
      default -> throw new IllegalArgumentException("unknown change " + kind);
    };
  }

  /**
   * Whether {@code status} is what the probe gets while the change of {@code kind} has not reached
   * that Envoy: no such path yet (404) for an add or a change, ext-authz's 401 to the unsigned
   * probe of the still-routed book for a remove. Any other answer is reported as a transient one.
   */
  static boolean unchanged(String kind, int status) {
    return switch (kind) {
      case "add", "change" -> status == 404;
      case "remove" -> status == 401;
      default -> throw new IllegalArgumentException("unknown change " + kind);
    };
  }

  /** Whether an unsigned probe's {@code status} shows its book routed on that Envoy: ext-authz's 401. */
  static boolean routed(int status) {
    return status == 401;
  }

  /**
   * Which of the N books ({@code 0..books-1}, written in that order) loading waits for on every
   * Envoy: {@code samples} spread evenly, the first and the last written always among them, each
   * once, in ascending order.
   */
  static int[] loadSamples(int books, int samples) {
    if (books < 1 || samples < 1) {
      throw new IllegalArgumentException("books and samples must be >= 1");
    }
    TreeSet<Integer> picked = new TreeSet<>();
    picked.add(books - 1);
    if (samples > 1) {
      for (int s = 0; s < samples - 1; s++) {
        picked.add((int) ((long) s * (books - 1) / (samples - 1)));
      }
    }
    return picked.stream().mapToInt(Integer::intValue).toArray();
  }

  private static final List<String[]> JSON_CONTENT = List.<String[]>of(new String[] {"content-type", "application/json"});

  /** An unsigned POST of {@code {}} to {@code path} on the Envoy of {@code envoy}: 401 while routed, 404 once not. */
  private static int unsignedProbe(PinnedConnection envoy, String path) throws java.io.IOException {
    return envoy.send("POST", path, JSON_CONTENT, "{}".getBytes(StandardCharsets.UTF_8));
  }

  /** A GitHub webhook to {@code path}, signed with the books' secret, on the Envoy of {@code envoy}: 2xx once served. */
  private int signedProbe(PinnedConnection envoy, String path) throws java.io.IOException {
    byte[] body = ("{\"action\":\"opened\",\"probe\":\"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
    List<String[]> headers = new ArrayList<>(JSON_CONTENT);
    for (Header h : new GitHubScheme().sign(new SigningInput(body, webhookSecret, Instant.now(), UUID.randomUUID().toString()))) {
      headers.add(new String[] {h.name(), h.value()});
    }
    return envoy.send("POST", path, headers, body);
  }

  /** Bytes Envoy has received from the xds-server (ADS over TLS), from its own cluster stats. */
  private static long rxBytes(LocalStack stack) {
    return stack.envoy().admin().statOrZero("cluster.xds_cluster.upstream_cx_rx_bytes_total");
  }

  /**
   * The received-bytes counter once it stops moving (the admin endpoint reads the counter live; a
   * push may still be arriving right after the path serves, e.g. endpoints after routes): read
   * until two reads 50 ms apart agree.
   */
  private static long settledRxBytes(LocalStack stack) {
    long previous = rxBytes(stack);
    for (int i = 0; i < 40; i++) {
      LockSupport.parkNanos(50_000_000);
      long now = rxBytes(stack);
      if (now == previous) {
        return now;
      }
      previous = now;
    }
    return previous;
  }

  private static ExternalBookDefinition book(String namespace, String name, List<String> integrations, int port) {
    ExternalBookDefinition book = new ExternalBookDefinition();
    book.getMetadata().setNamespace(namespace);
    book.getMetadata().setName(name);
    List<ExternalIntegration> hooks = integrations.stream().map(i -> new ExternalIntegration(i, "webhook", null,
        new Authentication("signature", "github", new SecretRef(SECRET_NAME, SECRET_KEY), null, null),
        new RateLimit(WebhookLimits.MAX_REQUESTS_PER_SECOND, WebhookLimits.MAX_BURST))).toList();
    book.setSpec(new ExternalBookDefinitionSpec("orders", "1.0.0", hooks, null, null, null, new ServiceRef(name, port), null));
    return book;
  }

  private static HttpRequest restRequest(String gateway, String token) {
    return HttpRequest.newBuilder(URI.create(gateway + "/api/v1/books?page_size=1")).timeout(Duration.ofSeconds(10))
        .header("authorization", "Bearer " + token).GET().build();
  }

  /**
   * Paced requests on routes no change touches: signed GitHub webhooks to the steady book's
   * integrations (round-robin, well under their rate limits) and REST list calls, alternating; one
   * caller thread, so a slow answer delays the next request instead of piling up.
   */
  static final class LoadGenerator {
    /**
     * Several clients, one connection each, used in turn: with several Envoys sharing the listener
     * port (SO_REUSEPORT) the kernel spreads connections over them, so the load reaches every Envoy
     * rather than the one a single kept-alive connection landed on.
     */
    private final List<HttpClient> clients;
    private final List<String> webhookUrls;
    private final String secret;
    private final HttpRequest rest;
    private final int rate;
    private final AtomicBoolean running = new AtomicBoolean();
    final AtomicLong webhooks = new AtomicLong();
    final AtomicLong webhookNon2xx = new AtomicLong();
    final AtomicLong restCalls = new AtomicLong();
    final AtomicLong restNon2xx = new AtomicLong();
    final List<String> firstFailures = Collections.synchronizedList(new ArrayList<>());
    private Thread thread;

    LoadGenerator(HttpClient http, String gateway, String namespace, List<String> integrations, String secret, String token, int rate) {
      List<HttpClient> all = new ArrayList<>(List.of(http));
      for (int c = 1; c < LOAD_CONNECTIONS; c++) {
        all.add(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build());
      }
      this.clients = List.copyOf(all);
      this.webhookUrls = integrations.stream().map(i -> gateway + WebhookRoutes.publicPath(namespace, STEADY_BOOK, i)).toList();
      this.secret = secret;
      this.rest = restRequest(gateway, token);
      this.rate = rate;
    }

    void start() {
      if (rate == 0) {
        return;
      }
      running.set(true);
      thread = new Thread(this::run, "bench-load");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      if (thread != null) {
        thread.join(Duration.ofSeconds(30).toMillis());
      }
    }

    private void run() {
      long interval = 1_000_000_000L / rate;
      long next = System.nanoTime();
      String run = UUID.randomUUID().toString();
      for (long i = 0; running.get(); i++) {
        next += interval;
        try {
          if (i % 2 == 0) {
            byte[] body = ("{\"action\":\"opened\",\"seq\":\"" + run + "-" + i + "\"}").getBytes(StandardCharsets.UTF_8);
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(webhookUrls.get((int) (i / 2 % webhookUrls.size()))))
                .timeout(Duration.ofSeconds(10)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            for (Header h : new GitHubScheme().sign(new SigningInput(body, secret, Instant.now(), UUID.randomUUID().toString()))) {
              request.header(h.name(), h.value());
            }
            HttpClient http = clients.get((int) (i % clients.size()));
            count(http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode(), webhooks, webhookNon2xx, "webhook");
          } else {
            HttpClient http = clients.get((int) (i % clients.size()));
            count(http.send(rest, HttpResponse.BodyHandlers.discarding()).statusCode(), restCalls, restNon2xx, "rest");
          }
        } catch (Exception e) {
          (i % 2 == 0 ? webhookNon2xx : restNon2xx).incrementAndGet();
          note("error " + e);
        }
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
    }

    private void count(int status, AtomicLong total, AtomicLong non2xx, String what) {
      total.incrementAndGet();
      if (status < 200 || status > 299) {
        non2xx.incrementAndGet();
        note(what + " " + status);
      }
    }

    private void note(String failure) {
      if (firstFailures.size() < 5) {
        firstFailures.add(failure);
      }
    }
  }

  /**
   * Memory at the end: each Envoy's RSS and heap; the xds-server's heap after a full GC (its own
   * JVM with --xds-process, else NaN) and the stack JVM's.
   */
  record Memory(double[] envoyRssMib, double[] envoyHeapMib, double xdsHeapMib, double jvmHeapMib) {
    static Memory read(List<EnvoyProcess> envoys, XdsServerProcess xds) throws Exception {
      double[] rss = new double[envoys.size()];
      double[] heap = new double[envoys.size()];
      for (int i = 0; i < envoys.size(); i++) {
        rss[i] = Double.NaN;
        Path status = Path.of("/proc", Long.toString(envoys.get(i).pid()), "status");
        if (Files.exists(status)) {
          for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
              rss[i] = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
          }
        }
        heap[i] = envoys.get(i).admin().json("/memory").path("heap_size").asDouble() / (1 << 20);
      }
      System.gc();
      double jvm = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (double) (1 << 20);
      return new Memory(rss, heap, xds == null ? Double.NaN : xds.heapAfterGcMib(), jvm);
    }

    double largestRss() {
      return Arrays.stream(envoyRssMib).max().orElse(Double.NaN);
    }

    double largestHeap() {
      return Arrays.stream(envoyHeapMib).max().orElse(Double.NaN);
    }
  }

  static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static double[] sorted(List<Change> changes, String kind, ToDoubleFunction<Change> value) {
    return changes.stream().filter(c -> kind == null || c.kind().equals(kind)).mapToDouble(value).sorted().toArray();
  }

  private String table(List<Change> measured) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%-8s %7s %9s %9s %9s %9s %14s%n", "change", "count", "p50 ms", "p90 ms", "p99 ms",
        "max ms", "bytes p50"));
    for (String kind : new String[] {"add", "change", "remove", null}) {
      double[] ms = sorted(measured, kind, Change::servedMillis);
      double[] bytes = sorted(measured, kind, Change::bytes);
      out.append(String.format(Locale.ROOT, "%-8s %7d %9.1f %9.1f %9.1f %9.1f %,14.0f%n", kind == null ? "all" : kind, ms.length,
          percentile(ms, 50), percentile(ms, 90), percentile(ms, 99), ms.length == 0 ? Double.NaN : ms[ms.length - 1],
          percentile(bytes, 50)));
    }
    if (envoys > 1) {
      out.append("per Envoy (until its own connection answers as it should), all changes:\n");
      for (int e = 0; e < envoys; e++) {
        int envoy = e;
        double[] ms = sorted(measured, null, c -> c.envoyMillis(envoy));
        out.append(String.format(Locale.ROOT, "envoy-%-2d %7d %9.1f %9.1f %9.1f %9.1f%n", e + 1, ms.length, percentile(ms, 50),
            percentile(ms, 90), percentile(ms, 99), ms.length == 0 ? Double.NaN : ms[ms.length - 1]));
      }
    }
    return out.toString();
  }

  void print(PrintStream out, List<Change> measured, LoadGenerator load, Memory memory, double loadSeconds,
      double changeSeconds, double cpuSeconds) {
    out.println();
    out.printf("Convergence: %,d books routed (written and served in %.0f s), %d single changes, %d Envoy%s, route layout %s,"
        + " %s ADS%n", books, loadSeconds, measured.size(), envoys, envoys == 1 ? "" : "s", routeLayout.flagValue(),
        adsApi == AdsApiType.DELTA_GRPC ? "delta" : "state-of-the-world");
    out.print(table(measured));
    long held = measured.stream().mapToLong(Change::heldProbes).sum();
    long heldChanges = measured.stream().filter(c -> c.heldProbes() > 0).count();
    out.printf("probes of the changed path held without an answer for %d s: %d (in %d of %d changes)%n",
        PinnedConnection.READ_TIMEOUT.toSeconds(), held, heldChanges, measured.size());
    out.printf("load on unchanged routes: %,d webhooks (%d non-2xx), %,d REST calls (%d non-2xx)%s%n", load.webhooks.get(),
        load.webhookNon2xx.get(), load.restCalls.get(), load.restNon2xx.get(),
        load.firstFailures.isEmpty() ? "" : " first failures: " + load.firstFailures);
    for (int e = 0; e < envoys; e++) {
      long connections = envoyAdmins.get(e).statOrMinusOne(
          "listener." + LocalStack.LOCALHOST + "_" + listenerPort + ".downstream_cx_total");
      out.printf("Envoy %d: RSS %.0f MiB, heap %.0f MiB; %d connections on the gateway listener%n", e + 1,
          memory.envoyRssMib()[e], memory.envoyHeapMib()[e], connections);
    }
    if (xdsProcess) {
      out.printf("xds-server (own JVM, -Xmx%s): heap after GC %.1f MiB, CPU %.1f s over %.0f s of changes; stack JVM heap %.0f MiB%n",
          xdsHeap, memory.xdsHeapMib(), cpuSeconds, changeSeconds, memory.jvmHeapMib());
    } else {
      out.printf("stack JVM (xds-server and more): heap after GC %.0f MiB, CPU %.1f s over %.0f s of changes%n",
          memory.jvmHeapMib(), cpuSeconds, changeSeconds);
    }
  }

  private void record(List<Change> measured, LoadGenerator load, Memory memory, double loadSeconds, double changeSeconds,
      double cpuSeconds) {
    // One file per Envoy count, so make bench's 1- and 3-Envoy runs both reach the report.
    String benchmark = envoys == 1 ? "convergence" : "convergence-" + envoys + "-envoys";
    String title = "Convergence: one book's change → served by " + (envoys == 1 ? "Envoy" : "each of " + envoys + " Envoys");
    try (BenchFigures figures = BenchFigures.open(benchmark, title)) {
      figures.note(String.format(Locale.ROOT, "%,d books (one GitHub webhook each, one Service each, over %d namespaces),"
          + " written and served in %.0f s; %d single changes (add, change, remove in turn), each timed from the API call"
          + " until the public path answers as it should on every Envoy, each asked on its own connection (a signed webhook"
          + " answered 2xx after an add or a change, an unsigned probe answered 404 after a remove); %d requests/s on unchanged"
          + " routes; %d Envoy(s); route layout %s, ADS %s; xds-server --held-books-limit %d%s; stack on loopback",
          books, LocalStack.SEED_CUSTOMER_NAMESPACES.size(), loadSeconds, measured.size(), loadRate, envoys,
          routeLayout.flagValue(), adsApi, heldBooksLimit, debounceMs == null ? "" : " --debounce-ms " + debounceMs));
      figures.note("Bytes per change: what the first Envoy received on its ADS connection"
          + " (cluster.xds_cluster.upstream_cx_rx_bytes_total, TLS). "
          + (xdsProcess ? "Heap and CPU are the xds-server's own JVM (heap after a full GC, jcmd)."
              : "Heap and CPU are the whole stack JVM (embedded API server, xds-server, ext-authz, library-service): an upper"
                  + " bound for the xds-server."));
      figures.text(table(measured));
      Map<String, String> labels = Map.of("books", Integer.toString(books), "envoys", Integer.toString(envoys), "mode", setupLabel());
      double[] ms = sorted(measured, null, Change::servedMillis);
      double[] bytes = sorted(measured, null, Change::bytes);
      figures.figure("convergence.served_ms.p50", labels, "change → served, p50", percentile(ms, 50), "ms", null);
      figures.figure("convergence.served_ms.p90", labels, "change → served, p90", percentile(ms, 90), "ms", null);
      figures.figure("convergence.served_ms.p99", labels, "change → served, p99", percentile(ms, 99), "ms",
          BenchFigures.Target.below(250));
      for (String kind : List.of("add", "change", "remove")) {
        double[] kindMs = sorted(measured, kind, Change::servedMillis);
        figures.figure("convergence.served_ms." + kind + ".p50", labels, kind + " → served, p50", percentile(kindMs, 50), "ms", null);
        figures.figure("convergence.served_ms." + kind + ".p99", labels, kind + " → served, p99", percentile(kindMs, 99), "ms", null);
      }
      double bytesP50 = percentile(bytes, 50);
      figures.figure("convergence.bytes_per_change", labels, "bytes received by Envoy per change, p50", bytesP50, "bytes", null);
      figures.figure("convergence.bytes_per_change_pct", labels, "bytes per change, % of the whole route configuration before",
          100.0 * bytesP50 / BEFORE_BYTES, "%", BenchFigures.Target.below(1));
      figures.figure("convergence.envoy_rss_mib", labels, "Envoy RSS (the largest Envoy)", memory.largestRss(), "MiB",
          BenchFigures.Target.below(300));
      figures.figure("convergence.envoy_heap_mib", labels, "Envoy heap (admin /memory heap_size; the largest)", memory.largestHeap(),
          "MiB", null);
      if (xdsProcess) {
        figures.figure("convergence.xds_heap_mib", labels, "xds-server heap after GC (its own JVM)", memory.xdsHeapMib(), "MiB",
            BenchFigures.Target.below(256));
        figures.figure("convergence.xds_cpu_s", labels, "xds-server CPU during the changes (its own JVM)", cpuSeconds, "s", null);
      } else {
        figures.figure("convergence.xds_heap_mib", labels, "stack JVM heap after GC (xds-server and more)", memory.jvmHeapMib(), "MiB",
            BenchFigures.Target.below(256));
        figures.figure("convergence.xds_cpu_s", labels, "stack JVM CPU during the changes", cpuSeconds, "s", null);
      }
      if (xdsProcess) {
        figures.figure("convergence.xds_load_cpu_s", labels, "xds-server CPU while the N books were written and served", loadXdsCpu,
            "s", null);
      }
      figures.figure("convergence.non2xx", labels, "non-2xx on unchanged routes during the changes",
          load.webhookNon2xx.get() + load.restNon2xx.get(), "answers", BenchFigures.Target.exactly(0));
      figures.figure("convergence.held_probes", labels, "probes of the changed path held without an answer for "
          + PinnedConnection.READ_TIMEOUT.toSeconds() + " s", measured.stream().mapToLong(Change::heldProbes).sum(), "probes", null);
      figures.figure("convergence.load_seconds", labels, "N books written and served", loadSeconds, "s", null);
    }
  }
}
