package io.voyager.bdk.xds.bench;

import com.google.protobuf.Message;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.SecretRef;
import io.voyager.bdk.model.Hmac;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.support.ParsingConverter;
import io.voyager.bdk.support.bench.BenchFigures;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.InputChanges;
import io.voyager.bdk.xds.model.ServiceKey;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.RouteLayout;
import io.voyager.bdk.xds.translate.Translation;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.translate.XdsTranslator;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.ContentVersions;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.ToLongFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Scale figures for the xds-server translator, in memory (no Kubernetes, no I/O): N
 * ExternalBookDefinitions spread over customer namespaces, each with 1–2 webhook integrations of
 * mixed schemes and its own Service whose EndpointSlice has 2 ready endpoints. Measures what the
 * watcher does per rebuild — {@link IncrementalTranslator#translate} then
 * {@link ContentVersionedSnapshot#of} (content versions) — from cold caches and for single changes
 * with warm caches, and prints figures only: nothing here passes or fails.
 */
@Command(
    name = "translator-scale-benchmark",
    mixinStandardHelpOptions = true,
    description = "Times the xds-server translator and snapshot versioning on N synthetic books (figures only).")
public final class TranslatorScaleBenchmark implements Callable<Integer> {

  @Option(names = "--route-layout", defaultValue = "single", converter = LayoutConverter.class,
      description = "route layout: single (one route configuration) or scoped (one per webhook, SRDS) (default ${DEFAULT-VALUE})")
  RouteLayout layout;

  /** {@code single} or {@code scoped}, as the xds-server's flag takes it. */
  static final class LayoutConverter extends ParsingConverter<RouteLayout> {
    LayoutConverter() {
      super(RouteLayout::parse);
    }
  }

  @Option(names = "--books", defaultValue = "10000", description = "ExternalBookDefinitions (default ${DEFAULT-VALUE})")
  int bookCount;

  @Option(names = "--namespaces", defaultValue = "1000", description = "customer namespaces they are spread over (default ${DEFAULT-VALUE})")
  int namespaceCount;

  @Option(names = "--repeats", defaultValue = "20", description = "runs of each incremental measurement (default ${DEFAULT-VALUE})")
  int repeats;

  @Option(names = "--cold-runs", defaultValue = "3", description = "full translations from empty caches after warm-up (default ${DEFAULT-VALUE})")
  int coldRuns;

  @Option(names = "--warmup", defaultValue = "3", description = "warm-up rounds (one full translation and a few changes each) before measuring (default ${DEFAULT-VALUE})")
  int warmupRounds;

  @Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new TranslatorScaleBenchmark()).execute(args));
  }

  @Override
  public Integer call() {
    requirePositive("--books", bookCount);
    requirePositive("--namespaces", namespaceCount);
    requirePositive("--repeats", repeats);
    requirePositive("--cold-runs", coldRuns);
    if (warmupRounds < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--warmup: must be 0 or more, got " + warmupRounds);
    }
    new Run(this).execute();
    return 0;
  }

  private void requirePositive(String flag, int value) {
    if (value < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), flag + ": must be at least 1, got " + value);
    }
  }

  /** The synthetic gateway: books and slices by index, mutable between measurements. */
  /** N synthetic books (also the input of local-stack's Envoy memory benchmark). */
  public static final class SyntheticGateway {
    static final int SERVICE_PORT = 8080;
    static final List<String> SCHEMES = WebhookAuthContext.SCHEMES;

    final GatewaySettings settings;
    final int namespaces;
    final List<BookSource> books = new ArrayList<>();
    final Map<ServiceKey, List<EndpointSliceView>> slices = new HashMap<>();
    int webhookIntegrations;

    SyntheticGateway(int bookCount, int namespaces) {
      this(bookCount, namespaces, GatewaySettings.defaults());
    }

    /** {@code bookCount} books over {@code namespaces} namespaces, translated with {@code settings}. */
    public SyntheticGateway(int bookCount, int namespaces, GatewaySettings settings) {
      this.settings = settings;
      this.namespaces = namespaces;
      slices.put(settings.library().key(), List.of(coreSlice(settings.library().key(), 50051, 1)));
      slices.put(settings.extAuthz().key(), List.of(coreSlice(settings.extAuthz().key(), 18010, 2)));
      for (int i = 0; i < bookCount; i++) {
        BookSource book = book(i, 10.0 + i % 5);
        books.add(book);
        webhookIntegrations += book.spec().externalIntegrations().size();
        slices.put(service(i), List.of(bookSlice(i, 0)));
      }
    }

    public GatewayInput input() {
      return new GatewayInput(settings, books, slices);
    }

    String namespace(int i) {
      return String.format(Locale.ROOT, "customer-c%04d", i % namespaces);
    }

    static String name(int i) {
      return String.format(Locale.ROOT, "book-%05d", i);
    }

    ServiceKey service(int i) {
      return new ServiceKey(namespace(i), name(i)); // the default Service: the book's own name, port 8080
    }

    /** Book {@code i}: 1 or 2 webhook integrations, schemes rotating through all of them. */
    BookSource book(int i, double requestsPerSecond) {
      List<ExternalIntegration> integrations = new ArrayList<>();
      for (int j = 0; j < 1 + i % 2; j++) {
        String scheme = SCHEMES.get((i + 3 * j) % SCHEMES.size());
        Hmac hmac = scheme.equals("hmac") ? new Hmac("sha256", "x-signature", "sha256=", "hex", "body", null) : null;
        Integer tolerance = scheme.equals("github") || scheme.equals("hmac") ? null : 300;
        integrations.add(
            new ExternalIntegration(
                scheme,
                "webhook",
                "/webhooks/" + scheme,
                new Authentication("signature", scheme, new SecretRef(name(i) + "-credentials", scheme + "-secret"), tolerance, hmac),
                new RateLimit(requestsPerSecond, 20)));
      }
      return new BookSource(
          namespace(i),
          name(i),
          new ExternalBookDefinitionSpec("customer-support", "1.2.0", integrations, null, null, null, null, null));
    }

    /** The book's Service slice: one port, 2 ready endpoints; {@code variant} shifts the addresses. */
    EndpointSliceView bookSlice(int i, int variant) {
      int base = 2 * i + variant * 2 * books.size() + 1;
      return new EndpointSliceView(
          namespace(i),
          name(i) + "-x7k2p",
          name(i),
          List.of(new EndpointSliceView.Port("http", SERVICE_PORT)),
          List.of(new EndpointSliceView.Endpoint(ip(base), true), new EndpointSliceView.Endpoint(ip(base + 1), true)));
    }

    private static EndpointSliceView coreSlice(ServiceKey service, int port, int host) {
      return new EndpointSliceView(
          service.namespace(), service.name() + "-core", service.name(),
          List.of(new EndpointSliceView.Port("grpc", port)),
          List.of(new EndpointSliceView.Endpoint("192.168.0." + host, true),
              new EndpointSliceView.Endpoint("192.168.1." + host, true)));
    }

    private static String ip(int n) {
      return "10." + ((n >> 16) & 255) + "." + ((n >> 8) & 255) + "." + (n & 255);
    }
  }

  /** One rebuild as the watcher does it: translate, then the content-versioned snapshot. */
  record Rebuild(Translation translation, ContentVersionedSnapshot snapshot, long translateNanos, long snapshotNanos, int retranslated,
      long cpuNanos) {
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /** As the publisher does it: the snapshot built on the {@code previous} rebuild's (null: none), and checked. */
    static Rebuild of(IncrementalTranslator translator, GatewayInput input, Rebuild previous) {
      return of(translator, input, InputChanges.EVERYTHING, previous);
    }

    /** As the watcher does it: told which books and Services changed. */
    static Rebuild of(IncrementalTranslator translator, GatewayInput input, InputChanges changes,
        Rebuild previous) {
      long cpuStart = THREADS.getCurrentThreadCpuTime();
      long start = System.nanoTime();
      Translation translation = translator.translate(input, changes);
      long translated = System.nanoTime();
      ContentVersionedSnapshot before = previous == null ? null : previous.snapshot();
      ContentVersionedSnapshot snapshot = ContentVersionedSnapshot.next(before, translation.resources());
      snapshot.summaryVersion();
      try {
        snapshot.ensureConsistentSince(before);
      } catch (io.envoyproxy.controlplane.cache.SnapshotConsistencyException e) {
        throw new IllegalStateException(e);
      }
      long end = System.nanoTime();
      long cpu = THREADS.getCurrentThreadCpuTime() - cpuStart;
      return new Rebuild(translation, snapshot, translated - start, end - translated, translator.lastTranslatedBooks(), cpu);
    }

    long totalNanos() {
      return translateNanos + snapshotNanos;
    }

    /** Which type versions differ from {@code previous}: e.g. "rds" or "none". */
    String changedTypes(Rebuild previous) {
      List<String> changed = new ArrayList<>();
      if (!snapshot.clusters().version().equals(previous.snapshot.clusters().version())) changed.add("cds");
      if (!snapshot.endpoints().version().equals(previous.snapshot.endpoints().version())) changed.add("eds");
      if (!snapshot.listeners().version().equals(previous.snapshot.listeners().version())) changed.add("lds");
      if (!snapshot.routes().version().equals(previous.snapshot.routes().version())) changed.add("rds");
      return changed.isEmpty() ? "none" : String.join("+", changed);
    }
  }

  /** Timings of one measurement row (figures only: rebuilds are not kept, so heap figures stay honest). */
  static final class Samples {
    final String label;
    final List<long[]> nanos = new ArrayList<>(); // {translate, snapshot, cpu of both}
    final TreeSet<String> changedTypes = new TreeSet<>();
    final TreeSet<Integer> retranslated = new TreeSet<>();
    int unchanged;

    Samples(String label) {
      this.label = label;
    }

    void add(Rebuild run, Rebuild previous) {
      nanos.add(new long[] {run.translateNanos(), run.snapshotNanos(), run.cpuNanos()});
      retranslated.add(run.retranslated());
      if (previous != null) {
        String changed = run.changedTypes(previous);
        changedTypes.add(changed);
        if (changed.equals("none")) {
          unchanged++;
        }
      }
    }

    String row() {
      return String.format(Locale.ROOT, "%-40s %4d  %9s  %9s  %9s  %9s  %10s  %s",
          label, nanos.size(),
          p50Max(nanos.stream().mapToLong(n -> n[0]).toArray()),
          p50Max(nanos.stream().mapToLong(n -> n[1]).toArray()),
          p50Max(nanos.stream().mapToLong(n -> n[0] + n[1]).toArray()),
          p50Max(nanos.stream().mapToLong(n -> n[2]).toArray()),
          retranslated.size() == 1 ? String.valueOf(retranslated.first()) : retranslated.toString(),
          changedTypes.isEmpty() ? "-" : String.join(",", changedTypes));
    }

    /** The {@code q}-quantile (nearest rank) of {@code pick}'s nanoseconds, in ms. */
    double quantileMillis(ToLongFunction<long[]> pick, double q) {
      long[] sorted = nanos.stream().mapToLong(pick).sorted().toArray();
      int rank = (int) Math.ceil(q * sorted.length);
      return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }

    /** p50 and p99 of translate, versions and their total, as figures labelled with {@code labels}. */
    void record(BenchFigures figures, String key, Map<String, String> labels, BenchFigures.Target totalP99) {
      for (double q : new double[] {0.5, 0.99}) {
        String p = q == 0.5 ? "p50" : "p99";
        figures.figure("scale." + key + ".translate_ms." + p, labels, label + ": translate, " + p,
            quantileMillis(n -> n[0], q), "ms", null);
        figures.figure("scale." + key + ".versions_ms." + p, labels, label + ": snapshot + versions, " + p,
            quantileMillis(n -> n[1], q), "ms", null);
        figures.figure("scale." + key + ".total_ms." + p, labels, label + ": total, " + p,
            quantileMillis(n -> n[0] + n[1], q), "ms", q == 0.99 ? totalP99 : null);
        figures.figure("scale." + key + ".cpu_ms." + p, labels, label + ": CPU time of the rebuilding thread, " + p,
            quantileMillis(n -> n[2], q), "ms", null);
      }
    }

    private static String p50Max(long[] values) {
      long[] sorted = values.clone();
      Arrays.sort(sorted);
      long p50 = sorted[(sorted.length - 1) / 2];
      return sorted.length == 1 ? ms(p50) : ms(p50) + "/" + ms(sorted[sorted.length - 1]);
    }
  }

  /** One benchmark run with the parsed flags. */
  static final class Run {
    private final TranslatorScaleBenchmark flags;
    private final XdsTranslator xds;
    private int rateStep;
    private int sliceStep;
    /** What the last change* call changed, as the watcher would tell the translator. */
    private InputChanges lastChanges;

    Run(TranslatorScaleBenchmark flags) {
      this.flags = flags;
      this.xds = new XdsTranslator(GatewaySettings.defaults().transcoder(), flags.layout);
    }

    void execute() {
      Runtime rt = Runtime.getRuntime();
      System.out.printf(Locale.ROOT, "xds-server translator scale benchmark (figures only; nothing passes or fails)%n");
      System.out.printf(Locale.ROOT, "machine: %d cores, %s %s (%s), max heap %d MiB%n",
          rt.availableProcessors(), System.getProperty("java.vm.name"), System.getProperty("java.vm.version"),
          System.getProperty("java.vendor"), rt.maxMemory() >> 20);

      long heapBefore = heapUsedAfterGc();
      SyntheticGateway gateway = new SyntheticGateway(flags.bookCount, flags.namespaceCount);
      long heapInputs = heapUsedAfterGc();
      System.out.printf(Locale.ROOT, "input: %d books in %d namespaces, %d webhook integrations, %d book Services (EndpointSlice with 2 ready endpoints each)%n",
          gateway.books.size(), Math.min(flags.namespaceCount, flags.bookCount), gateway.webhookIntegrations, gateway.books.size());

      Samples firstCold = new Samples("cold: first translation in this JVM");
      firstCold.add(Rebuild.of(new IncrementalTranslator(xds), gateway.input(), null), null);

      for (int round = 0; round < flags.warmupRounds; round++) {
        IncrementalTranslator translator = new IncrementalTranslator(xds);
        Rebuild r = Rebuild.of(translator, gateway.input(), null);
        for (int k = 0; k < 5; k++) {
          r = Rebuild.of(translator, changeOneBook(gateway), r);
          r = Rebuild.of(translator, changeOneBook(gateway), lastChanges, r);
          r = Rebuild.of(translator, changeOneSlice(gateway), lastChanges, r);
          r = Rebuild.of(translator, gateway.input(), r);
        }
      }

      Samples cold = new Samples("cold: empty caches, JIT warm");
      IncrementalTranslator translator = null;
      Rebuild last = null;
      for (int i = 0; i < flags.coldRuns; i++) {
        translator = null;
        last = null;
        heapUsedAfterGc(); // each cold run starts from a collected heap, as a restart would
        translator = new IncrementalTranslator(xds);
        last = Rebuild.of(translator, gateway.input(), null);
        cold.add(last, null);
      }
      long heapBuilt = heapUsedAfterGc();

      Samples book = new Samples("warm: one book's rate limit changed");
      Samples slice = new Samples("warm: one EndpointSlice changed");
      Samples none = new Samples("warm: no change");
      Samples bookWalkAll = new Samples("warm: one book, told nothing (walk all)");
      for (int i = 0; i < flags.repeats; i++) {
        Rebuild next = Rebuild.of(translator, changeOneBook(gateway), lastChanges, last);
        book.add(next, last);
        last = next;
      }
      for (int i = 0; i < flags.repeats; i++) {
        Rebuild next = Rebuild.of(translator, changeOneSlice(gateway), lastChanges, last);
        slice.add(next, last);
        last = next;
      }
      GatewayInput unchanged = gateway.input();
      InputChanges nothing = InputChanges.of(Set.of(), Set.of());
      for (int i = 0; i < flags.repeats; i++) {
        Rebuild next = Rebuild.of(translator, unchanged, nothing, last);
        none.add(next, last);
        last = next;
      }
      for (int i = 0; i < flags.repeats; i++) {
        Rebuild next = Rebuild.of(translator, changeOneBook(gateway), last);
        bookWalkAll.add(next, last);
        last = next;
      }

      XdsResources resources = last.translation().resources();
      int routes = resources.routes().stream().mapToInt(r -> r.getVirtualHostsList().stream().mapToInt(v -> v.getRoutesCount()).sum()).sum();
      System.out.printf(Locale.ROOT, "resources: listeners=%d route configurations=%d (routes=%d) clusters=%d endpoints (CLAs)=%d%n",
          resources.listeners().size(), resources.routes().size(), routes, resources.clusters().size(), resources.endpoints().size());
      System.out.println();
      System.out.printf(Locale.ROOT, "%-40s %4s  %9s  %9s  %9s  %9s  %10s  %s%n",
          "measurement (times in ms, p50/max)", "runs", "translate", "snapshot", "total", "CPU", "books re-", "type versions changed");
      System.out.printf(Locale.ROOT, "%-40s %4s  %9s  %9s  %9s  %9s  %10s  %s%n",
          "", "", "", "+versions", "(wall)", "(thread)", "translated", "(vs. previous rebuild)");
      for (Samples s : List.of(firstCold, cold, book, slice, none, bookWalkAll)) {
        System.out.println(s.row());
      }
      System.out.printf(Locale.ROOT, "no change: all content versions unchanged in %d of %d runs: %s%n",
          none.unchanged, flags.repeats, none.unchanged == flags.repeats ? "yes" : "NO");
      System.out.println();

      System.out.printf(Locale.ROOT, "content versions of the last snapshot again, per type (ms, one pass over the same messages: digests remembered by identity): routes %s, clusters %s, CLAs %s, listeners %s%n",
          ms(versionNanos(resources.routes())), ms(versionNanos(resources.clusters())),
          ms(versionNanos(resources.endpoints())), ms(versionNanos(resources.listeners())));
      System.out.printf(Locale.ROOT, "serialized size (bytes): route configuration %,d; all clusters %,d; all CLAs %,d; listener %,d%n",
          size(resources.routes()), size(resources.clusters()), size(resources.endpoints()), size(resources.listeners()));
      System.out.printf(Locale.ROOT, "heap used after GC (approximate: MemoryMXBean after System.gc()): before inputs %d MiB, "
              + "with inputs %d MiB, with inputs + translator caches + one snapshot %d MiB (translation and snapshot ~%d MiB)%n",
          heapBefore >> 20, heapInputs >> 20, heapBuilt >> 20, (heapBuilt - heapInputs) >> 20);

      boolean single = flags.layout == RouteLayout.SINGLE;
      try (BenchFigures figures = single
          ? BenchFigures.open("scale", "xds-server translator at scale, in memory (make bench-scale)")
          : BenchFigures.open("scale-" + flags.layout.flagValue(),
              "xds-server translator at scale, " + flags.layout.flagValue() + " route layout, in memory (make bench-scale)")) {
        Map<String, String> labels = flags.layout == RouteLayout.SINGLE
            ? Map.of("books", String.valueOf(gateway.books.size()))
            : Map.of("books", String.valueOf(gateway.books.size()), "layout", flags.layout.name().toLowerCase(Locale.ROOT));
        figures.note(String.format(Locale.ROOT, "%d books in %d namespaces, %d webhook integrations; %d runs per change kind;"
                + " %d cores, max heap %d MiB", gateway.books.size(), Math.min(flags.namespaceCount, flags.bookCount),
            gateway.webhookIntegrations, flags.repeats, rt.availableProcessors(), rt.maxMemory() >> 20));
        cold.record(figures, "cold", labels, null);
        book.record(figures, "one_change", labels, BenchFigures.Target.below(10));
        slice.record(figures, "one_slice", labels, BenchFigures.Target.below(10));
        none.record(figures, "no_change", labels, null);
        bookWalkAll.record(figures, "one_change_walk_all", labels, null);
        figures.figure("scale.no_change.versions_stable_pct", labels, "no change: runs with every content version unchanged",
            100.0 * none.unchanged / flags.repeats, "%", BenchFigures.Target.exactly(100));
        figures.figure("scale.routes.bytes", labels, "serialized route configurations, all", size(resources.routes()), "bytes", null);
        figures.figure("scale.clusters.bytes", labels, "serialized clusters, all", size(resources.clusters()), "bytes", null);
        figures.figure("scale.endpoints.bytes", labels, "serialized load assignments, all", size(resources.endpoints()), "bytes", null);
        figures.figure("scale.heap_mib", labels, "heap for translator caches + one snapshot (approximate)",
            (heapBuilt - heapInputs) >> 20, "MiB", null);
      }
    }

    /** A new rate limit for one book (a different book and value every time). */
    private GatewayInput changeOneBook(SyntheticGateway gateway) {
      int step = rateStep++;
      int index = (step * 7919) % gateway.books.size();
      gateway.books.set(index, gateway.book(index, 50.0 + step * 0.01)); // within WebhookLimits
      lastChanges = InputChanges.of(Set.of(gateway.books.get(index).key()), Set.of());
      return gateway.input();
    }

    /** New endpoint addresses for one book's Service (alternating between two address sets). */
    private GatewayInput changeOneSlice(SyntheticGateway gateway) {
      int step = sliceStep++;
      int index = (step * 104729) % gateway.books.size();
      List<EndpointSliceView> current = gateway.slices.get(gateway.service(index));
      EndpointSliceView variant1 = gateway.bookSlice(index, 1);
      gateway.slices.put(gateway.service(index), List.of(current.get(0).equals(variant1) ? gateway.bookSlice(index, 0) : variant1));
      lastChanges = InputChanges.of(Set.of(), Set.of(gateway.service(index)));
      return gateway.input();
    }
  }

  private static long versionNanos(List<? extends Message> resources) {
    long start = System.nanoTime();
    for (Message m : resources) {
      ContentVersions.ofResource(m);
    }
    return System.nanoTime() - start;
  }

  private static long size(List<? extends Message> resources) {
    return resources.stream().mapToLong(Message::getSerializedSize).sum();
  }

  private static long heapUsedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static String ms(long nanos) {
    double ms = nanos / 1e6;
    return ms >= 100 ? String.format(Locale.ROOT, "%.0f", ms) : String.format(Locale.ROOT, "%.1f", ms);
  }
}
