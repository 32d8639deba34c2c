package io.voyager.bdk.support.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;

/**
 * CPU this JVM's JIT compiler threads ("C1/C2 CompilerThread…") used so far, for benchmarks that
 * warm up until the JIT has settled: read from {@code /proc/self/task/{tid}/stat} (utime + stime,
 * in USER_HZ = 100 ticks a second), 0 where there is no {@code /proc}. The compilation MXBean's
 * time is the compilers' elapsed time, which a loaded machine inflates beyond their CPU, and the
 * thread MXBean does not list the compiler threads.
 */
public final class JitCpu {
  /** A warm-up has settled when the compiler threads took less than this share of the JVM's CPU over a round. */
  public static final double SETTLED_SHARE = 0.05;

  private JitCpu() {}

  /** Nanoseconds of CPU the JIT compiler threads alive now have used (10 ms resolution). */
  public static long compilerNanos() {
    long ticks = 0;
    File[] tasks = new File("/proc/self/task").listFiles();
    if (tasks == null) {
      return 0;
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
        ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14 and 15)
      } catch (IOException | RuntimeException e) {
        // a thread that ended meanwhile
      }
    }
    return ticks * 10_000_000L;
  }

  /**
   * Waits until the JIT compiler threads have used no CPU for {@code quiet} (compilations queued
   * by what ran just before, e.g. building a benchmark's request pool, finish before a measured
   * window opens instead of inside it), or until {@code deadline} has passed; polls every 50 ms.
   * Returns whether they went quiet.
   */
  public static boolean awaitQuiet(java.time.Duration quiet, java.time.Duration deadline) throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    long last = compilerNanos();
    long quietSince = System.nanoTime();
    while (System.nanoTime() < end) {
      Thread.sleep(50); // the poll interval; the condition is the compilers' CPU, read below
      long now = compilerNanos();
      if (now != last) {
        last = now;
        quietSince = System.nanoTime();
      } else if (System.nanoTime() - quietSince >= quiet.toNanos()) {
        return true;
      }
    }
    return false;
  }

  /** The compilers' share of {@code cpuNanos} (0 when none was used), at most 1. */
  public static double share(long compilerNanos, long cpuNanos) {
    return cpuNanos <= 0 ? 0 : Math.min(1, (double) compilerNanos / cpuNanos);
  }
}
