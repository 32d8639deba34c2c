package io.voyager.bdk.xds.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.voyager.bdk.xds.model.KeyedSequence;
import java.util.List;
import java.util.Objects;

/**
 * The Envoy resources of one snapshot; every EDS cluster has its load assignment here, every SDS
 * secret a listener names is here, and, in the scoped route layout ({@link RouteLayout#SCOPED}),
 * every route scope with the route configuration it names; {@code clusterDelivery} says which
 * clusters go only to an Envoy that asks for them by name. {@link #toString()} never shows secrets' content.
 */
public record XdsResources(
    List<Listener> listeners,
    List<RouteConfiguration> routes,
    List<Cluster> clusters,
    List<ClusterLoadAssignment> endpoints,
    List<Secret> secrets,
    List<ScopedRouteConfiguration> scopedRoutes,
    ClusterDelivery clusterDelivery) {
  public XdsResources {
    Objects.requireNonNull(clusterDelivery, "clusterDelivery");
    scopedRoutes = KeyedSequence.immutable(scopedRoutes);
    listeners = KeyedSequence.immutable(listeners);
    routes = KeyedSequence.immutable(routes);
    clusters = KeyedSequence.immutable(clusters);
    endpoints = KeyedSequence.immutable(endpoints);
    secrets = KeyedSequence.immutable(secrets);
  }

  /** Resources whose clusters all go in the wildcard answer ({@link ClusterDelivery#ALL_EAGER}). */
  public XdsResources(
      List<Listener> listeners, List<RouteConfiguration> routes, List<Cluster> clusters, List<ClusterLoadAssignment> endpoints,
      List<Secret> secrets, List<ScopedRouteConfiguration> scopedRoutes) {
    this(listeners, routes, clusters, endpoints, secrets, scopedRoutes, ClusterDelivery.ALL_EAGER);
  }

  /** Resources without route scopes (the single route layout). */
  public XdsResources(
      List<Listener> listeners, List<RouteConfiguration> routes, List<Cluster> clusters, List<ClusterLoadAssignment> endpoints,
      List<Secret> secrets) {
    this(listeners, routes, clusters, endpoints, secrets, List.of());
  }

  /** Resources without SDS secrets. */
  public XdsResources(
      List<Listener> listeners, List<RouteConfiguration> routes, List<Cluster> clusters, List<ClusterLoadAssignment> endpoints) {
    this(listeners, routes, clusters, endpoints, List.of());
  }

  @Override
  public String toString() {
    return "XdsResources[listeners=" + listeners.size() + ", routes=" + routes.size() + ", clusters=" + clusters.size()
        + ", endpoints=" + endpoints.size() + ", scopedRoutes=" + scopedRoutes.size() + ", clustersOnDemand=" + clusterDelivery.onDemand() + ", secrets=" + secrets.stream().map(Secret::getName).toList() + "]";
  }
}
