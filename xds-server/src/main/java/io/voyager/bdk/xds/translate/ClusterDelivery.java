package io.voyager.bdk.xds.translate;

import java.util.Set;

/**
 * Which clusters Envoy gets at once and which only when it asks for them by name (on-demand
 * cluster discovery, ODCDS; scoped layout on delta xDS only, {@code --book-clusters on-demand}).
 * With {@code onDemand}, every cluster but the {@code eager} ones (our own services: the library,
 * ext-authz, the relay, the JWKS host) is left out of the wildcard CDS answer: Envoy's on_demand
 * filter subscribes to a book's cluster by name when a route first sends a request to it
 * (docs/design-decisions.md, "On-demand clusters"). Pure.
 */
public record ClusterDelivery(boolean onDemand, Set<String> eager) {
  /** Every cluster in the wildcard answer (the single layout, state-of-the-world, {@code --book-clusters eager}). */
  public static final ClusterDelivery ALL_EAGER = new ClusterDelivery(false, Set.of());

  public ClusterDelivery {
    eager = Set.copyOf(eager);
  }

  /** True if {@code cluster} is served only to an Envoy that subscribed to it by name. */
  public boolean byNameOnly(String cluster) {
    return onDemand && !eager.contains(cluster);
  }
}
