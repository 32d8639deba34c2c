package io.voyager.bdk.xds.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.xds.version.XdsType;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoys on state-of-the-world xDS that cannot get a working configuration: the protocol is
 * Envoy's choice (its bootstrap's {@code api_type}), and java-control-plane's state-of-the-world
 * server does not serve route scopes ({@code ScopedRouteConfiguration}), so such an Envoy's public
 * listeners never start. A node is flagged when one of its state-of-the-world streams makes a
 * request while the route layout serves its routes over delta only, or asks for a type served over
 * delta only. Such an Envoy reconnects again and again (the state-of-the-world server ends its
 * streams), so the check keeps nodes, not streams: one {@code event=xds_protocol_mismatch} per node
 * (again only after it was forgotten), the flagged nodes on {@code /debug/sync}
 * ({@code protocol_mismatches}) and their number in gauge {@code bdk.xds.envoy.protocol.mismatch}
 * (Prometheus {@code bdk_xds_envoy_protocol_mismatch}). A node is forgotten when it speaks delta
 * or after {@link #FORGET_AFTER} without a mismatched request. Bounded: at most
 * {@value #NODES_KEPT} nodes and {@value #STREAMS_KEPT} streams' node names are kept.
 */
public final class ProtocolMismatchCheck implements DiscoveryServerCallbacks {
  private static final Logger log = LoggerFactory.getLogger(ProtocolMismatchCheck.class);
  public static final String GAUGE = "bdk.xds.envoy.protocol.mismatch";
  static final Duration FORGET_AFTER = Duration.ofMinutes(2);
  static final int NODES_KEPT = 1024;
  static final int STREAMS_KEPT = 4096;

  /**
   * One row of {@code /debug/sync}'s {@code protocol_mismatches}: the node, its cluster, the
   * protocol, the reason with the fix, how many of its streams were flagged and the latest one.
   */
  public record Mismatch(String node, String cluster, String protocol, String reason, long streams, long lastStream) {}

  private record Node(String id, String cluster) {}

  private record Flag(Mismatch row, long lastSeenNanos) {}

  private final String routeLayout;
  private final boolean layoutNeedsDelta;
  private final LongSupplier nanoTime;
  /** Node of each state-of-the-world stream (Envoy names it on the first request only). */
  private final Cache<Long, Node> sotwStreams = Caffeine.newBuilder().maximumSize(STREAMS_KEPT).build();
  private final Cache<String, Flag> flagged = Caffeine.newBuilder().maximumSize(NODES_KEPT).build();

  /**
   * {@code routeLayout} names the xds-server's {@code --route-layout}; {@code layoutNeedsDelta}:
   * whether that layout's routes are served over delta xDS only.
   */
  public ProtocolMismatchCheck(MeterRegistry registry, String routeLayout, boolean layoutNeedsDelta) {
    this(registry, routeLayout, layoutNeedsDelta, System::nanoTime);
  }

  ProtocolMismatchCheck(MeterRegistry registry, String routeLayout, boolean layoutNeedsDelta, LongSupplier nanoTime) {
    this.routeLayout = routeLayout;
    this.layoutNeedsDelta = layoutNeedsDelta;
    this.nanoTime = nanoTime;
    Gauge.builder(GAUGE, this, check -> check.report().size())
        .description("Envoy nodes on state-of-the-world xDS that the route layout cannot serve (they need api_type DELTA_GRPC)")
        .strongReference(true)
        .register(registry);
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    Node node;
    if (request.hasNode()) {
      node = new Node(request.getNode().getId(), request.getNode().getCluster());
      sotwStreams.put(streamId, node);
    } else {
      node = Objects.requireNonNullElse(sotwStreams.getIfPresent(streamId), new Node("", ""));
    }
    String reason;
    if (XdsType.SCOPED_ROUTE_TYPE_URL.equals(request.getTypeUrl())) {
      reason = "asks for ScopedRouteConfiguration over state-of-the-world; route scopes are served over delta xDS only";
    } else if (layoutNeedsDelta) {
      reason = "route layout " + routeLayout + " serves its routes (ScopedRouteConfiguration) over delta xDS only";
    } else {
      return;
    }
    String fix = reason + ": set dynamic_resources.ads_config.api_type DELTA_GRPC in this Envoy's bootstrap"
        + (layoutNeedsDelta ? ", or run the xds-server with --route-layout single" : "");
    long now = nanoTime.getAsLong();
    boolean[] isNew = {false};
    flagged.asMap().compute(node.id(), (id, old) -> {
      boolean live = old != null && now - old.lastSeenNanos() < FORGET_AFTER.toNanos();
      isNew[0] = !live;
      long streams = !live ? 1 : old.row().streams() + (old.row().lastStream() == streamId ? 0 : 1);
      String why = live ? old.row().reason() : fix; // the reason it was flagged for, as logged
      return new Flag(new Mismatch(node.id(), node.cluster(), SyncTracker.SOTW, why, streams, streamId), now);
    });
    if (isNew[0]) {
      log.error("event=xds_protocol_mismatch node={} cluster={} stream={} protocol={} route_layout={} type={} reason=\"{}\"",
          node.id(), node.cluster(), streamId, SyncTracker.SOTW, routeLayout, SyncTracker.shortType(request.getTypeUrl()),
          fix);
    }
  }

  /** A node that speaks delta has fixed its bootstrap. */
  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    if (request.hasNode() && flagged.asMap().remove(request.getNode().getId()) != null) {
      log.info("event=xds_protocol_mismatch_resolved node={} protocol={}", request.getNode().getId(), SyncTracker.DELTA);
    }
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    sotwStreams.invalidate(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    sotwStreams.invalidate(streamId);
  }

  /** The nodes flagged and not forgotten, by node; forgets the others. */
  public List<Mismatch> report() {
    long now = nanoTime.getAsLong();
    flagged.asMap().values().removeIf(flag -> now - flag.lastSeenNanos() >= FORGET_AFTER.toNanos());
    return flagged.asMap().values().stream().map(Flag::row).sorted(Comparator.comparing(Mismatch::node)).toList();
  }
}
