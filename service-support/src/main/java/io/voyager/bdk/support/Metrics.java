package io.voyager.bdk.support;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prometheus registries, tagged with the service name and bound to the JVM's own metrics.
 *
 * <p>Some JVM binders hold JVM-wide resources ({@link JvmGcMetrics} listens to every garbage
 * collector's notifications, and the listener keeps the registry reachable). Closing a registry
 * made here closes those binders too, so a service started and stopped in-process (tests, the
 * local stack) leaves nothing listening behind it.
 */
public final class Metrics {
  private Metrics() {}

  /** A registry whose {@code close()} also closes its JVM binders; the caller closes it. */
  public static PrometheusMeterRegistry newRegistry(String service) {
    ServiceRegistry registry = new ServiceRegistry(
        List.of(new ClassLoaderMetrics(), new JvmMemoryMetrics(), new JvmGcMetrics(), new JvmThreadMetrics(),
            new ProcessorMetrics()));
    registry.config().commonTags("service", service);
    registry.binders.forEach(binder -> binder.bindTo(registry));
    return registry;
  }

  /** As {@link #newRegistry(String)}, closed (with its binders) when {@code closer} closes. */
  public static PrometheusMeterRegistry newRegistry(String service, Closer closer) {
    PrometheusMeterRegistry registry = newRegistry(service);
    closer.register(new RegistryCloser(registry));
    return registry;
  }

  private static final class ServiceRegistry extends PrometheusMeterRegistry {
    private static final Logger log = LoggerFactory.getLogger(Metrics.class);
    private final List<MeterBinder> binders;

    ServiceRegistry(List<MeterBinder> binders) {
      super(PrometheusConfig.DEFAULT);
      this.binders = binders;
    }

    @Override
    public void close() {
      for (MeterBinder binder : binders) {
        if (binder instanceof AutoCloseable closeable) {
          try {
            closeable.close();
          } catch (Exception e) {
            log.warn("event=metrics_binder_close_failed binder={} error=\"{}\"", binder.getClass().getSimpleName(), e.toString());
          }
        }
      }
      super.close();
    }
  }

  /** Lets a {@link Closer} close a registry (a MeterRegistry is not AutoCloseable). */
  private record RegistryCloser(PrometheusMeterRegistry registry) implements AutoCloseable {
    @Override
    public void close() {
      registry.close();
    }
  }
}
