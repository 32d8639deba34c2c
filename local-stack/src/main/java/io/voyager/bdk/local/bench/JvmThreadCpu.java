package io.voyager.bdk.local.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CPU used so far by this JVM's live threads, grouped by what the threads serve (their names): the
 * benchmark runs ext-authz, the sample book and the idle xds-server and library in one JVM, so the
 * process's CPU alone cannot say which of them a webhook cost. Threads that ended between two
 * snapshots and the JVM's own (GC, JIT compilers) are in no thread's time: {@link #JVM} is the
 * JVM's total minus its live threads'.
 */
final class JvmThreadCpu {
  private JvmThreadCpu() {}

  static final String BOOK = "book";
  static final String GRPC = "grpc";
  static final String NATS = "nats-client";
  /** Live Java threads of no group above (the xds-server's, the library's, timers, the common pool, …). */
  static final String OTHER = "other-threads";
  /** The JVM's CPU outside its live Java threads: GC, the JIT compilers, threads that ended. */
  static final String JVM = "gc-jit-ended";
  static final List<String> GROUPS = List.of(GRPC, NATS, BOOK, OTHER, JVM);

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** The group of a thread by its name; {@link #OTHER} when none fits. */
  static String group(String threadName) {
    String name = threadName.toLowerCase(Locale.ROOT);
    if (name.startsWith("sample-book") || name.startsWith("http-dispatcher")) {
      return BOOK; // the sample book's handlers and its JDK HttpServer's dispatcher
    }
    if (name.startsWith("grpc")) {
      return GRPC; // gRPC's network threads: ext-authz runs its Check calls on them (direct executor)
    }
    if (name.startsWith("ext-authz:")) {
      return NATS; // jnats names its threads after the connection: ext-authz's replay and rate-limit state in JetStream
    }
    return OTHER;
  }

  /** The CPU of each live thread (by id, with its group) and of the whole JVM at one moment. */
  record Snapshot(Map<Long, Long> threadNanos, Map<Long, String> threadGroups, long jvmNanos) {}

  static Snapshot snapshot() {
    Map<Long, Long> nanos = new HashMap<>();
    Map<Long, String> groups = new HashMap<>();
    long[] ids = THREADS.getAllThreadIds();
    ThreadInfo[] infos = THREADS.getThreadInfo(ids);
    for (int i = 0; i < ids.length; i++) {
      long cpu = THREADS.getThreadCpuTime(ids[i]);
      if (infos[i] != null && cpu >= 0) {
        nanos.put(ids[i], cpu);
        groups.put(ids[i], group(infos[i].getThreadName()));
      }
    }
    return new Snapshot(nanos, groups, CpuTime.jvmNanos());
  }

  /**
   * CPU nanoseconds per group from {@code before} to {@code after}: each thread alive at {@code after}
   * counts what it used since {@code before} (all of it when it started since); {@link #JVM} is the
   * JVM's growth minus the threads' (GC, JIT, and what threads that ended meanwhile used).
   */
  static Map<String, Long> between(Snapshot before, Snapshot after) {
    Map<String, Long> groups = new LinkedHashMap<>();
    GROUPS.forEach(g -> groups.put(g, 0L));
    after.threadNanos().forEach((id, cpu) ->
        groups.merge(after.threadGroups().get(id), cpu - before.threadNanos().getOrDefault(id, 0L), Long::sum));
    long threads = groups.values().stream().mapToLong(Long::longValue).sum();
    groups.put(JVM, after.jvmNanos() - before.jvmNanos() - threads);
    return groups;
  }
}
