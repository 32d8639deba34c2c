package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.voyager.bdk.xds.model.PersistentSortedMap;
import io.voyager.bdk.xds.translate.ClusterDelivery;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@link BookScopes} of each snapshot the held-books bound serves, one {@link DeltaAds} owning
 * one: derived from the previous snapshot's by what changed ({@link SnapshotChanges}, route scopes
 * and route configurations), so a change costs its own names, not a pass over every scope and
 * route configuration; computed in full for the first snapshot, or one not built on the last
 * (then every name counts as changed, the same code). Clusters' changes do not matter: whether a
 * cluster is served by name only depends on its name and the snapshot's {@link ClusterDelivery}
 * (a change of that computes in full).
 *
 * <p>The "shared cluster" rule incrementally: per route configuration no on-demand scope names,
 * the clusters its routes name, and per cluster how many such route configurations route to it;
 * a book is one while that count is 0. A scope is looked at again when it changed, when its route
 * configuration changed, or when its cluster's count went from 0 or to 0. The last two results
 * are kept (each holds its snapshot), so a stream asking for the snapshot just published, or the
 * one before, finds it; an older one is computed in full. Thread-safe.
 */
final class BookScopesIndex {
  private static final int KEPT = 2;

  /** An on-demand scope as the snapshot has it: its route configuration and the book cluster it routes to (null: none). */
  private record Candidate(String routeConfiguration, String cluster) {}

  private final ArrayDeque<BookScopes> recent = new ArrayDeque<>();
  // As of recent.peekLast():
  private ClusterDelivery delivery;
  private final Map<String, Candidate> candidates = new HashMap<>();
  /** Route configuration → the on-demand scopes naming it. */
  private final Map<String, Set<String>> scopesNaming = new HashMap<>();
  /** Book cluster → the on-demand scopes whose candidate it is. */
  private final Map<String, Set<String>> scopesRoutingTo = new HashMap<>();
  /** Route configuration no on-demand scope names → the clusters its routes name. */
  private final Map<String, Set<String>> unscopedRouteClusters = new HashMap<>();
  /** Cluster → how many route configurations no on-demand scope names route to it. */
  private final Map<String, Integer> unscopedReferences = new HashMap<>();
  private PersistentSortedMap<BookScopes.Entry> byScope = PersistentSortedMap.empty();

  /** The book scopes of {@code snapshot}. */
  synchronized BookScopes of(ContentVersionedSnapshot snapshot) {
    BookScopes known = recent(snapshot);
    if (known != null) {
      return known;
    }
    BookScopes latest = recent.peekLast();
    if (latest != null && snapshot.builtOn(latest.snapshot())) {
      return advance(snapshot, SnapshotChanges.between(latest.snapshot(), snapshot));
    }
    return computeFully(snapshot);
  }

  /** The book scopes of {@code next}, {@code changes} being what differs from {@code previous} (the publisher's order). */
  synchronized BookScopes of(ContentVersionedSnapshot previous, ContentVersionedSnapshot next, SnapshotChanges changes) {
    BookScopes known = recent(next);
    if (known != null) {
      return known;
    }
    BookScopes latest = recent.peekLast();
    if (previous != null && latest != null && latest.snapshot() == previous) {
      return advance(next, changes);
    }
    return of(next);
  }

  private BookScopes recent(ContentVersionedSnapshot snapshot) {
    for (BookScopes scopes : recent) {
      if (scopes.snapshot() == snapshot) {
        return scopes;
      }
    }
    return null;
  }

  private BookScopes computeFully(ContentVersionedSnapshot snapshot) {
    candidates.clear();
    scopesNaming.clear();
    scopesRoutingTo.clear();
    unscopedRouteClusters.clear();
    unscopedReferences.clear();
    byScope = PersistentSortedMap.empty();
    delivery = snapshot.clusterDelivery();
    apply(snapshot, snapshot.resources(XdsType.SCOPED_ROUTE).keySet(), snapshot.resources(XdsType.ROUTE).keySet());
    return keep(new BookScopes(snapshot, null, byScope, List.of(), List.of()));
  }

  private BookScopes advance(ContentVersionedSnapshot next, SnapshotChanges changes) {
    if (!next.clusterDelivery().equals(delivery)) {
      return computeFully(next);
    }
    BookScopes latest = recent.peekLast();
    Set<String> scopes = new HashSet<>(changes.changed(XdsType.SCOPED_ROUTE));
    scopes.addAll(changes.removed(XdsType.SCOPED_ROUTE));
    Set<String> routes = new HashSet<>(changes.changed(XdsType.ROUTE));
    routes.addAll(changes.removed(XdsType.ROUTE));
    PersistentSortedMap<BookScopes.Entry> before = byScope;
    Set<String> touched = apply(next, scopes, routes);
    List<String> changed = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    for (String scope : touched) {
      BookScopes.Entry now = byScope.get(scope);
      if (now == null) {
        if (before.containsKey(scope)) {
          removed.add(scope);
        }
      } else if (!now.equals(before.get(scope))) {
        changed.add(scope);
      }
    }
    return keep(new BookScopes(next, latest.snapshot(), byScope, List.copyOf(changed), List.copyOf(removed)));
  }

  private BookScopes keep(BookScopes scopes) {
    recent.addLast(scopes);
    while (recent.size() > KEPT) {
      recent.removeFirst();
    }
    return scopes;
  }

