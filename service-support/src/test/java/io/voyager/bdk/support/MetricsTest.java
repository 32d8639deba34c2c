package io.voyager.bdk.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.ref.WeakReference;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MetricsTest {

  @Test
  void aRegistryIsTaggedWithItsServiceAndCarriesTheJvmMetrics() {
    PrometheusMeterRegistry registry = Metrics.newRegistry("demo");
    try {
      String scrape = registry.scrape();
      assertThat(scrape).contains("service=\"demo\"");
      assertThat(registry.find("jvm.memory.used").meters()).isNotEmpty();
      assertThat(registry.find("jvm.gc.memory.allocated").meters()).isNotEmpty();
    } finally {
      registry.close();
    }
  }

  /**
   * JvmGcMetrics registers a listener on each garbage collector MXBean; the listener references
   * the registry. Unless the binder is closed, a stopped service's registry stays reachable from
   * the JVM for ever (and keeps counting GCs) — each in-process start/stop would leak one.
   */
  @Test
  void stoppingAServiceTwiceLeavesNeitherRegistryHeldByTheJvm() {
    for (int round = 1; round <= 2; round++) {
      WeakReference<PrometheusMeterRegistry> stopped = startAndStopAService("demo-" + round);
      await("registry of round " + round + " collected")
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> {
            System.gc();
            return stopped.get() == null;
          });
    }
  }

  @Test
  void aRegistryRegisteredWithACloserIsClosedWithIt() {
    Closer service = new Closer();
    PrometheusMeterRegistry registry = Metrics.newRegistry("demo", service);
    assertThat(registry.isClosed()).isFalse();

    service.close();

    assertThat(registry.isClosed()).isTrue();
  }

  /** A service's life in miniature: its Closer owns the registry; only a weak reference escapes. */
  private static WeakReference<PrometheusMeterRegistry> startAndStopAService(String name) {
    Closer service = new Closer();
    PrometheusMeterRegistry registry = Metrics.newRegistry(name, service);
    registry.counter("demo.requests").increment();
    service.close();
    return new WeakReference<>(registry);
  }
}
