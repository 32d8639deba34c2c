package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A snapshot's on-demand route scopes with the book each serves: scope name → its route
 * configuration and the book's cluster (the first cluster its routes name that the snapshot serves
 * by name only, {@link ContentVersionedSnapshot#byNameOnly}). Scopes whose routes name no such
 * cluster (eager clusters, the library's scope) are not books here, nor is a book whose cluster a
 * route configuration no on-demand scope names routes to as well (the internal delivery listener's,
 * for a book with a queued integration): evicting its cluster would leave that route waiting out
 * Envoy's on-demand timeout, as Envoy does not ask again for a name it is subscribed to. Computed once per snapshot
 * ({@link #of}), shared by every stream.
 */
record BookScopes(Map<String, Entry> byScope) {
  /** One scope's route configuration (as the snapshot names it) and its book's cluster. */
  record Entry(String routeConfiguration, String cluster) {}

  private static final Object LOCK = new Object();
  private static ContentVersionedSnapshot cachedFor;
  private static BookScopes cached;

  /** The book scopes of {@code snapshot} (the last one computed is kept). */
  static BookScopes of(ContentVersionedSnapshot snapshot) {
    synchronized (LOCK) {
      if (cachedFor != snapshot) {
        cached = compute(snapshot);
        cachedFor = snapshot;
      }
      return cached;
    }
  }

  private static BookScopes compute(ContentVersionedSnapshot snapshot) {
    Map<String, VersionedResource<?>> routes = snapshot.resources(XdsType.ROUTE);
    Map<String, Entry> byScope = new HashMap<>();
    Set<String> scopedRouteConfigurations = new HashSet<>();
    snapshot.resources(XdsType.SCOPED_ROUTE).forEach((name, resource) -> {
      if (resource.resource() instanceof ScopedRouteConfiguration scope && scope.getOnDemand()) {
        scopedRouteConfigurations.add(scope.getRouteConfigurationName());
        VersionedResource<?> route = routes.get(scope.getRouteConfigurationName());
        if (route != null && route.resource() instanceof RouteConfiguration config) {
          String cluster = onDemandCluster(snapshot, config);
          if (cluster != null) {
            byScope.put(name, new Entry(scope.getRouteConfigurationName(), cluster));
          }
        }
      }
    });
    Set<String> sharedClusters = new HashSet<>();
    routes.forEach((name, resource) -> {
      if (!scopedRouteConfigurations.contains(name) && resource.resource() instanceof RouteConfiguration config) {
        config.getVirtualHostsList().forEach(host -> host.getRoutesList().forEach(route -> {
          if (!route.getRoute().getCluster().isEmpty()) {
            sharedClusters.add(route.getRoute().getCluster());
          }
        }));
      }
    });
    byScope.values().removeIf(entry -> sharedClusters.contains(entry.cluster()));
    return new BookScopes(Map.copyOf(byScope));
  }

  private static String onDemandCluster(ContentVersionedSnapshot snapshot, RouteConfiguration config) {
    for (VirtualHost host : config.getVirtualHostsList()) {
      for (Route route : host.getRoutesList()) {
        String cluster = route.getRoute().getCluster();
        if (!cluster.isEmpty() && snapshot.byNameOnly(XdsType.CLUSTER, cluster)) {
          return cluster;
        }
      }
    }
    return null;
  }
}
