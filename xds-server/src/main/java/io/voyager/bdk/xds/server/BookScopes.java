package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.HashMap;
import java.util.Map;

/**
 * A snapshot's on-demand route scopes with the book each serves: scope name → its route
 * configuration and the book's cluster (the first cluster its routes name that the snapshot serves
 * by name only, {@link ContentVersionedSnapshot#byNameOnly}). Scopes whose routes name no such
 * cluster (eager clusters, the library's scope) are not books here. Computed once per snapshot
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
    snapshot.resources(XdsType.SCOPED_ROUTE).forEach((name, resource) -> {
      if (resource.resource() instanceof ScopedRouteConfiguration scope && scope.getOnDemand()) {
        VersionedResource<?> route = routes.get(scope.getRouteConfigurationName());
        if (route != null && route.resource() instanceof RouteConfiguration config) {
          String cluster = onDemandCluster(snapshot, config);
          if (cluster != null) {
            byScope.put(name, new Entry(scope.getRouteConfigurationName(), cluster));
          }
        }
      }
    });
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
