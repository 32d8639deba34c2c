package io.voyager.bdk.local.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.server.DefaultExecutorGroup;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.controlplane.server.serializer.DefaultProtoResourcesSerializer;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.local.AdsApiType;
import io.voyager.bdk.local.EnvoyAdmin;
import io.voyager.bdk.local.EnvoyBinary;
import io.voyager.bdk.local.EnvoyBootstrap;
import io.voyager.bdk.local.EnvoyProcess;
import io.voyager.bdk.support.LoopbackPorts;
import io.voyager.bdk.support.bench.BenchFigures;
import io.voyager.bdk.xds.bench.TranslatorScaleBenchmark.SyntheticGateway;
import io.voyager.bdk.xds.model.EdgeSettings;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.server.AggregatedDiscoveryService;
import io.voyager.bdk.xds.server.DeltaAds;
import io.voyager.bdk.xds.server.NackHoldingConfigWatcher;
import io.voyager.bdk.xds.server.SnapshotPublisher;
import io.voyager.bdk.xds.server.SyncTracker;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.BookClusters;
import io.voyager.bdk.xds.translate.RouteLayout;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.translate.XdsTranslator;
import io.voyager.bdk.xds.version.XdsType;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Envoy's memory at N books without the whole stack: an in-process xds-server (the real
 * translator, snapshot publisher, java-control-plane's state-of-the-world server and our delta
 * server) serves N synthetic books ({@link SyntheticGateway}) to one real Envoy started from the
 * project's bootstrap ({@code envoy/bootstrap.yaml}, or {@code --bootstrap}); once Envoy has ACKed
 * every type and holds every cluster, it reads Envoy's RSS ({@code /proc/<pid>/status}), its
 * allocator ({@code /memory}: allocated, heap size) and how many stats it keeps ({@code /stats}),
 * per run (protocol + route layout) and book count. A fresh Envoy per point. Figures only.
 *
 * <p>The ADS connection here is plaintext loopback gRPC (the benchmark strips the bootstrap's
 * {@code xds_cluster} TLS; a client certificate costs Envoy nothing per book) and the gateway's own
 * services are reached in plaintext (no SDS files needed); everything per book is as deployed.
 */
@Command(
    name = "envoy-memory-benchmark",
    mixinStandardHelpOptions = true,
    description = "Envoy RSS, allocator and stats at N synthetic books, per xDS protocol and route layout (figures only).")
public final class EnvoyMemoryBenchmark implements Callable<Integer> {
  /** The node cluster the bootstrap names: the snapshot group Envoy is served from. */
  static final String GROUP = "bdk-gateway";

  @Option(names = "--books", split = ",", defaultValue = "1000,5000,10000", description = "book counts (default ${DEFAULT-VALUE})")
  List<Integer> bookCounts;

  @Option(names = "--runs", split = ",", defaultValue = "sotw+single,delta+single,delta+scoped",
      description = "protocol+layout runs: sotw+single, delta+single, delta+scoped (on-demand scopes and clusters), "
          + "delta+scoped-eager-clusters (on-demand scopes, every cluster at once), delta+scoped-eager (everything at once) "
          + "(default ${DEFAULT-VALUE})")
  List<String> runs;

  @Option(names = "--concurrency", defaultValue = "2", description = "Envoy worker threads (make run's default: ${DEFAULT-VALUE})")
  int concurrency;

  @Option(names = "--bootstrap", description = "an Envoy bootstrap to use instead of envoy/bootstrap.yaml (a variant to compare)")
  Path bootstrap;

  @Option(names = "--label", defaultValue = "default", description = "names this bootstrap/settings variant in the figures (default ${DEFAULT-VALUE})")
  String label;

  @Option(names = "--clusters-only", description = "serve only the clusters and their load assignments (no listeners, no routes): "
      + "what the clusters alone cost")
  boolean clustersOnly;

