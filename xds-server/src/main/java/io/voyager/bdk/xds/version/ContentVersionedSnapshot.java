package io.voyager.bdk.xds.version;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.ResourceVersionResolver;
import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.voyager.bdk.xds.translate.XdsResources;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A v3 snapshot whose resource versions and type versions come from content
 * ({@link ContentVersions}). java-control-plane's {@code Snapshot.create} versions each resource
 * with {@code VersionedResource.create(msg)}, i.e. {@code hashCode()}, which differs between JVMs;
 * this class supplies content hashes instead, for SotW type versions and delta resource versions.
 * Secrets (SDS) are versioned the same way: a SHA-256 over the serialized secret, which reveals
 * nothing of the key.
 */
public final class ContentVersionedSnapshot extends Snapshot {
  private final SnapshotResources<Cluster> clusters;
  private final SnapshotResources<ClusterLoadAssignment> endpoints;
  private final SnapshotResources<Listener> listeners;
  private final SnapshotResources<RouteConfiguration> routes;
  private final SnapshotResources<Secret> secrets;
  /** Route scopes by name (java-control-plane's SnapshotResources cannot name this type), and their type version. */
  private final SortedMap<String, VersionedResource<?>> scopedRoutes = new TreeMap<>();
  private final String scopedRoutesVersion;

  private ContentVersionedSnapshot(XdsResources resources) {
    this.clusters = versioned(resources.clusters());
    this.endpoints = versioned(resources.endpoints());
    this.listeners = versioned(resources.listeners());
    this.routes = versioned(resources.routes());
    this.secrets = versioned(resources.secrets());
    SortedMap<String, String> scopeVersions = new TreeMap<>();
    for (var scope : resources.scopedRoutes()) {
      String version = ContentVersions.ofResource(scope);
      if (scopeVersions.put(scope.getName(), version) != null) {
        throw new IllegalArgumentException("two ScopedRouteConfiguration resources are named '" + scope.getName() + "'");
      }
      scopedRoutes.put(scope.getName(), VersionedResource.create(scope, version));
    }
    this.scopedRoutesVersion = ContentVersions.ofType(scopeVersions);
  }

  public static ContentVersionedSnapshot of(XdsResources resources) {
    return new ContentVersionedSnapshot(resources);
  }

  private static <T extends Message> SnapshotResources<T> versioned(List<T> resources) {
    List<VersionedResource<T>> versioned = new ArrayList<>(resources.size());
    SortedMap<String, String> versions = new TreeMap<>();
    for (T resource : resources) {
      String version = ContentVersions.ofResource(resource);
      String name = ContentVersions.name(resource);
      if (versions.put(name, version) != null) {
        throw new IllegalArgumentException("two " + resource.getDescriptorForType().getName() + " resources are named '" + name + "'");
      }
      versioned.add(VersionedResource.create(resource, version));
    }
    String typeVersion = ContentVersions.ofType(versions);
    ResourceVersionResolver resolver = names -> typeVersion;
    return SnapshotResources.create(versioned, resolver);
  }

  @Override
  public SnapshotResources<Cluster> clusters() {
    return clusters;
  }

  @Override
  public SnapshotResources<ClusterLoadAssignment> endpoints() {
    return endpoints;
  }

  @Override
  public SnapshotResources<Listener> listeners() {
    return listeners;
  }

  @Override
  public SnapshotResources<RouteConfiguration> routes() {
    return routes;
  }

  @Override
  public SnapshotResources<Secret> secrets() {
    return secrets;
  }

  /** The route scopes (SRDS) of the scoped route layout by name; none in the single layout. */
  public java.util.Map<String, io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration> scopedRoutes() {
    java.util.Map<String, io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration> byName = new TreeMap<>();
    scopedRoutes.forEach((name, resource) ->
        byName.put(name, (io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration) resource.resource()));
    return byName;
  }

  /** The versioned resources of {@code type}, by name. */
  @SuppressWarnings("unchecked")
  public java.util.Map<String, VersionedResource<?>> resources(XdsType type) {
    if (type == XdsType.SCOPED_ROUTE) {
      return java.util.Collections.unmodifiableMap(scopedRoutes);
    }
    return (java.util.Map<String, VersionedResource<?>>) versionedResources(type.controlPlaneType());
  }

