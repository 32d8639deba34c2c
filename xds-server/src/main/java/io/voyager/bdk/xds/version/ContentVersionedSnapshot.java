package io.voyager.bdk.xds.version;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.voyager.bdk.xds.model.PersistentSortedMap;
import io.voyager.bdk.xds.translate.ClusterDelivery;
import io.voyager.bdk.xds.translate.XdsResources;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A v3 snapshot whose resource versions and type versions come from content
 * ({@link ContentVersions}). java-control-plane's {@code Snapshot.create} versions each resource
 * with {@code VersionedResource.create(msg)}, i.e. {@code hashCode()}, which differs between JVMs;
 * this class supplies content hashes instead, for SotW type versions and delta resource versions.
 * Secrets (SDS) are versioned the same way: a SHA-256 over the serialized secret, which reveals
 * nothing of the key.
 */
public final class ContentVersionedSnapshot extends Snapshot {
  private static final AtomicLong IDS = new AtomicLong();

  private final long id = IDS.incrementAndGet();
  /** The id of the snapshot {@link #changes} are relative to (0: none, every resource is new). */
  private final long baseId;
  private final VersionedResources<Cluster> clusters;
  private final VersionedResources<ClusterLoadAssignment> endpoints;
  private final VersionedResources<Listener> listeners;
  private final VersionedResources<RouteConfiguration> routes;
  private final VersionedResources<Secret> secrets;
  /** Route scopes by name (java-control-plane's Snapshot cannot name this type). */
  private final VersionedResources<ScopedRouteConfiguration> scopedRoutes;
  private final Map<XdsType, TypeChanges> changes = new EnumMap<>(XdsType.class);
  /**
   * For each route configuration a scope names, how many scopes do: the base snapshot's counts
   * updated for the scopes that changed, so the check that no scope names a removed route
   * configuration is a lookup per removed name, not a read of every scope.
   */
  private final PersistentSortedMap<Integer> scopesNamingRoute;
  /** Which clusters go only to an Envoy that subscribed to them by name. */
  private final ClusterDelivery clusterDelivery;
  private final String summaryVersion;

  /** What differs in one type from the base snapshot: names new or changed, names gone (each sorted). */
  public record TypeChanges(List<String> changed, List<String> removed) {
    public boolean isEmpty() {
      return changed.isEmpty() && removed.isEmpty();
    }
  }

  private ContentVersionedSnapshot(ContentVersionedSnapshot base, XdsResources resources) {
    this.baseId = base == null ? 0 : base.id;
    this.clusterDelivery = resources.clusterDelivery();
    this.clusters = next(XdsType.CLUSTER, base == null ? null : base.clusters, resources.clusters());
    this.endpoints = next(XdsType.ENDPOINT, base == null ? null : base.endpoints, resources.endpoints());
    this.listeners = next(XdsType.LISTENER, base == null ? null : base.listeners, resources.listeners());
    this.routes = next(XdsType.ROUTE, base == null ? null : base.routes, resources.routes());
    this.secrets = next(XdsType.SECRET, base == null ? null : base.secrets, resources.secrets());
    this.scopedRoutes = next(XdsType.SCOPED_ROUTE, base == null ? null : base.scopedRoutes, resources.scopedRoutes());
    this.scopesNamingRoute = scopesNamingRoute(base, scopedRoutes.resources(), changes.get(XdsType.SCOPED_ROUTE));
    this.summaryVersion = "cds=" + clusters.version() + ",eds=" + endpoints.version() + ",lds=" + listeners.version()
        + ",rds=" + routes.version() + ",sds=" + secrets.version()
        + (scopedRoutes.versionedResources().isEmpty() ? "" : ",srds=" + scopedRoutes.version());
  }

  private <T extends Message> VersionedResources<T> next(XdsType type, VersionedResources<T> base, List<T> list) {
    VersionedResources.Next<T> next = VersionedResources.next(base == null ? VersionedResources.empty() : base, list);
    changes.put(type, new TypeChanges(next.changed(), next.removed()));
    return next.resources();
  }