  @Option(names = "--hit-books", split = ",", defaultValue = "0,all",
      description = "after Envoy holds everything, POST once to the webhook of this many books (memory after "
          + "traffic), then measure; one point per value, \"all\" = every book. A value above 0 is measured only on "
          + "runs that load something on demand (delta+scoped, delta+scoped-eager-clusters): the others hold every "
          + "book before any request. With on-demand clusters ext_authz is made to fail open (no ext-authz runs here) "
          + "so that each request makes Envoy fetch its book's cluster (default ${DEFAULT-VALUE}: fresh, and with "
          + "every book called, the steady state of a gateway whose books all receive webhooks)")
  List<String> hitBooks;

  @Option(names = "--hit-passes", defaultValue = "1",
      description = "how many times each called book is POSTed to, every book in turn once per pass (default ${DEFAULT-VALUE})")
  int hitPasses = 1;

  @Option(names = "--hit-concurrency", defaultValue = "1", description = "concurrent callers of the hits (default ${DEFAULT-VALUE})")
  int hitConcurrency = 1;

  @Option(names = "--hit-upstream",
      description = "every book's endpoints one local HTTP server answering 200 and the other clusters' a closed local port "
          + "(ext_authz, failing open, is let through at once): the hits are real webhooks through Envoy, and per pass the "
          + "benchmark prints webhooks/s, p50/p99, answers other than 200, the share of requests whose book the held-books "
          + "bound reloaded and the in-process xds-server's CPU (its gRPC threads) per reload")
  boolean hitUpstream;

  @Option(names = "--cluster-variant", defaultValue = "deployed",
      description = "book clusters as translated (deployed), or a variant to compare their cost: no-metadata (without the "
          + "filter metadata), minimal (name and EDS only: no metadata, connect timeout or lb policy set), static (endpoints "
          + "inline, no EDS subscription), none (no book clusters or load assignments at all: what on-demand clusters (ODCDS) "
          + "would leave loaded before any traffic; routes then name clusters Envoy lacks) (default ${DEFAULT-VALUE})")
  String clusterVariant = "deployed";

  @Option(names = "--held-books-limit", split = ",", defaultValue = "0," + DeltaAds.DEFAULT_HELD_BOOKS_LIMIT,
      description = "the delta server's per-Envoy bound on books held (xds-server --held-books-limit; 0: off; the "
          + "xds-server's default is " + DeltaAds.DEFAULT_HELD_BOOKS_LIMIT + "), one point per value; a value above 0 only for points with books called on a run "
          + "that loads on demand, and below the book count (default ${DEFAULT-VALUE})")
  List<Integer> heldBooksLimits;

  @Option(names = "--settle-seconds", defaultValue = "5", description = "wait after Envoy holds everything, before reading memory (default ${DEFAULT-VALUE})")
  int settleSeconds;

  @Option(names = "--timeout-seconds", defaultValue = "900", description = "how long one Envoy may take to hold N books (default ${DEFAULT-VALUE})")
  int timeoutSeconds;

  public static void main(String[] args) {
    System.exit(new CommandLine(new EnvoyMemoryBenchmark()).execute(args));
  }

  record Point(String run, int books, int booksHit, int heldBooksLimit, int clusters, long rssKib, long allocated, long heapSize, long stats,
      long bookClusterStats, double loadSeconds, String load, int hit, long pageheapFree, List<WebhookPasses.Pass> passes) {}