  /** The version of the resources of {@code type}. */
  public String version(XdsType type) {
    return type == XdsType.SCOPED_ROUTE ? scopedRoutesVersion : version(type.controlPlaneType());
  }

  /**
   * java-control-plane 1.0.49 declares this method with different generics in the base and v3
   * classes (fine in bytecode, rejected by javac in a subclass); the raw return type bridges both.
   */
  @Override
  @SuppressWarnings({"rawtypes", "unchecked"})
  public java.util.Map versionedResources(io.envoyproxy.controlplane.cache.Resources.ResourceType type) {
    return super.versionedResources(type);
  }

  /**
   * Every EDS cluster has its load assignment and every load assignment a cluster; every route
   * configuration a listener names exists. (The library's own check finds HCMs only under the
   * legacy filter name {@code envoy.http_connection_manager}.)
   */
  @Override
  public void ensureConsistent() throws io.envoyproxy.controlplane.cache.SnapshotConsistencyException {
    java.util.Set<String> edsClusters = new java.util.TreeSet<>();
    for (Cluster c : clusters.resources().values()) {
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        edsClusters.add(c.getEdsClusterConfig().getServiceName().isEmpty() ? c.getName() : c.getEdsClusterConfig().getServiceName());
      }
    }
    if (!edsClusters.equals(new java.util.TreeSet<>(endpoints.resources().keySet()))) {
      throw new io.envoyproxy.controlplane.cache.SnapshotConsistencyException(
          "EDS clusters " + edsClusters + " != load assignments " + new java.util.TreeSet<>(endpoints.resources().keySet()));
    }
    for (var scope : scopedRoutes().values()) {
      if (!routes.resources().containsKey(scope.getRouteConfigurationName())) {
        throw new io.envoyproxy.controlplane.cache.SnapshotConsistencyException(
            "route scope " + scope.getName() + " names route configuration " + scope.getRouteConfigurationName() + ", which is missing");
      }
    }
    for (Listener l : listeners.resources().values()) {
      for (var chain : l.getFilterChainsList()) {
        if (chain.hasTransportSocket()) {
          try {
            var tls = chain.getTransportSocket().getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.class);
            for (var sds : tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigsList()) {
              if (sds.getSdsConfig().hasAds() && !secrets.resources().containsKey(sds.getName())) {
                throw new io.envoyproxy.controlplane.cache.SnapshotConsistencyException(
                    "listener " + l.getName() + " names SDS secret " + sds.getName() + ", which is missing");
              }
            }
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new io.envoyproxy.controlplane.cache.SnapshotConsistencyException("listener " + l.getName() + ": " + e.getMessage());
          }
        }
        for (var filter : chain.getFiltersList()) {
          if (!filter.getTypedConfig().is(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.class)) {
            continue;
          }
          try {
            var hcm = filter.getTypedConfig().unpack(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.class);
            if (hcm.hasScopedRoutes() && scopedRoutes.isEmpty()) {
              throw new io.envoyproxy.controlplane.cache.SnapshotConsistencyException(
                  "listener " + l.getName() + " has scoped routes, but there are no route scopes");
            }
            if (hcm.hasRds() && !routes.resources().containsKey(hcm.getRds().getRouteConfigName())) {
              throw new io.envoyproxy.controlplane.cache.SnapshotConsistencyException(
                  "listener " + l.getName() + " names route configuration " + hcm.getRds().getRouteConfigName() + ", which is missing");
            }
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new io.envoyproxy.controlplane.cache.SnapshotConsistencyException("listener " + l.getName() + ": " + e.getMessage());
          }
        }
      }
    }
  }

  /** {@code cds=…,eds=…,lds=…,rds=…,sds=…} (and {@code ,srds=…} with route scopes): equal for equal content. */
  public String summaryVersion() {
    return "cds=" + clusters.version() + ",eds=" + endpoints.version() + ",lds=" + listeners.version()
        + ",rds=" + routes.version() + ",sds=" + secrets.version()
        + (scopedRoutes.isEmpty() ? "" : ",srds=" + scopedRoutesVersion);
  }
}
