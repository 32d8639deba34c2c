package io.voyager.bdk.controller.status;

import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import java.util.List;

/**
 * Gauge {@code bdk.controller.instances{phase}} (Prometheus {@code bdk_controller_instances}): how
 * many BookInstanceDefinitions are in each phase, read from JOSDK's primary cache through an index
 * on the phase — no API call per scrape, no informer of its own. Every phase is registered at
 * start, so each series exists at 0. Instances with no status yet (or a phase this controller does
 * not write) count as {@code Unknown}.
 *
 * <p>JOSDK starts the primary informer on every replica, leader or not (only event processing
 * waits for the Lease), so a standby reports the same counts as the leader, from the statuses the
 * leader writes. Aggregate with {@code max}, not {@code sum}, across replicas.
 */
public final class InstancePhaseGauge {
  public static final String NAME = "bdk.controller.instances";
  public static final String UNKNOWN = "Unknown";
  public static final List<String> PHASES = List.of(
      BookInstanceDefinitionStatus.PENDING,
      BookInstanceDefinitionStatus.READY,
      BookInstanceDefinitionStatus.UPDATING,
      BookInstanceDefinitionStatus.FAILED,
      UNKNOWN);
  private static final String BY_PHASE = "instance-by-phase";

  /** The primary cache, once JOSDK has handed it over (before that every phase reads 0). */
  private volatile IndexedResourceCache<BookInstanceDefinition> primaries;

  public InstancePhaseGauge(MeterRegistry registry) {
    for (String phase : PHASES) {
      Gauge.builder(NAME, this, gauge -> gauge.count(phase))
          .tag("phase", phase)
          .description("BookInstanceDefinitions in bdk by status phase (Unknown: no status yet)")
          .strongReference(true)
          .register(registry);
    }
  }

  /** Indexes JOSDK's primary cache by phase; call before the informer starts (from prepareEventSources). */
  public void countFrom(IndexerResourceCache<BookInstanceDefinition> primaryCache) {
    primaryCache.addIndexer(BY_PHASE, instance -> List.of(phaseOf(instance)));
    this.primaries = primaryCache;
  }

  /** The phase an instance is counted under: its status phase if one of {@link #PHASES}, else Unknown. */
  public static String phaseOf(BookInstanceDefinition instance) {
    BookInstanceDefinitionStatus status = instance.getStatus();
    String phase = status == null ? null : status.phase();
    return phase != null && PHASES.contains(phase) ? phase : UNKNOWN;
  }

  private double count(String phase) {
    IndexedResourceCache<BookInstanceDefinition> cache = primaries;
    return cache == null ? 0 : cache.byIndex(BY_PHASE, phase).size();
  }
}