  @Override
  public Integer call() throws Exception {
    for (String run : runs) {
      parseRun(run);
    }
    for (String value : hitBooks) {
      hitCount(value, 1);
    }
    if (concurrency < 1 || hitPasses < 1 || hitConcurrency < 1 || bookCounts.stream().anyMatch(n -> n < 1)) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--books, --concurrency, --hit-passes and --hit-concurrency must be 1 or more");
    }
    String template = bootstrap == null ? EnvoyBootstrap.template() : Files.readString(bootstrap);
    Path binary = EnvoyBinary.locate(projectRoot());
    Path work = Files.createTempDirectory("bdk-envoy-memory");
    System.out.printf(Locale.ROOT, "Envoy memory benchmark (figures only): variant %s, --concurrency %d, bootstrap %s%n",
        label, concurrency, bootstrap == null ? "envoy/bootstrap.yaml" : bootstrap);
    if (clustersOnly) {
      System.out.println("clusters and load assignments only (--clusters-only): no listeners, no routes");
    }
    List<Point> points = new ArrayList<>();
    for (int books : bookCounts) {
      for (String run : runs) {
        for (String value : hitBooks) {
          int hits = hitCount(value, books);
          if (hits > 0 && !loadsOnDemand(run)) {
            continue; // nothing to load: every book is held before any request
          }
          for (int limit : heldBooksLimits) {
            if (limit > 0 && (hits == 0 || limit >= books)) {
              continue; // the bound changes nothing: no book called, or fewer books than it allows
            }
            Point point = measure(binary, template,
                work.resolve(run.replace('+', '-') + "-" + books + "-hit-" + hits + "-limit-" + limit), run, books, hits, limit);
            points.add(point);
            print(point);
          }
        }
      }
    }
    record(points);
    return 0;
  }

  private void print(Point p) {
    System.out.printf(Locale.ROOT, "%-27s books %6d called %6d limit %5d clusters held %6d  RSS %6.1f MiB  allocated %6.1f MiB  heap %6.1f MiB (free %5.1f MiB)  "
            + "stats %8d (book clusters %8d)  held after %5.1f s  webhook route configs held %d  load %s%n",
        p.run(), p.books(), p.booksHit(), p.heldBooksLimit(), p.clusters(), p.rssKib() / 1024.0, p.allocated() / 1048576.0, p.heapSize() / 1048576.0, p.pageheapFree() / 1048576.0,
        p.stats(), p.bookClusterStats(), p.loadSeconds(), p.hit(), p.load());
    for (WebhookPasses.Pass pass : p.passes()) {
      ClosedLoop.Result r = pass.result();
      System.out.printf(Locale.ROOT, "  pass %d: %d webhooks, %.1f/s, p50 %.1f ms, p99 %.1f ms, reloaded %d (%.1f %%), "
              + "xds-server gRPC CPU %.0f ms (%.2f ms per reload), %s%n",
          pass.number(), r.requests(), r.perSecond(), r.p50Millis(), r.p99Millis(), pass.reloads(), 100 * pass.reloadShare(),
          pass.grpcCpuNanos() / 1e6, pass.grpcCpuMillisPerReload(), answers(r));
    }
  }

  /**
   * What a pass's answers say. With {@code --hit-upstream} every webhook must reach a backend (200);
   * without it the books have no backend to answer, so what Envoy answers is not the point (the
   * route configurations and clusters it loaded are): named so a reader does not take it for errors.
   */
  private String answers(ClosedLoop.Result r) {
    String summary = "not 200: " + r.unexpectedSummary();
    return hitUpstream || r.unexpected().isEmpty() ? summary
        : summary + " (expected without --hit-upstream: these books have no backend; the pass is there to load them)";
  }

  private void record(List<Point> points) {
    try (BenchFigures figures = BenchFigures.open("envoy_memory", "Envoy memory at N books (make bench-envoy-memory)")) {
      figures.note(String.format(Locale.ROOT, "in-process xds-server, synthetic books, one real Envoy (--concurrency %d), "
          + "bootstrap variant %s; a fresh Envoy per point", concurrency, label));
      for (Point p : points) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("books", Integer.toString(p.books()));
        labels.put("run", p.run().replace('+', '_'));
        labels.put("variant", label);
        labels.put("concurrency", Integer.toString(concurrency));
        if (p.booksHit() > 0) {
          labels.put("books_hit", Integer.toString(p.booksHit()));
        }
        if (p.heldBooksLimit() > 0) {
          labels.put("held_books_limit", Integer.toString(p.heldBooksLimit()));
        }
        labels.put("webhook_route_configs", Integer.toString(p.hit()));
        BenchFigures.Target target = p.books() >= 10_000 ? BenchFigures.Target.below(300) : null;
        String called = (p.booksHit() == 0 ? "" : p.booksHit() == p.books() ? ", every book called" : ", " + p.booksHit() + " books called")
            + (p.heldBooksLimit() > 0 ? ", --held-books-limit " + p.heldBooksLimit() : "");
        figures.figure("envoy_memory.rss_mib", labels, "Envoy RSS, " + p.run() + called + " (load " + p.load() + ")",
            p.rssKib() / 1024.0, "MiB", target);
        figures.figure("envoy_memory.allocated_mib", labels, "Envoy allocated (/memory), " + p.run(), p.allocated() / 1048576.0, "MiB", null);
        figures.figure("envoy_memory.heap_mib", labels, "Envoy heap size (/memory), " + p.run(), p.heapSize() / 1048576.0, "MiB", null);
        figures.figure("envoy_memory.stats", labels, "Envoy stats (/stats lines), " + p.run(), p.stats(), "stats", null);
        if (hitUpstream) {
          for (WebhookPasses.Pass pass : p.passes()) {
            Map<String, String> passLabels = new LinkedHashMap<>(labels);
            passLabels.put("pass", Integer.toString(pass.number()));
            String what = p.run() + called + ", pass " + pass.number() + ": ";
            ClosedLoop.Result r = pass.result();
            figures.figure("envoy_memory.webhooks_per_second", passLabels, what + "webhooks per second", r.perSecond(), "1/s", null);
            figures.figure("envoy_memory.webhook_p50_ms", passLabels, what + "webhook latency p50", r.p50Millis(), "ms", null);
            figures.figure("envoy_memory.webhook_p99_ms", passLabels, what + "webhook latency p99", r.p99Millis(), "ms", null);
            figures.figure("envoy_memory.webhooks_not_200", passLabels, what + "answers other than 200", r.failures(), "requests",
                BenchFigures.Target.below(1));
            figures.figure("envoy_memory.reload_share_pct", passLabels, what + "requests whose book was reloaded",
                100 * pass.reloadShare(), "%", null);
            figures.figure("envoy_memory.xds_cpu_ms_per_reload", passLabels, what + "xds-server gRPC CPU per reload",
                pass.grpcCpuMillisPerReload(), "ms", null);
          }
        }
      }
    }
  }

  static Object[] parseRun(String run) {
    return switch (run) {
      case "sotw+single" -> new Object[] {AdsApiType.GRPC, RouteLayout.SINGLE};
      case "delta+single" -> new Object[] {AdsApiType.DELTA_GRPC, RouteLayout.SINGLE};
      case "delta+scoped" -> new Object[] {AdsApiType.DELTA_GRPC, RouteLayout.SCOPED, Boolean.TRUE, BookClusters.ON_DEMAND};
      case "delta+scoped-eager-clusters" -> new Object[] {AdsApiType.DELTA_GRPC, RouteLayout.SCOPED, Boolean.TRUE, BookClusters.EAGER};
      case "delta+scoped-eager" -> new Object[] {AdsApiType.DELTA_GRPC, RouteLayout.SCOPED, Boolean.FALSE, BookClusters.EAGER};
      default -> throw new IllegalArgumentException("--runs: unknown run '" + run
          + "' (sotw+single, delta+single, delta+scoped, delta+scoped-eager-clusters, delta+scoped-eager)");
    };
  }

  /** {@code value} of --hit-books as a number of books out of {@code books} ("all": every one). */
  static int hitCount(String value, int books) {
    if ("all".equals(value)) {
      return books;
    }
    try {
      int count = Integer.parseInt(value);
      if (count >= 0) {
        return Math.min(count, books);
      }
    } catch (NumberFormatException e) {
      // named below
    }
    throw new IllegalArgumentException("--hit-books: '" + value + "' is not a count of books (0 or more) or 'all'");
  }

  /** True if {@code run} leaves something to load on demand (a request can change what Envoy holds). */
  static boolean loadsOnDemand(String run) {
    Object[] parsed = parseRun(run);
    return parsed.length >= 3 && ((Boolean) parsed[2] || parsed[3] == BookClusters.ON_DEMAND);
  }

  /** One point: a fresh Envoy holding {@code books} books, after one webhook to {@code hitBooks} of them. */
  Point measure(Path binary, String template, Path dir, String run, int books, int hitBooks, int heldBooksLimit)
      throws Exception {
    Object[] parsed = parseRun(run);
    AdsApiType apiType = (AdsApiType) parsed[0];
    RouteLayout layout = (RouteLayout) parsed[1];
    List<Integer> ports = LoopbackPorts.freePorts(2);
    GatewaySettings defaults = GatewaySettings.defaults();
    EdgeSettings edge = defaults.edge();
    GatewaySettings settings = new GatewaySettings("127.0.0.1", ports.get(0), defaults.library(), defaults.extAuthz(),
        defaults.maxWebhookBodyBytes(), defaults.transcoder(), null, null, defaults.jwt(), defaults.jwksTrustedCa(),
        new EdgeSettings(ports.get(1), null, edge.plainHttp(), edge.xffTrustedHops(), edge.limits(), hitClientLimit(edge, hitBooks),
            new EdgeSettings.PlaintextUpstreams()));
    SyntheticGateway gateway = new SyntheticGateway(books, Math.max(1, books / 10), settings);
    // delta+scoped-eager: the layout before on-demand scopes; delta+scoped-eager-clusters: before on-demand clusters
    boolean onDemandScopes = parsed.length < 3 || (Boolean) parsed[2];
    BookClusters bookClusters = parsed.length < 4 ? BookClusters.EAGER : (BookClusters) parsed[3];
    IncrementalTranslator translator = new IncrementalTranslator(
        new XdsTranslator(settings.transcoder(), layout, onDemandScopes, bookClusters));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    SnapshotPublisher publisher = new SnapshotPublisher(GROUP, registry);
    SyncTracker tracker = new SyncTracker(registry, publisher::ensureGroup);
    V3DiscoveryServer sotw = new V3DiscoveryServer(List.of(tracker),
        new NackHoldingConfigWatcher(publisher.cache(), tracker::rejectedResponseOfCurrentRequest),
        new DefaultExecutorGroup(), new DefaultProtoResourcesSerializer(), () -> true);
    DeltaAds deltaAds = DeltaAds.serving(publisher, List.of(tracker), heldBooksLimit, registry);
    var resources = translator.translate(gateway.input()).resources();
    if (!"deployed".equals(clusterVariant)) {
      resources = clusterVariant(resources, clusterVariant);
    }
    if (clustersOnly) {
      resources = new XdsResources(List.of(), List.of(), resources.clusters(), resources.endpoints());
    }
    if (hitBooks > 0 && resources.clusterDelivery().onDemand()) {
      resources = extAuthzFailingOpen(resources);
    }
    OkUpstream upstream = hitUpstream && hitBooks > 0 ? OkUpstream.start(4) : null;
    if (upstream != null) {
      resources = withLocalEndpoints(resources, upstream.port(), LoopbackPorts.freePorts(1).get(0));
    }
    publisher.publish(resources);
    var delivery = resources.clusterDelivery();
    int clusters = (int) publisher.current().orElseThrow().clusters().resources().keySet().stream()
        .filter(name -> !delivery.byNameOnly(name)).count();
    Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .maxInboundMessageSize(256 << 20)
        .addService(new AggregatedDiscoveryService(sotw.getAggregatedDiscoveryServiceImpl(), deltaAds))
        .build().start();
    String bootstrapYaml = EnvoyBootstrap.withAdsApiType(
        withoutXdsTls(EnvoyBootstrap.render(template, "bench-envoy-memory", server.getPort(), 0)), apiType);
    long start = System.nanoTime();
    try (EnvoyProcess envoy = EnvoyProcess.start(binary, bootstrapYaml, dir, concurrency, List.of())) {
      EnvoyAdmin admin = envoy.admin();
      List<String> types = new ArrayList<>(List.of(Resources.V3.CLUSTER_TYPE_URL, Resources.V3.ENDPOINT_TYPE_URL));
      if (!clustersOnly) {
        types.addAll(List.of(Resources.V3.LISTENER_TYPE_URL, Resources.V3.ROUTE_TYPE_URL));
      }
      if (layout == RouteLayout.SCOPED && !clustersOnly) {
        types.add(XdsType.SCOPED_ROUTE_TYPE_URL);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      while (!held(tracker, publisher, types, admin, clusters, !clustersOnly)) {
        if (!envoy.isAlive()) {
          throw new IllegalStateException("Envoy exited; log tail:\n" + envoy.logTail(30));
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("Envoy did not hold " + books + " books in " + timeoutSeconds + " s: "
              + tracker.report(publisher::currentVersion) + "\n" + envoy.logTail(20));
        }
        Thread.sleep(200); // polling Envoy's admin API and the tracker, not a synchronisation
      }
      double loadSeconds = (System.nanoTime() - start) / 1e9;
      List<WebhookPasses.Pass> passes = clustersOnly || hitBooks == 0 ? List.of()
          : WebhookPasses.run(webhookPaths(resources.routes(), hitBooks), settings.listenerPort(), hitPasses, hitConcurrency, 200,
              () -> (long) registry.counter("bdk.xds.held.books.reloads").count());
      int hit = clustersOnly ? 0 : webhookRouteConfigurationsHeld(admin);
      Thread.sleep(Duration.ofSeconds(settleSeconds).toMillis()); // let Envoy's main thread finish and free what it built
      var memory = new ObjectMapper().readTree(slowGet(admin, "/memory"));
      String stats = slowGet(admin, "/stats");
      int held = (int) admin.statOrZero("cluster_manager.active_clusters") - staticClusters(bootstrapYaml);
      long statCount = stats.lines().count();
      long bookClusterStats = stats.lines().filter(l -> l.startsWith("cluster.k8s/customer-")).count();
      return new Point(run, books, hitBooks, heldBooksLimit, held, rssKib(envoy.pid()), memory.path("allocated").asLong(),
          memory.path("heap_size").asLong(), statCount, bookClusterStats, loadSeconds, loadAverage(), hit,
          memory.path("pageheap_free").asLong(), passes);
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      if (upstream != null) {
        upstream.close();
      }
    }
  }

  /**
   * The webhook paths of the first {@code count} books, one per book cluster, to POST to (unsigned)
   * on the edge listener ({@link WebhookPasses}). Without {@code --hit-upstream} ext-authz is not
   * running and the books' endpoints do not exist, so every answer is an error status; what matters
   * then is that Envoy loaded the routes.
   */
  private static List<String> webhookPaths(List<io.envoyproxy.envoy.config.route.v3.RouteConfiguration> routes, int count) {
    Set<String> clustersSeen = new HashSet<>();
    return routes.stream()
        .flatMap(config -> config.getVirtualHostsList().stream())
        .flatMap(host -> host.getRoutesList().stream())
        .filter(route -> route.getName().startsWith("webhook/") && route.getMatch().hasPath())
        .filter(route -> clustersSeen.add(route.getRoute().getCluster())) // one path per book cluster
        .map(route -> route.getMatch().getPath())
        .distinct().limit(count).toList();
  }

  /**
   * How many webhook route configurations Envoy holds (its {@code http.bdk_http.rds.webhook/…version_text}
   * stats; with on-demand scopes, the scopes requests reached).
   */
  private static int webhookRouteConfigurationsHeld(EnvoyAdmin admin) throws IOException, InterruptedException {
    return (int) slowGet(admin, "/stats").lines()
        .filter(l -> l.startsWith("http.bdk_http.rds.webhook/") && l.contains(".version_text"))
        .count();
  }

  /**
   * {@code resources} with every book cluster's endpoints one local server ({@code bookPort}) and
   * every other cluster's a closed local port ({@code closedPort}: refused at once, so ext_authz,
   * failing open, lets a request through without waiting out a connect timeout).
   */
  static XdsResources withLocalEndpoints(XdsResources resources, int bookPort, int closedPort) {
    List<io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment> endpoints = new ArrayList<>();
    for (var cla : resources.endpoints()) {
      int port = cla.getClusterName().startsWith("k8s/customer-") ? bookPort : closedPort;
      endpoints.add(cla.toBuilder().clearEndpoints().addEndpoints(
          io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints.newBuilder().addLbEndpoints(
              io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint.newBuilder().setEndpoint(
                  io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder().setAddress(
                      io.envoyproxy.envoy.config.core.v3.Address.newBuilder().setSocketAddress(
                          io.envoyproxy.envoy.config.core.v3.SocketAddress.newBuilder()
                              .setAddress("127.0.0.1").setPortValue(port)))))).build());
    }
    return new XdsResources(resources.listeners(), resources.routes(), resources.clusters(), endpoints,
        resources.secrets(), resources.scopedRoutes(), resources.clusterDelivery());
  }

  /**
   * The per-client webhook limit: the deployed one, but with {@code --hit-books} high enough for
   * every hit to pass (they all come from 127.0.0.1, faster than its 50/s: a limited request is
   * answered 429 before its route's cluster is fetched, and is not a book called).
   */
  private static EdgeSettings.ClientLimit hitClientLimit(EdgeSettings edge, int hitBooks) {
    EdgeSettings.ClientLimit deployed = edge.webhookClientLimit();
    return hitBooks == 0 ? deployed : new EdgeSettings.ClientLimit(1_000_000, 1_000_000, deployed.maxAddresses());
  }

  /** The book clusters of {@code resources} changed as {@code variant} says (see --cluster-variant). */
  static XdsResources clusterVariant(XdsResources resources,
      String variant) {
    Map<String, io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment> assignments = new LinkedHashMap<>();
    resources.endpoints().forEach(cla -> assignments.put(cla.getClusterName(), cla));
    List<io.envoyproxy.envoy.config.cluster.v3.Cluster> clusters = new ArrayList<>();
    for (var cluster : resources.clusters()) {
      if (!cluster.getName().startsWith("k8s/customer-")) {
        clusters.add(cluster);
        continue;
      }
      if (variant.equals("none")) {
        assignments.remove(cluster.getName());
        continue;
      }
      var changed = cluster.toBuilder();
      switch (variant) {
        case "no-metadata" -> changed.clearMetadata();
        case "minimal" -> changed.clearMetadata().clearConnectTimeout().clearLbPolicy();
        case "static" -> {
          changed.setType(io.envoyproxy.envoy.config.cluster.v3.Cluster.DiscoveryType.STATIC).clearEdsClusterConfig()
              .setLoadAssignment(assignments.remove(cluster.getName()));
        }
        default -> throw new IllegalArgumentException("--cluster-variant: unknown variant '" + variant + "'");
      }
      clusters.add(changed.build());
    }
    return new XdsResources(resources.listeners(), resources.routes(), clusters,
        List.copyOf(assignments.values()), resources.secrets(), resources.scopedRoutes(), resources.clusterDelivery());
  }

  /**
   * {@code resources} with both ext_authz filters failing open: no ext-authz runs here, and with
   * on-demand clusters only a request ext_authz lets through makes Envoy fetch its book's cluster
   * ({@code --hit-books}: memory with that many clusters loaded). The benchmark's own change.
   */
  static XdsResources extAuthzFailingOpen(XdsResources resources)
      throws com.google.protobuf.InvalidProtocolBufferException {
    List<io.envoyproxy.envoy.config.listener.v3.Listener> listeners = new ArrayList<>();
    for (var listener : resources.listeners()) {
      var builder = listener.toBuilder();
      for (var chain : builder.getFilterChainsBuilderList()) {
        for (var filter : chain.getFiltersBuilderList()) {
          var any = filter.getTypedConfig();
          if (!any.is(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.class)) {
            continue;
          }
          var hcm = any.unpack(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.class)
              .toBuilder();
          for (var http : hcm.getHttpFiltersBuilderList()) {
            if (http.getTypedConfig().is(io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.class)) {
              http.setTypedConfig(com.google.protobuf.Any.pack(http.getTypedConfig()
                  .unpack(io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.class).toBuilder()
                  .setFailureModeAllow(true).build()));
            }
          }
          filter.setTypedConfig(com.google.protobuf.Any.pack(hcm.build()));
        }
      }
      listeners.add(builder.build());
    }
    return new XdsResources(listeners, resources.routes(), resources.clusters(),
        resources.endpoints(), resources.secrets(), resources.scopedRoutes(), resources.clusterDelivery());
  }

  /** GET on Envoy's admin API with a long timeout: 260,000 stats take Envoy's main thread a while on a loaded machine. */
  private static String slowGet(EnvoyAdmin admin, String path) throws IOException, InterruptedException {
    var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(admin.uri(path)).timeout(Duration.ofMinutes(3)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("envoy admin " + path + " answered " + response.statusCode());
    }
    return response.body();
  }

  /** Every type ACKed at the published version, and Envoy's cluster manager holds every cluster, none warming. */
  private static boolean held(SyncTracker tracker, SnapshotPublisher publisher, List<String> types, EnvoyAdmin admin, int clusters,
      boolean listeners) {
    var nodes = tracker.report(publisher::currentVersion);
    if (nodes.isEmpty()) {
      return false;
    }
    var synced = nodes.get(0).types();
    if (synced.size() < types.size() || synced.stream().anyMatch(t -> t.status() != SyncTracker.Status.SYNCED)) {
      return false;
    }
    try {
      return admin.statOrZero("cluster_manager.active_clusters") >= clusters
          && admin.statOrZero("cluster_manager.warming_clusters") == 0
          && admin.statOrZero("listener_manager.total_listeners_warming") == 0
          && (!listeners || admin.statOrZero("listener_manager.total_listeners_active") > 0);
    } catch (java.io.UncheckedIOException e) {
      return false; // Envoy's main thread (which answers the admin API) is busy applying the configuration
    }
  }

  /** How many clusters {@code bootstrapYaml} defines statically (Envoy counts them among its active clusters). */
  static int staticClusters(String bootstrapYaml) throws IOException {
    return new ObjectMapper(new YAMLFactory()).readTree(bootstrapYaml).path("static_resources").path("clusters").size();
  }

  /** The bootstrap with the xds_cluster's TLS removed: the benchmark's ADS server is plaintext loopback gRPC. */
  static String withoutXdsTls(String bootstrapYaml) throws IOException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    ObjectNode root = (ObjectNode) yaml.readTree(bootstrapYaml);
    for (var cluster : root.path("static_resources").path("clusters")) {
      if (EnvoyBootstrap.XDS_CLUSTER.equals(cluster.path("name").asText())) {
        ((ObjectNode) cluster).remove("transport_socket");
      }
    }
    return yaml.writeValueAsString(root);
  }

  static long rssKib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return parts[0] + "/" + parts[1] + "/" + parts[2];
    } catch (IOException e) {
      return "?";
    }
  }

  private static Path projectRoot() {
    return Path.of(System.getProperty("project.root", ".")).toAbsolutePath().normalize();
  }
}
