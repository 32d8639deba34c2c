package io.voyager.bdk.support.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU this JVM's JIT compiler threads ("C1/C2 CompilerThread…") used, for benchmarks that warm up
 * until the JIT has settled: read from {@code /proc/self/task/{tid}/stat} (utime + stime, in
 * USER_HZ = 100 ticks a second), nothing where there is no {@code /proc}. The compilation MXBean's
 * time is the compilers' elapsed time, which a loaded machine inflates beyond their CPU, and the
 * thread MXBean does not list the compiler threads.
 *
 * <p>The JVM starts compiler threads when compilations queue up and ends the extra ones once idle
 * (UseDynamicNumberOfCompilerThreads, on by default; several threads on a machine with more than a
 * few cores), so the CPU between two {@link Reading}s is summed per thread: a thread that ended
 * meanwhile takes nothing off (a sum over the threads alive at each reading would lose its whole
 * life's CPU and could come out negative).
 */
public final class JitCpu {
  /** A warm-up has settled when the compiler threads took less than this share of the JVM's CPU over a round. */
  public static final double SETTLED_SHARE = 0.05;

  private JitCpu() {}

  /** The compiler threads alive at one moment and the CPU ticks each had used so far. */
  public static final class Reading {
    private final Map<String, Long> ticksByThread;

    Reading(Map<String, Long> ticksByThread) {
      this.ticksByThread = Map.copyOf(ticksByThread);
    }

    /**
     * Nanoseconds of CPU the compiler threads used from {@code earlier} to this reading (10 ms
     * resolution): each thread alive now counts what it used since {@code earlier} (all of it if it
     * started since); a thread that ended in between counts nothing (its ticks went with it).
     */
    public long nanosSince(Reading earlier) {
      long ticks = 0;
      for (Map.Entry<String, Long> thread : ticksByThread.entrySet()) {
        ticks += Math.max(0, thread.getValue() - earlier.ticksByThread.getOrDefault(thread.getKey(), 0L));
      }
      return ticks * 10_000_000L;
    }
  }

  /** The compiler threads' CPU now (none where there is no {@code /proc}). */
  public static Reading read() {
    Map<String, Long> ticks = new HashMap<>();
    File[] tasks = new File("/proc/self/task").listFiles();
    if (tasks == null) {
      return new Reading(ticks);
    }
    for (File task : tasks) {
      try {
        String stat = Files.readString(task.toPath().resolve("stat"));
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open || !stat.substring(open + 1, close).contains("CompilerThre")) {
          continue;
        }
        String[] fields = stat.substring(close + 2).split(" ");
        // utime, stime (fields 14 and 15); keyed by thread id and start time (field 22): a reused id is another thread
        ticks.put(task.getName() + "@" + fields[19], Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
      } catch (IOException | RuntimeException e) {
        // a thread that ended meanwhile
      }
    }
    return new Reading(ticks);
  }

  /**
   * Waits until the JIT compiler threads have used no CPU for {@code quiet} (compilations queued
   * by what ran just before, e.g. building a benchmark's request pool, finish before a measured
   * window opens instead of inside it), or until {@code deadline} has passed; polls every 50 ms.
   * Returns whether they went quiet.
   */
  public static boolean awaitQuiet(java.time.Duration quiet, java.time.Duration deadline) throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    Reading last = read();
    long quietSince = System.nanoTime();
    while (System.nanoTime() < end) {
      Thread.sleep(50); // the poll interval; the condition is the compilers' CPU, read below
      Reading now = read();
      if (now.nanosSince(last) > 0) {
        quietSince = System.nanoTime();
      } else if (System.nanoTime() - quietSince >= quiet.toNanos()) {
        return true;
      }
      last = now;
    }
    return false;
  }

  /** The compilers' share of {@code cpuNanos} (0 when none was used), at most 1. */
  public static double share(long compilerNanos, long cpuNanos) {
    return cpuNanos <= 0 ? 0 : Math.min(1, (double) compilerNanos / cpuNanos);
  }
}
