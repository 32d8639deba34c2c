package io.voyager.bdk.local.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time used so far by this JVM and by another process (Linux {@code /proc/<pid>/stat}, user +
 * system). Benchmarks divide it by the requests served: CPU per request holds far better than a
 * rate on a machine other work shares.
 */
final class CpuTime {
  private CpuTime() {}

  /** Linux's USER_HZ: the unit of /proc/<pid>/stat's times (100 on every mainstream kernel). */
  private static final long TICKS_PER_SECOND = 100;

  static long jvmNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** The process's user + system CPU in nanoseconds; -1 when it cannot be read (not Linux, gone). */
  static long processNanos(long pid) {
    return statNanos(pid, 11);
  }

  /** The process's system (kernel: syscalls, network stack, wake-ups) CPU in nanoseconds; -1 when it cannot be read. */
  static long processSystemNanos(long pid) {
    return field(pid, 12);
  }

  /**
   * User + system CPU of this JVM's child processes that ended and were waited for (cutime, cstime):
   * a load generator run as a child (wrk) counts here once it exited; -1 when it cannot be read.
   */
  static long endedChildrenNanos() {
    return statNanos(ProcessHandle.current().pid(), 13);
  }

  /** Two consecutive /proc/<pid>/stat times from {@code field} (counted after the command name). */
  private static long statNanos(long pid, int field) {
    long first = field(pid, field);
    long second = field(pid, field + 1);
    return first < 0 || second < 0 ? -1 : first + second;
  }

  /** One /proc/<pid>/stat time (clock ticks) at {@code field} (counted after the command name), in nanoseconds. */
  private static long field(long pid, int field) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // utime, stime (fields 14, 15) at 11, 12; cutime, cstime (fields 16, 17) at 13, 14.
      long ticks = Long.parseLong(fields[field]);
      return ticks * (1_000_000_000L / TICKS_PER_SECOND);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