  private static PersistentSortedMap<Integer> scopesNamingRoute(ContentVersionedSnapshot base,
      Map<String, ScopedRouteConfiguration> scopes, TypeChanges changed) {
    PersistentSortedMap<Integer> counts = base == null ? PersistentSortedMap.empty() : base.scopesNamingRoute;
    for (List<String> names : List.of(changed.changed(), changed.removed())) {
      for (String name : names) {
        ScopedRouteConfiguration before = base == null ? null : base.scopedRoutes.resources().get(name);
        if (before != null) {
          counts = counted(counts, before.getRouteConfigurationName(), -1);
        }
        ScopedRouteConfiguration after = scopes.get(name);
        if (after != null) {
          counts = counted(counts, after.getRouteConfigurationName(), 1);
        }
      }
    }
    return counts;
  }

  private static PersistentSortedMap<Integer> counted(PersistentSortedMap<Integer> counts, String route, int delta) {
    int count = counts.getOrDefault(route, 0) + delta;
    return count == 0 ? counts.without(route) : counts.with(route, count);
  }

  /** A snapshot of {@code resources}, every resource versioned afresh. */
  public static ContentVersionedSnapshot of(XdsResources resources) {
    return new ContentVersionedSnapshot(null, resources);
  }

  /**
   * A snapshot of {@code resources} built on {@code previous} (null: as {@link #of}): resources
   * that are the identical message objects {@code previous} held keep their versions without being
   * looked at again, so the cost follows what changed; {@link #changes} tells what did.
   */
  public static ContentVersionedSnapshot next(ContentVersionedSnapshot previous, XdsResources resources) {
    return new ContentVersionedSnapshot(previous, resources);
  }

  /**
   * True if the resource {@code name} of {@code type} is served only to an Envoy that subscribed
   * to it by name, never in a wildcard answer (books' clusters with on-demand clusters).
   */
  public boolean byNameOnly(XdsType type, String name) {
    return type == XdsType.CLUSTER && clusterDelivery.byNameOnly(name);
  }

  /** Which clusters this snapshot serves by name only. */
  public ClusterDelivery clusterDelivery() {
    return clusterDelivery;
  }

  /** True if {@link #changes} are relative to {@code snapshot} (false for null). */
  public boolean builtOn(ContentVersionedSnapshot snapshot) {
    return snapshot != null && snapshot.id == baseId;
  }

