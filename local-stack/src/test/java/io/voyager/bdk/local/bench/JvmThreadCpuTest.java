package io.voyager.bdk.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class JvmThreadCpuTest {

  @Test
  void threadsAreGroupedByWhatTheyServe() {
    assertThat(JvmThreadCpu.group("grpc-default-worker-ELG-3-1")).isEqualTo(JvmThreadCpu.GRPC);
    assertThat(JvmThreadCpu.group("ext-authz:12")).isEqualTo(JvmThreadCpu.NATS);
    assertThat(JvmThreadCpu.group("sample-book-bench-backend")).isEqualTo(JvmThreadCpu.BOOK);
    assertThat(JvmThreadCpu.group("HTTP-Dispatcher")).isEqualTo(JvmThreadCpu.BOOK);
    assertThat(JvmThreadCpu.group("webhook-relay:3")).isEqualTo(JvmThreadCpu.OTHER);
    assertThat(JvmThreadCpu.group("main")).isEqualTo(JvmThreadCpu.OTHER);
  }

  @Test
  void aThreadsCpuSinceTheFirstSnapshotCountsInItsGroup() throws Exception {
    long busyNanos = 20_000_000;
    CountDownLatch spun = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    JvmThreadCpu.Snapshot before = JvmThreadCpu.snapshot();
    Thread book = new Thread(() -> {
      var threads = ManagementFactory.getThreadMXBean();
      long x = 0;
      while (threads.getCurrentThreadCpuTime() < busyNanos) {
        x += System.nanoTime() % 7; // CPU work until the thread has used busyNanos
      }
      spun.countDown();
      try {
        release.await(); // stays alive for the second snapshot
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (x == 42) {
        System.out.print("");
      }
    }, "sample-book-test");
    book.start();
    spun.await();
    Map<String, Long> groups = JvmThreadCpu.between(before, JvmThreadCpu.snapshot());
    release.countDown();
    book.join();
    assertThat(groups).containsOnlyKeys(JvmThreadCpu.GROUPS);
    assertThat(groups.get(JvmThreadCpu.BOOK)).isGreaterThanOrEqualTo(busyNanos);
  }

  @Test
  void endedChildrenCpuGrowsOnceAChildWasWaitedFor() throws Exception {
    long before = CpuTime.endedChildrenNanos();
    assertThat(before).isGreaterThanOrEqualTo(0);
    Process child = new ProcessBuilder("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done").start();
    assertThat(child.waitFor()).isZero();
    assertThat(CpuTime.endedChildrenNanos()).isGreaterThanOrEqualTo(before);
  }
}
