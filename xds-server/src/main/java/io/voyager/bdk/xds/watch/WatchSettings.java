package io.voyager.bdk.xds.watch;

import io.voyager.bdk.xds.translate.XdsResources;
import java.time.Duration;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * How a {@link GatewayWatcher} paces and shapes its rebuilds: the {@link Debouncer}'s quiet period
 * and longest delay, the {@link FirstEndpointsGate}'s grace, and a filter applied to every
 * translation's resources before they are published. {@link #defaults()} is the production
 * wiring with the xds-server's default flags; the {@code with…} methods change one thing.
 *
 * @param debounceQuiet quiet period that coalesces events following a rebuild
 * @param debounceMax longest a burst of events delays a rebuild
 * @param firstEndpointsGrace how long a book added while the gateway runs is held out until its
 *     Service has a ready endpoint (zero: never held)
 * @param outputFilter applied to every translation's resources before they are published (and
 *     before their content versions are computed, so versions stay content-derived); production
 *     uses {@link UnaryOperator#identity()}, tests use it to inject a resource Envoy refuses
 * @param firstSnapshotWait how long {@link GatewayWatcher#start()} waits for the first snapshot
 *     before it returns anyway (the rebuild goes on; readiness waits for the snapshot)
 */
public record WatchSettings(
    Duration debounceQuiet,
    Duration debounceMax,
    Duration firstEndpointsGrace,
    UnaryOperator<XdsResources> outputFilter,
    Duration firstSnapshotWait) {

  /**
   * The xds-server's {@code --debounce-ms} default, in milliseconds: writes that follow a rebuild
   * within it are coalesced into one (so a stream of writes, such as many books created back to
   * back, costs few rebuilds), and a change that follows another rebuild (an add's book written
   * just after its Service and EndpointSlice) waits no longer than this (100 ms until 2026-12-07:
   * at 10,000 books it was most of an add's time to be served; docs/design-decisions.md).
   */
  public static final String DEFAULT_DEBOUNCE_MS = "20";
  /** {@link #DEFAULT_DEBOUNCE_MS} as a duration. */
  public static final Duration DEFAULT_DEBOUNCE_QUIET = Duration.ofMillis(Long.parseLong(DEFAULT_DEBOUNCE_MS));
  /** The xds-server's {@code --debounce-max-ms} default. */
  public static final Duration DEFAULT_DEBOUNCE_MAX = Duration.ofSeconds(1);
  /** The first-endpoints grace when none is given: long enough for a Pod to start, bounded. */
  public static final Duration DEFAULT_FIRST_ENDPOINTS_GRACE = Duration.ofSeconds(30);
  /** How long the start waits for the first snapshot before serving without it (seconds at 10,000 books when quiet). */
  public static final Duration DEFAULT_FIRST_SNAPSHOT_WAIT = Duration.ofSeconds(60);

  public WatchSettings {
    Objects.requireNonNull(debounceQuiet, "debounceQuiet");
    Objects.requireNonNull(debounceMax, "debounceMax");
    Objects.requireNonNull(firstEndpointsGrace, "firstEndpointsGrace");
    Objects.requireNonNull(outputFilter, "outputFilter");
    Objects.requireNonNull(firstSnapshotWait, "firstSnapshotWait");
    if (debounceQuiet.isNegative() || debounceMax.compareTo(debounceQuiet) < 0) {
      throw new IllegalArgumentException("debounce: need 0 <= quiet <= max, got quiet=" + debounceQuiet + " max=" + debounceMax);
    }
    if (firstSnapshotWait.isNegative()) {
      throw new IllegalArgumentException("firstSnapshotWait: must be at least 0, got " + firstSnapshotWait);
    }
    if (firstEndpointsGrace.isNegative()) {
      throw new IllegalArgumentException("firstEndpointsGrace: must be at least 0 (0: a new book is never held), got "
          + firstEndpointsGrace);
    }
  }

  /** The production defaults, nothing filtered. */
  public static WatchSettings defaults() {
    return new WatchSettings(DEFAULT_DEBOUNCE_QUIET, DEFAULT_DEBOUNCE_MAX, DEFAULT_FIRST_ENDPOINTS_GRACE, UnaryOperator.identity(),
        DEFAULT_FIRST_SNAPSHOT_WAIT);
  }

  /** These settings with another debounce quiet period and longest delay. */
  public WatchSettings withDebounce(Duration quiet, Duration max) {
    return new WatchSettings(quiet, max, firstEndpointsGrace, outputFilter, firstSnapshotWait);
  }

  /** These settings with another first-endpoints grace (zero: a new book is never held). */
  public WatchSettings withFirstEndpointsGrace(Duration grace) {
    return new WatchSettings(debounceQuiet, debounceMax, grace, outputFilter, firstSnapshotWait);
  }

  /** These settings with {@code filter} applied to every translation's resources before publishing. */
  public WatchSettings withOutputFilter(UnaryOperator<XdsResources> filter) {
    return new WatchSettings(debounceQuiet, debounceMax, firstEndpointsGrace, filter, firstSnapshotWait);
  }

  /** These settings with another wait for the first snapshot at start. */
  public WatchSettings withFirstSnapshotWait(Duration wait) {
    return new WatchSettings(debounceQuiet, debounceMax, firstEndpointsGrace, outputFilter, wait);
  }
}
