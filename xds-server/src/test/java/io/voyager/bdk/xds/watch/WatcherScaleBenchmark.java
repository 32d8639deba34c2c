package io.voyager.bdk.xds.watch;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.support.bench.BenchFigures;
import io.voyager.bdk.xds.Fixtures;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.server.SnapshotPublisher;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.RouteLayout;
import io.voyager.bdk.xds.translate.Translation;
import io.voyager.bdk.xds.translate.XdsTranslator;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Figures, not a test (runs only with {@code -Dbdk.bench.watch=true}; {@code make bench-watch}):
 * the whole watcher side of one change at N books — informers on the fabric8 mock server (CRUD
 * mode) holding N ExternalBookDefinitions, each with its own Service's EndpointSlice, a
 * {@link GatewayWatcher} with the real translator and {@link SnapshotPublisher}, and then single
 * changes (a book's webhook renamed, a book added with its slice, a book removed), each waited for
 * until the watcher's last translation shows it. Prints the CPU time per change of the watcher's
 * threads (the rebuild thread, the status writer, the informers' handler threads; the mock server's
 * own threads apart) and the rebuild's hops ({@code bdk.xds.rebuild.hop}); with
 * {@code -Dbdk.bench.watch.jfr=FILE} records a Java Flight Recorder profile of the measured changes.
 * Nothing here passes or fails.
 */
@EnableKubernetesMockClient(crud = true)
@EnabledIfSystemProperty(named = "bdk.bench.watch", matches = "true")
class WatcherScaleBenchmark {
  KubernetesClient client;
  /** The mock server logs every request at INFO (java.util.logging): kept quiet, its logging is not what is measured. */
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  @Test
  void oneChangeAtScale() throws Exception {
    int books = Integer.getInteger("bdk.bench.watch.books", 10_000);
    int changes = Integer.getInteger("bdk.bench.watch.changes", 60);
    int namespaces = Math.max(1, books / 10);
    client.resource(GatewayWatcherTest.slice("bdk", "book-library", "grpc", 50051, true)).create();
    client.resource(GatewayWatcherTest.slice("bdk", "ext-authz", "grpc", 18010, true)).create();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    GatewaySettings settings = GatewaySettings.defaults();
    SnapshotPublisher publisher = new SnapshotPublisher("bdk-gateway", registry);
    WatchSettings watch = WatchSettings.defaults();
    // The xds-server's default layout (--route-layout scoped); -Dbdk.bench.watch.layout=single for the other.
    RouteLayout layout = "single".equals(System.getProperty("bdk.bench.watch.layout")) ? RouteLayout.SINGLE : RouteLayout.SCOPED;
    try (GatewayWatcher watcher = new GatewayWatcher(client, settings,
        new IncrementalTranslator(new XdsTranslator(settings.transcoder(), layout)), publisher, new BookStatusLocks(), registry,
        watch)) {
      // Started first, then loaded through the API as make bench-convergence does (a first rebuild of
      // N books on a busy machine can outrun start()'s 60 s while its code is still interpreted).
      watcher.start();
      long loadStart = System.nanoTime();
      // Written in parallel (the common pool): loading is the slow part on a busy machine, not what is measured.
      java.util.stream.IntStream.range(0, books).parallel().forEach(i -> {
        String ns = "customer-" + (i % namespaces);
        client.resource(GatewayWatcherTest.slice(ns, "book-" + i, "http", 9000, true)).create();
        client.resource(GatewayWatcherTest.ebd(ns, "book-" + i)).create();
      });
      // Let the loading's rebuilds and status writes (one per book) settle: they are not what a change costs.
      awaitQuiet(registry);
      System.out.printf(Locale.ROOT, "loaded %d books and slices through the watcher in %d s%n", books,
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - loadStart));
      int warmup = Math.min(30, changes);
      for (int i = 0; i < warmup; i++) {
        change(watcher, i, namespaces, books);
      }
      awaitQuiet(registry);
      Map<String, Long> cpuBefore = cpuByThreadGroup();
      long processBefore = processCpuNanos();
      Map<String, double[]> hopsBefore = hops(registry);
      Recording recording = null;
      String jfr = System.getProperty("bdk.bench.watch.jfr");
      if (jfr != null && !jfr.isBlank()) {
        recording = new Recording(Configuration.getConfiguration("profile"));
        recording.start();
      }
      double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      for (int i = warmup; i < warmup + changes; i++) {
        change(watcher, i, namespaces, books);
      }
      awaitQuiet(registry);
      if (recording != null) {
        recording.stop();
        Files.createDirectories(Path.of(jfr).toAbsolutePath().getParent());
        recording.dump(Path.of(jfr));
        recording.close();
      }
      Map<String, Long> cpuAfter = cpuByThreadGroup();
      long processCpu = processCpuNanos() - processBefore;
      Map<String, double[]> hopsAfter = hops(registry);
      report(books, changes, layout, load, cpuBefore, cpuAfter, processCpu, hopsBefore, hopsAfter);
    }
  }

  /** Change {@code i}: rename book i's webhook (2 of 3), else remove the book made two changes ago or add one. */
  private void change(GatewayWatcher watcher, int i, int namespaces, int books) {
    int kind = i % 3;
    if (kind == 0) {
      String ns = "customer-" + (i % namespaces);
      ExternalBookDefinition book = GatewayWatcherTest.ebd(ns, "book-" + i);
      book.setSpec(Fixtures.book(ns, "book-" + i, Fixtures.webhook("gh" + i, "github")).spec());
      client.resources(ExternalBookDefinition.class).inNamespace(ns).withName("book-" + i)
          .edit(b -> {
            b.setSpec(book.getSpec());
            return b;
          });
      awaitBook(watcher, ns, "book-" + i, t -> t != null && t.toString().contains("gh" + i));
    } else if (kind == 1) {
      String ns = "customer-extra-" + (i % 7);
      EndpointSlice slice = GatewayWatcherTest.slice(ns, "added-" + i, "http", 9000, true);
      client.resource(slice).create();
      client.resource(GatewayWatcherTest.ebd(ns, "added-" + i)).create();
      awaitBook(watcher, ns, "added-" + i, t -> t instanceof BookTranslation.Accepted);
    } else {
      String ns = "customer-extra-" + ((i - 1) % 7);
      client.resources(ExternalBookDefinition.class).inNamespace(ns).withName("added-" + (i - 1)).delete();
      awaitBook(watcher, ns, "added-" + (i - 1), t -> t == null);
    }
  }

  private static void awaitBook(GatewayWatcher watcher, String ns, String name,
      java.util.function.Predicate<BookTranslation> done) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> {
      Translation last = watcher.lastTranslation();
      BookTranslation found = null;
      for (BookTranslation t : last.books()) {
        if (t.namespace().equals(ns) && t.name().equals(name)) {
          found = t;
          break;
        }
      }
      return done.test(found);
    });
  }

  /** Until no status write is pending and no rebuild ran for a while. */
  private static void awaitQuiet(SimpleMeterRegistry registry) {
    double[] builds = {-1};
    await().atMost(Duration.ofMinutes(40)).pollInterval(Duration.ofMillis(500)).until(() -> {
      double pending = registry.find("bdk.xds.status.writes.pending").gauge() == null ? 0
          : registry.find("bdk.xds.status.writes.pending").gauge().value();
      double now = registry.get("bdk.xds.snapshot.builds").counter().count();
      boolean quiet = pending == 0 && now == builds[0];
      builds[0] = now;
      return quiet;
    });
  }

  private static Map<String, double[]> hops(SimpleMeterRegistry registry) {
    Map<String, double[]> result = new TreeMap<>();
    for (Timer timer : registry.find("bdk.xds.rebuild.hop").timers()) {
      result.put(timer.getId().getTag("hop"), new double[] {timer.count(), timer.totalTime(TimeUnit.NANOSECONDS)});
    }
    Timer total = registry.get("bdk.xds.translation").timer();
    result.put("(rebuild)", new double[] {total.count(), total.totalTime(TimeUnit.NANOSECONDS)});
    return result;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** CPU nanos of the live threads, summed by name with digits dropped ({@code pool-3-thread-1} → {@code pool--thread-}). */
  private static Map<String, Long> cpuByThreadGroup() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, Long> result = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      ThreadInfo info = threads.getThreadInfo(id);
      long cpu = threads.getThreadCpuTime(id);
      if (info != null && cpu > 0) {
        result.merge(info.getThreadName().replaceAll("[0-9]+", "#"), cpu, Long::sum);
      }
    }
    return result;
  }

  private static void report(int books, int changes, RouteLayout layout, double load, Map<String, Long> before, Map<String, Long> after,
      long processCpu, Map<String, double[]> hopsBefore, Map<String, double[]> hopsAfter) {
    StringBuilder table = new StringBuilder();
    table.append(String.format(Locale.ROOT, "watcher at %d books, %s route layout, %d changes (rename, add, remove),"
        + " load average %.2f%n", books, layout.name().toLowerCase(Locale.ROOT), changes, load));
    table.append(String.format(Locale.ROOT, "%-48s %12s%n", "thread (digits as #)", "CPU ms/change"));
    List<Map.Entry<String, Long>> rows = new ArrayList<>();
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long delta = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      if (delta > 0) {
        rows.add(Map.entry(e.getKey(), delta));
      }
    }
    rows.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    double watcherCpu = 0;
    for (Map.Entry<String, Long> row : rows) {
      double perChange = row.getValue() / 1e6 / changes;
      if (isWatcherThread(row.getKey())) {
        watcherCpu += perChange;
      }
      if (perChange >= 0.05) {
        table.append(String.format(Locale.ROOT, "%-48s %12.2f%s%n", row.getKey(), perChange,
            isWatcherThread(row.getKey()) ? "" : "  (test/mock)"));
      }
    }
    double process = processCpu / 1e6 / changes;
    table.append(String.format(Locale.ROOT, "%-48s %12.2f%n", "watcher threads (rebuild, status, informers)", watcherCpu));
    table.append(String.format(Locale.ROOT, "%-48s %12.2f%n", "whole JVM (mock server, client, test, GC, JIT)", process));
    table.append(String.format(Locale.ROOT, "%-48s %12s %12s%n", "rebuild hop (wall)", "rebuilds", "ms/rebuild"));
    Map<String, Double> hopMs = new TreeMap<>();
    for (Map.Entry<String, double[]> e : hopsAfter.entrySet()) {
      double[] b = hopsBefore.getOrDefault(e.getKey(), new double[2]);
      double count = e.getValue()[0] - b[0];
      double ms = count == 0 ? 0 : (e.getValue()[1] - b[1]) / 1e6 / count;
      hopMs.put(e.getKey(), ms);
      table.append(String.format(Locale.ROOT, "%-48s %12.0f %12.2f%n", e.getKey(), count, ms));
    }
    System.out.print(table);
    try (BenchFigures figures = BenchFigures.open("watch", "The watcher side of one change (mock API server)")) {
      figures.note(String.format(Locale.ROOT, "%d books, %s route layout, %d changes (rename a webhook, add a book with its"
          + " slice, remove it), fabric8 mock server in CRUD mode in the same JVM; load average %.2f", books,
          layout.name().toLowerCase(Locale.ROOT), changes, load));
      Map<String, String> labels = Map.of("books", String.valueOf(books), "layout", layout.name().toLowerCase(Locale.ROOT));
      figures.figure("watch.cpu_ms_per_change", labels, "watcher threads' CPU per change", watcherCpu, "ms", null);
      figures.figure("watch.jvm_cpu_ms_per_change", labels, "whole JVM CPU per change (with the mock server)", process, "ms", null);
      hopMs.forEach((hop, ms) -> figures.figure("watch.hop_ms", Map.of("books", String.valueOf(books), "hop", hop,
              "layout", layout.name().toLowerCase(Locale.ROOT)),
          "rebuild hop " + hop + " (wall, mean)", ms, "ms", null));
      figures.text(table.toString());
    }
  }

  /** The watcher's own threads: its rebuild and status-writer threads and the informers' event threads. */
  private static boolean isWatcherThread(String name) {
    return name.startsWith("xds-") || name.contains("informer") || name.contains("Informer") || name.contains("-executor")
        || name.startsWith("vert.x") || name.startsWith("OkHttp") || name.startsWith("pool-");
  }
}