  /** What differs in {@code type} from the snapshot this one was built on (everything, if none). */
  public TypeChanges changes(XdsType type) {
    return changes.get(type);
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
  public Map<String, ScopedRouteConfiguration> scopedRoutes() {
    return scopedRoutes.resources();
  }

  /** The versioned resources of {@code type}, by name. */
  @SuppressWarnings("unchecked")
  public Map<String, VersionedResource<?>> resources(XdsType type) {
    if (type == XdsType.SCOPED_ROUTE) {
      return (Map<String, VersionedResource<?>>) (Map<String, ?>) scopedRoutes.versionedResources();
    }
    return (Map<String, VersionedResource<?>>) versionedResources(type.controlPlaneType());
  }

  /** The version of the resources of {@code type}. */
  public String version(XdsType type) {
    return type == XdsType.SCOPED_ROUTE ? scopedRoutes.version() : version(type.controlPlaneType());
  }

  /**
   * java-control-plane 1.0.49 declares this method with different generics in the base and v3
   * classes (fine in bytecode, rejected by javac in a subclass); the raw return type bridges both.
   */
  @Override
  @SuppressWarnings({"rawtypes", "unchecked"})
  public Map versionedResources(io.envoyproxy.controlplane.cache.Resources.ResourceType type) {
    return super.versionedResources(type);
  }

  /**
   * As {@link #ensureConsistent}, checking only what changed since {@code previous} when this
   * snapshot was built on it (and {@code previous} was consistent): the touched clusters and load
   * assignments pair up, changed route scopes name existing route configurations, removed route
   * configurations are named by no scope, and the listeners are checked when they, or route
   * configurations, secrets or scopes they may name, changed. Anything unusual (an EDS service
   * name other than the cluster's own) or any finding is settled by the full check.
   */
  public void ensureConsistentSince(ContentVersionedSnapshot previous)
      throws io.envoyproxy.controlplane.cache.SnapshotConsistencyException {
    if (!builtOn(previous) || !changesConsistent(previous)) {
      ensureConsistent();
      return;
    }
    if (!changes(XdsType.LISTENER).isEmpty() || !changes(XdsType.ROUTE).removed().isEmpty()
        || !changes(XdsType.SECRET).removed().isEmpty() || !changes(XdsType.SCOPED_ROUTE).removed().isEmpty()) {
      ensureListenersConsistent();
    }
  }

  /** True if the clusters, load assignments, scopes and route configurations that changed are consistent. */
  private boolean changesConsistent(ContentVersionedSnapshot previous) {
    Set<String> touched = new HashSet<>();
    for (List<String> names : List.of(changes(XdsType.CLUSTER).changed(), changes(XdsType.CLUSTER).removed())) {
      for (String name : names) {
        for (Cluster c : Arrays.asList(previous.clusters.resources().get(name), clusters.resources().get(name))) {
          if (c != null && c.getType() == Cluster.DiscoveryType.EDS && !c.getEdsClusterConfig().getServiceName().isEmpty()) {
            return false;
          }
        }
        touched.add(name);
      }
    }
    touched.addAll(changes(XdsType.ENDPOINT).changed());
    touched.addAll(changes(XdsType.ENDPOINT).removed());
    for (String name : touched) {
      Cluster c = clusters.resources().get(name);
      boolean eds = c != null && c.getType() == Cluster.DiscoveryType.EDS;
      if (eds != endpoints.resources().containsKey(name)) {
        return false;
      }
    }
    for (String name : changes(XdsType.SCOPED_ROUTE).changed()) {
      if (!routes.resources().containsKey(scopedRoutes.resources().get(name).getRouteConfigurationName())) {
        return false;
      }
    }
    for (String route : changes(XdsType.ROUTE).removed()) {
      if (scopesNamingRoute.containsKey(route)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Every EDS cluster has its load assignment and every load assignment a cluster; every route
   * configuration a listener names exists. (The library's own check finds HCMs only under the
   * legacy filter name {@code envoy.http_connection_manager}.)
   */
  @Override
  public void ensureConsistent() throws io.envoyproxy.controlplane.cache.SnapshotConsistencyException {
    Set<String> edsClusters = new TreeSet<>();
    for (Cluster c : clusters.resources().values()) {
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        edsClusters.add(c.getEdsClusterConfig().getServiceName().isEmpty() ? c.getName() : c.getEdsClusterConfig().getServiceName());
      }
    }
    if (!edsClusters.equals(new TreeSet<>(endpoints.resources().keySet()))) {
      throw new io.envoyproxy.controlplane.cache.SnapshotConsistencyException(
          "EDS clusters " + edsClusters + " != load assignments " + new TreeSet<>(endpoints.resources().keySet()));
    }
    for (var scope : scopedRoutes().values()) {
      if (!routes.resources().containsKey(scope.getRouteConfigurationName())) {
        throw new io.envoyproxy.controlplane.cache.SnapshotConsistencyException(
            "route scope " + scope.getName() + " names route configuration " + scope.getRouteConfigurationName() + ", which is missing");
      }
    }
    ensureListenersConsistent();
  }

  /** Every route configuration and SDS secret a listener names exists; scoped routes have scopes. */
  private void ensureListenersConsistent() throws io.envoyproxy.controlplane.cache.SnapshotConsistencyException {
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
            if (hcm.hasScopedRoutes() && scopedRoutes.resources().isEmpty()) {
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
    return summaryVersion;
  }
}
