package io.voyager.bdk.xds.bench;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.server.DefaultExecutorGroup;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.controlplane.server.serializer.DefaultProtoResourcesSerializer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.xds.bench.TranslatorScaleBenchmark.SyntheticGateway;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.server.AggregatedDiscoveryService;
import io.voyager.bdk.xds.server.DeltaAds;
import io.voyager.bdk.xds.server.NackHoldingConfigWatcher;
import io.voyager.bdk.xds.server.SnapshotPublisher;
import io.voyager.bdk.xds.server.SyncTracker;
import io.voyager.bdk.support.bench.BenchFigures;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.RouteLayout;
import io.voyager.bdk.xds.translate.XdsTranslator;
import io.voyager.bdk.xds.version.XdsType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What one book's change costs on the ADS stream, state-of-the-world against delta xDS: the
 * xds-server's discovery servers (java-control-plane's SotW, our {@link DeltaAds}) on a loopback
 * gRPC port, one client per protocol that speaks as Envoy does (wildcard CDS and LDS, EDS for
 * the clusters it got, RDS for the route configurations, every response ACKed), N synthetic books.
 * For each single change (one book's routes, one book's endpoints, a book added, a book removed)
 * it measures the response bytes the client receives and the time from the snapshot's publication
 * until the client holds the new version of every type. Figures only: nothing passes or fails.
 *
 * <p>Three runs: state-of-the-world and delta on the single route layout (one route configuration
 * with every route), and delta on the scoped layout ({@link RouteLayout#SCOPED}: the client also
 * subscribes to the route scopes, SRDS, and to the route configuration of each scope, as Envoy
 * does). The headline figure compares delta + scoped with state-of-the-world + single, change by
 * change. With {@code --held-books-limit N} a fourth run, delta + scoped with the delta server's
 * held-books bound on (the client holds every book, so N of {@code --books} or more costs the
 * bound's bookkeeping only). Figures go to {@link BenchFigures} as benchmark {@code delta}.
 */
@Command(
    name = "ads-protocol-benchmark",
    mixinStandardHelpOptions = true,
    description = "Bytes and time per single-book change, state-of-the-world vs delta xDS, on N synthetic books (figures only).")
public final class AdsProtocolBenchmark implements Callable<Integer> {
  static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;
  static final String LDS = Resources.V3.LISTENER_TYPE_URL;
  static final String RDS = Resources.V3.ROUTE_TYPE_URL;
  static final String SRDS = XdsType.SCOPED_ROUTE_TYPE_URL;
  static final List<String> TYPES = List.of(CDS, EDS, LDS, RDS);
  static final List<String> SCOPED_TYPES = List.of(CDS, EDS, LDS, RDS, SRDS);
  static final String GROUP = "bdk-gateway";

  @Option(names = "--books", defaultValue = "10000", description = "ExternalBookDefinitions (default ${DEFAULT-VALUE})")
  int bookCount;

  @Option(names = "--namespaces", defaultValue = "1000", description = "customer namespaces they are spread over (default ${DEFAULT-VALUE})")
  int namespaceCount;

  @Option(names = "--changes", defaultValue = "20", description = "measured changes of each kind per protocol (default ${DEFAULT-VALUE})")
  int changes;

  @Option(names = "--warmup", defaultValue = "5", description = "unmeasured changes of each kind first (default ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--held-books-limit", defaultValue = "0",
      description = "also run delta + scoped with the delta server's bound on books held per Envoy (xds-server "
          + "--held-books-limit; the client fetches every book's route configuration, so a limit of --books or more "
          + "measures what the bound's bookkeeping costs a change, with no eviction); 0 (default): no such run")
  int heldBooksLimit;

  public static void main(String[] args) {
    System.exit(new CommandLine(new AdsProtocolBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (bookCount < 2 || namespaceCount < 1 || changes < 1 || warmup < 0 || heldBooksLimit < 0) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--books must be 2 or more, --namespaces and --changes 1 or more, --warmup and --held-books-limit 0 or more");
    }
    Runtime rt = Runtime.getRuntime();
    System.out.printf(Locale.ROOT, "ADS protocol benchmark: state-of-the-world vs delta xDS (figures only; nothing passes or fails)%n");
    System.out.printf(Locale.ROOT, "machine: %d cores, %s %s, max heap %d MiB; %d books in %d namespaces; loopback gRPC, "
            + "one Envoy-like client per protocol; time = snapshot published → client holds every type's new version%n",
        rt.availableProcessors(), System.getProperty("java.vm.name"), System.getProperty("java.vm.version"), rt.maxMemory() >> 20,
        bookCount, Math.min(bookCount, namespaceCount));
    Map<String, Map<String, Samples>> results = measure();
    System.out.printf(Locale.ROOT, "%-13s %-28s %4s %12s %12s %9s %9s %9s%n",
        "proto+layout", "change", "n", "bytes p50", "bytes max", "ms p50", "ms p90", "ms max");
    for (var protocol : results.entrySet()) {
      for (var row : protocol.getValue().entrySet()) {
        Samples s = row.getValue();
        System.out.printf(Locale.ROOT, "%-13s %-28s %4d %12d %12d %9.1f %9.1f %9.1f%n", protocol.getKey(), row.getKey(), s.count(),
            s.bytes(0.5), s.bytes(1.0), s.millis(0.5), s.millis(0.9), s.millis(1.0));
      }
    }
    Map<String, Samples> before = results.get(SOTW_SINGLE);
    for (String run : results.keySet()) {
      if (run.equals(SOTW_SINGLE)) {
        continue;
      }
      for (String change : before.keySet()) {
        Samples sotw = before.get(change);
        Samples delta = results.get(run).get(change);
        System.out.printf(Locale.ROOT, "%s / %s %-28s bytes %.5f  time p50 %.2f%n", run, SOTW_SINGLE, change,
            (double) delta.bytes(0.5) / Math.max(1, sotw.bytes(0.5)), delta.millis(0.5) / Math.max(0.001, sotw.millis(0.5)));
      }
    }
    record(results);
    return 0;
  }

  static final String SOTW_SINGLE = "sotw+single";
  static final String DELTA_SINGLE = "delta+single";
  static final String DELTA_SCOPED = "delta+scoped";
  static final String DELTA_SCOPED_BOUND = "delta+scoped+held-books-limit";

  /** Into {@link BenchFigures} ({@code delta}): per run and change the bytes and times, and the headline ratio. */
  private void record(Map<String, Map<String, Samples>> results) {
    try (BenchFigures figures = BenchFigures.open("delta", "ADS bytes and time per single change (make bench-ads)")) {
      figures.note(String.format(Locale.ROOT, "%d books in %d namespaces; loopback gRPC, one Envoy-like client per run; "
          + "time = snapshot published → the client holds every type's new version", bookCount, Math.min(bookCount, namespaceCount)));
      String books = Integer.toString(bookCount);
      results.forEach((run, rows) -> rows.forEach((change, samples) -> {
        Map<String, String> labels = Map.of("books", books, "run", run.replace('+', '_'), "change", slug(change));
        figures.figure("delta.bytes.p50", labels, run + ", " + change + ": bytes to the client, p50", samples.bytes(0.5), "bytes", null);
        figures.figure("delta.ms.p50", labels, run + ", " + change + ": published → held, p50", samples.millis(0.5), "ms", null);
        figures.figure("delta.ms.p90", labels, run + ", " + change + ": published → held, p90", samples.millis(0.9), "ms", null);
      }));
      double worst = 0;
      for (String change : results.get(SOTW_SINGLE).keySet()) {
        if (change.startsWith("initial")) {
          continue;
        }
        double pct = 100.0 * results.get(DELTA_SCOPED).get(change).bytes(0.5)
            / Math.max(1, results.get(SOTW_SINGLE).get(change).bytes(0.5));
        worst = Math.max(worst, pct);
      }
      figures.figure("delta.bytes_per_change_pct", Map.of("books", books),
          "bytes per single-book change, delta + scoped routes, % of state-of-the-world + one route configuration (worst change kind)",
          worst, "%", BenchFigures.Target.below(1));
    }
  }

  private static String slug(String change) {
    return change.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
  }

  /** Per run (protocol + route layout): per change kind, the samples. */
  Map<String, Map<String, Samples>> measure() throws Exception {
    Map<String, Map<String, Samples>> results = new LinkedHashMap<>();
    results.put(SOTW_SINGLE, run(false, RouteLayout.SINGLE, 0));
    results.put(DELTA_SINGLE, run(true, RouteLayout.SINGLE, 0));
    results.put(DELTA_SCOPED, run(true, RouteLayout.SCOPED, 0));
    if (heldBooksLimit > 0) {
      results.put(DELTA_SCOPED_BOUND, run(true, RouteLayout.SCOPED, heldBooksLimit));
    }
    return results;
  }

  private Map<String, Samples> run(boolean delta, RouteLayout layout, int heldBooks) throws Exception {
    SyntheticGateway gateway = new SyntheticGateway(bookCount, namespaceCount);
    IncrementalTranslator translator = new IncrementalTranslator(new XdsTranslator(GatewaySettings.defaults().transcoder(), layout));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    SnapshotPublisher publisher = new SnapshotPublisher(GROUP, registry);
    SyncTracker tracker = new SyncTracker(registry, publisher::ensureGroup);
    V3DiscoveryServer sotw = new V3DiscoveryServer(List.of(tracker),
        new NackHoldingConfigWatcher(publisher.cache(), tracker::rejectedResponseOfCurrentRequest),
        new DefaultExecutorGroup(), new DefaultProtoResourcesSerializer(), () -> true);
    DeltaAds deltaAds = DeltaAds.serving(publisher, List.of(tracker), heldBooks, registry);
    Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .maxInboundMessageSize(256 << 20)
        .addService(new AggregatedDiscoveryService(sotw.getAggregatedDiscoveryServiceImpl(), deltaAds))
        .build().start();
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), InsecureChannelCredentials.create())
        .maxInboundMessageSize(256 << 20).build();
    Changes changer = new Changes(gateway);
    try {
      publisher.publish(translator.translate(gateway.input()).resources());
      Supplier<Set<String>> routeNames = () -> publisher.current().orElseThrow().routes().resources().keySet();
      List<String> types = layout == RouteLayout.SCOPED ? SCOPED_TYPES : TYPES;
      Client client = delta ? new DeltaClient(channel, routeNames, types) : new SotwClient(channel, routeNames, types);
      Samples initial = new Samples();
      long start = System.nanoTime();
      client.start();
      initial.add(client.awaitVersions(publisher, start));

      Map<String, Samples> rows = new LinkedHashMap<>();
      rows.put("initial sync (all books)", initial);
      List<String> kinds = List.of("one book's routes changed", "one book's endpoints changed", "one book added", "one book removed");
      for (String kind : kinds) {
        rows.put(kind, new Samples());
      }
      for (int i = 0; i < warmup + changes; i++) {
        for (String kind : kinds) {
          GatewayInput input = changer.apply(kind);
          var resources = translator.translate(input).resources();
          long t0 = System.nanoTime();
          if (!publisher.publish(resources)) {
            continue; // nothing changed for Envoy
          }
          Sample sample = client.awaitVersions(publisher, t0);
          if (i >= warmup) {
            rows.get(kind).add(sample);
          }
        }
      }
      client.close();
      return rows;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Single changes on the synthetic gateway, a different book each time. */
  static final class Changes {
    private final SyntheticGateway gateway;
    private int step;

    Changes(SyntheticGateway gateway) {
      this.gateway = gateway;
    }

    GatewayInput apply(String kind) {
      int n = gateway.books.size();
      int index = (step++ * 7919) % n;
      switch (kind) {
        case "one book's routes changed" -> gateway.books.set(index, gateway.book(index, 50.0 + step * 0.01));
        case "one book's endpoints changed" -> {
          List<EndpointSliceView> current = gateway.slices.get(gateway.service(index));
          EndpointSliceView variant1 = gateway.bookSlice(index, 1);
          gateway.slices.put(gateway.service(index), List.of(current.get(0).equals(variant1) ? gateway.bookSlice(index, 0) : variant1));
        }
        case "one book added" -> {
          int i = n; // the new book takes index n; "removed" takes the last one away again
          gateway.books.add(gateway.book(i, 10.0));
          gateway.slices.put(gateway.service(i), List.of(gateway.bookSlice(i, 0)));
        }
        case "one book removed" -> {
          int last = n - 1;
          gateway.books.remove(last);
          gateway.slices.remove(gateway.service(last));
        }
        default -> throw new IllegalArgumentException(kind);
      }
      return gateway.input();
    }
  }

  record Sample(long bytes, long nanos) {}

  static final class Samples {
    private final List<Sample> samples = new ArrayList<>();

    void add(Sample sample) {
      samples.add(sample);
    }

    int count() {
      return samples.size();
    }

    long bytes(double quantile) {
      long[] values = samples.stream().mapToLong(Sample::bytes).sorted().toArray();
      return values.length == 0 ? 0 : values[(int) Math.min(values.length - 1, Math.ceil(quantile * values.length) - 1)];
    }

    double millis(double quantile) {
      long[] values = samples.stream().mapToLong(Sample::nanos).sorted().toArray();
      return values.length == 0 ? 0 : values[(int) Math.max(0, Math.min(values.length - 1, Math.ceil(quantile * values.length) - 1))] / 1e6;
    }
  }

  /** An Envoy-like ADS client: counts response bytes, knows the last version it got per type. */
  abstract static class Client implements AutoCloseable {
    final Map<String, String> versions = new ConcurrentHashMap<>();
    final AtomicLong bytes = new AtomicLong();
    final Supplier<Set<String>> routeNames;
    final List<String> types;
    volatile Throwable failed;

    Client(Supplier<Set<String>> routeNames, List<String> types) {
      this.routeNames = routeNames;
      this.types = types;
    }

    abstract void start();

    /** Whether the client holds every route configuration the snapshot has (the scoped layout subscribes after SRDS). */
    boolean holdsAllRoutes() {
      return true;
    }

    /** Waits (polling, 60 s at most) until every type is at the publisher's version; the bytes received since the last call. */
    Sample awaitVersions(SnapshotPublisher publisher, long t0) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!types.stream().allMatch(type -> publisher.currentVersion(type).equals(versions.get(type))) || !holdsAllRoutes()) {
        if (failed != null) {
          throw new IllegalStateException("ADS stream failed", failed);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("client did not converge in 60 s: has " + versions);
        }
        LockSupport.parkNanos(50_000);
      }
      return new Sample(bytes.getAndSet(0), System.nanoTime() - t0);
    }

    static Set<String> edsNames(Iterable<Cluster> clusters) {
      Set<String> names = new TreeSet<>();
      for (Cluster cluster : clusters) {
        if (cluster.getType() == Cluster.DiscoveryType.EDS) {
          String service = cluster.getEdsClusterConfig().getServiceName();
          names.add(service.isEmpty() ? cluster.getName() : service);
        }
      }
      return names;
    }

    static Cluster cluster(Any any) {
      try {
        return any.unpack(Cluster.class);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  static Node node() {
    return Node.newBuilder().setId("bench").setCluster(GROUP).build();
  }

  /** State-of-the-world: every response of a type carries all of it; ACK with version and nonce, names for EDS/RDS. */
  static final class SotwClient extends Client implements StreamObserver<DiscoveryResponse> {
    private final ManagedChannel channel;
    private final Map<String, Set<String>> names = new HashMap<>();
    private StreamObserver<DiscoveryRequest> requests;

    SotwClient(ManagedChannel channel, Supplier<Set<String>> routeNames, List<String> types) {
      super(routeNames, types);
      this.channel = channel;
    }

    @Override
    void start() {
      requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(this);
      synchronized (this) {
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node()).setTypeUrl(CDS).build());
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node()).setTypeUrl(LDS).build());
      }
    }

    @Override
    public synchronized void onNext(DiscoveryResponse response) {
      bytes.addAndGet(response.getSerializedSize());
      String type = response.getTypeUrl();
      requests.onNext(DiscoveryRequest.newBuilder().setNode(node()).setTypeUrl(type).setVersionInfo(response.getVersionInfo())
          .setResponseNonce(response.getNonce()).addAllResourceNames(names.getOrDefault(type, Set.of())).build());
      if (type.equals(CDS)) {
        subscribe(EDS, edsNames(response.getResourcesList().stream().map(Client::cluster).toList()));
      } else if (type.equals(LDS)) {
        subscribe(RDS, new TreeSet<>(routeNames.get()));
      }
      versions.put(type, response.getVersionInfo());
    }

    private void subscribe(String type, Set<String> wanted) {
      if (!wanted.equals(names.get(type))) {
        names.put(type, wanted);
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node()).setTypeUrl(type).setVersionInfo(versions.getOrDefault(type, ""))
            .addAllResourceNames(wanted).build());
      }
    }

    @Override
    public void onError(Throwable t) {
      failed = t;
    }

    @Override
    public void onCompleted() {}

    @Override
    public synchronized void close() {
      requests.onCompleted();
    }
  }

  /** Delta: wildcard CDS/LDS, EDS/RDS subscriptions changed by name; every response ACKed by its nonce. */
  static final class DeltaClient extends Client implements StreamObserver<DeltaDiscoveryResponse> {
    private final ManagedChannel channel;
    private final Map<String, Cluster> clusters = new HashMap<>();
    private final Map<String, Set<String>> names = new HashMap<>();
    /** Route scope name → the route configuration it names. */
    private final Map<String, String> scopeRoutes = new HashMap<>();
    private final Set<String> heldRoutes = ConcurrentHashMap.newKeySet();
    private StreamObserver<DeltaDiscoveryRequest> requests;

    @Override
    boolean holdsAllRoutes() {
      return heldRoutes.equals(routeNames.get());
    }

    DeltaClient(ManagedChannel channel, Supplier<Set<String>> routeNames, List<String> types) {
      super(routeNames, types);
      this.channel = channel;
    }

    @Override
    void start() {
      requests = AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(this);
      synchronized (this) {
        requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node()).setTypeUrl(CDS).build());
        requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node()).setTypeUrl(LDS).build());
        if (types.contains(SRDS)) {
          requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node()).setTypeUrl(SRDS).build());
        }
      }
    }

    @Override
    public synchronized void onNext(DeltaDiscoveryResponse response) {
      bytes.addAndGet(response.getSerializedSize());
      String type = response.getTypeUrl();
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce(response.getNonce()).build());
      // As Envoy does: subscriptions change by what the response changed, never by a pass over all
      // resources held (the client must not be the O(N) part of what is measured).
      if (type.equals(CDS)) {
        Set<String> added = new TreeSet<>();
        Set<String> removed = new TreeSet<>();
        for (Resource resource : response.getResourcesList()) {
          Cluster cluster = cluster(resource.getResource());
          Cluster old = clusters.put(resource.getName(), cluster);
          if (old != null) {
            edsName(old).ifPresent(removed::add);
          }
          edsName(cluster).ifPresent(name -> {
            removed.remove(name);
            added.add(name);
          });
        }
        for (String name : response.getRemovedResourcesList()) {
          Cluster old = clusters.remove(name);
          if (old != null) {
            edsName(old).ifPresent(removed::add);
          }
        }
        subscribe(EDS, added, removed, !names.containsKey(EDS));
      } else if (type.equals(RDS)) {
        response.getResourcesList().forEach(resource -> heldRoutes.add(resource.getName()));
        heldRoutes.removeAll(response.getRemovedResourcesList());
      } else if (type.equals(LDS) && !types.contains(SRDS)) {
        Set<String> wanted = new TreeSet<>(routeNames.get()); // the listeners name them (a handful)
        Set<String> had = names.getOrDefault(RDS, Set.of());
        Set<String> added = new TreeSet<>(wanted);
        added.removeAll(had);
        Set<String> removed = new TreeSet<>(had);
        removed.removeAll(wanted);
        subscribe(RDS, added, removed, !names.containsKey(RDS));
      } else if (type.equals(SRDS)) {
        // Envoy asks for the route configuration each scope names.
        Set<String> added = new TreeSet<>();
        Set<String> removed = new TreeSet<>();
        for (Resource resource : response.getResourcesList()) {
          String routes = scope(resource.getResource()).getRouteConfigurationName();
          String old = scopeRoutes.put(resource.getName(), routes);
          if (old != null && !old.equals(routes)) {
            removed.add(old);
          }
          added.add(routes);
        }
        for (String name : response.getRemovedResourcesList()) {
          String old = scopeRoutes.remove(name);
          if (old != null) {
            removed.add(old);
          }
        }
        added.removeAll(names.getOrDefault(RDS, Set.of()));
        subscribe(RDS, added, removed, !names.containsKey(RDS));
      }
      versions.put(type, response.getSystemVersionInfo());
    }

    private static Optional<String> edsName(Cluster cluster) {
      if (cluster.getType() != Cluster.DiscoveryType.EDS) {
        return Optional.empty();
      }
      String service = cluster.getEdsClusterConfig().getServiceName();
      return Optional.of(service.isEmpty() ? cluster.getName() : service);
    }

    private static io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration scope(Any any) {
      try {
        return any.unpack(io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration.class);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Subscribes {@code added} and unsubscribes {@code removed} names of {@code type}; {@code first}: the type's first request. */
    private void subscribe(String type, Set<String> added, Set<String> removed, boolean first) {
      Set<String> current = names.computeIfAbsent(type, t -> new HashSet<>());
      removed.retainAll(current);
      if (added.isEmpty() && removed.isEmpty() && !first) {
        return;
      }
      current.addAll(added);
      current.removeAll(removed);
      if (type.equals(RDS)) {
        heldRoutes.removeAll(removed);
      }
      DeltaDiscoveryRequest.Builder request = DeltaDiscoveryRequest.newBuilder().setTypeUrl(type)
          .addAllResourceNamesSubscribe(added).addAllResourceNamesUnsubscribe(removed);
      if (first) {
        request.setNode(node());
      }
      requests.onNext(request.build());
    }

    @Override
    public void onError(Throwable t) {
      failed = t;
    }

    @Override
    public void onCompleted() {}

    @Override
    public synchronized void close() {
      requests.onCompleted();
    }
  }
}