  /**
   * Brings the index to {@code next} for the route scopes {@code scopes} and the route
   * configurations {@code routes} that changed or went; returns the scopes looked at (sorted).
   */
  private Set<String> apply(ContentVersionedSnapshot next, Set<String> scopes, Set<String> routes) {
    Map<String, VersionedResource<?>> scopesNow = next.resources(XdsType.SCOPED_ROUTE);
    Map<String, VersionedResource<?>> routesNow = next.resources(XdsType.ROUTE);
    Set<String> touched = new TreeSet<>();
    Set<String> routesToCheck = new HashSet<>(routes);
    for (String scope : scopes) {
      touched.add(scope);
      Candidate old = candidates.get(scope);
      if (old != null) {
        unlink(scope, old);
        routesToCheck.add(old.routeConfiguration());
      }
      VersionedResource<?> resource = scopesNow.get(scope);
      if (resource != null && resource.resource() instanceof ScopedRouteConfiguration config && config.getOnDemand()) {
        String routeConfiguration = config.getRouteConfigurationName();
        link(scope, new Candidate(routeConfiguration, onDemandCluster(next, routesNow.get(routeConfiguration))));
        routesToCheck.add(routeConfiguration);
      }
    }
    for (String route : routes) {
      for (String scope : List.copyOf(scopesNaming.getOrDefault(route, Set.of()))) {
        touched.add(scope);
        Candidate now = new Candidate(route, onDemandCluster(next, routesNow.get(route)));
        Candidate old = candidates.get(scope);
        if (!now.equals(old)) {
          unlink(scope, old);
          link(scope, now);
        }
      }
    }
    Set<String> clustersCrossingZero = new HashSet<>();
    for (String route : routesToCheck) {
      Set<String> now = scopesNaming.containsKey(route) ? Set.of() : clustersRoutedTo(routesNow.get(route));
      Set<String> old = now.isEmpty() ? unscopedRouteClusters.remove(route) : unscopedRouteClusters.put(route, now);
      old = old == null ? Set.of() : old;
      for (String cluster : old) {
        if (!now.contains(cluster) && count(cluster, -1) == 0) {
          clustersCrossingZero.add(cluster);
        }
      }
      for (String cluster : now) {
        if (!old.contains(cluster) && count(cluster, 1) == 1) {
          clustersCrossingZero.add(cluster);
        }
      }
    }
    clustersCrossingZero.forEach(cluster -> touched.addAll(scopesRoutingTo.getOrDefault(cluster, Set.of())));
    for (String scope : touched) {
      Candidate candidate = candidates.get(scope);
      BookScopes.Entry entry = candidate == null || candidate.cluster() == null
          || unscopedReferences.containsKey(candidate.cluster())
          ? null : new BookScopes.Entry(candidate.routeConfiguration(), candidate.cluster());
      if (!Objects.equals(entry, byScope.get(scope))) {
        byScope = entry == null ? byScope.without(scope) : byScope.with(scope, entry);
      }
    }
    return touched;
  }

  private void link(String scope, Candidate candidate) {
    candidates.put(scope, candidate);
    scopesNaming.computeIfAbsent(candidate.routeConfiguration(), r -> new HashSet<>()).add(scope);
    if (candidate.cluster() != null) {
      scopesRoutingTo.computeIfAbsent(candidate.cluster(), c -> new HashSet<>()).add(scope);
    }
  }

  private void unlink(String scope, Candidate candidate) {
    candidates.remove(scope);
    removeFrom(scopesNaming, candidate.routeConfiguration(), scope);
    if (candidate.cluster() != null) {
      removeFrom(scopesRoutingTo, candidate.cluster(), scope);
    }
  }

  private static void removeFrom(Map<String, Set<String>> sets, String key, String value) {
    Set<String> set = sets.get(key);
    if (set != null && set.remove(value) && set.isEmpty()) {
      sets.remove(key);
    }
  }

  /** Adds {@code delta} to the references to {@code cluster}; returns the new count. */
  private int count(String cluster, int delta) {
    int count = unscopedReferences.getOrDefault(cluster, 0) + delta;
    if (count == 0) {
      unscopedReferences.remove(cluster);
    } else {
      unscopedReferences.put(cluster, count);
    }
    return count;
  }

  /** The first cluster {@code route}'s routes name that {@code snapshot} serves by name only, or null. */
  private static String onDemandCluster(ContentVersionedSnapshot snapshot, VersionedResource<?> route) {
    if (route == null || !(route.resource() instanceof RouteConfiguration config)) {
      return null;
    }
    for (VirtualHost host : config.getVirtualHostsList()) {
      for (Route r : host.getRoutesList()) {
        String cluster = r.getRoute().getCluster();
        if (!cluster.isEmpty() && snapshot.byNameOnly(XdsType.CLUSTER, cluster)) {
          return cluster;
        }
      }
    }
    return null;
  }

  /** Every cluster {@code route}'s routes name (none if absent). */
  private static Set<String> clustersRoutedTo(VersionedResource<?> route) {
    if (route == null || !(route.resource() instanceof RouteConfiguration config)) {
      return Set.of();
    }
    Set<String> clusters = new HashSet<>();
    config.getVirtualHostsList().forEach(host -> host.getRoutesList().forEach(r -> {
      if (!r.getRoute().getCluster().isEmpty()) {
        clusters.add(r.getRoute().getCluster());
      }
    }));
    return clusters;
  }
}
