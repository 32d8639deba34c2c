package io.voyager.bdk.xds.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.controlplane.cache.SnapshotConsistencyException;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.voyager.bdk.xds.translate.XdsResources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The check of what changed ({@link ContentVersionedSnapshot#ensureConsistentSince}) against the
 * full check, for route scopes and the route configurations they name: a removed route
 * configuration that a scope (changed or not) still names is refused.
 */
class ConsistencySinceTest {
  private static RouteConfiguration route(String name) {
    return RouteConfiguration.newBuilder().setName(name).build();
  }

  private static ScopedRouteConfiguration scope(String name, String route) {
    return ScopedRouteConfiguration.newBuilder().setName(name).setRouteConfigurationName(route).build();
  }

  private static XdsResources resources(List<RouteConfiguration> routes, List<ScopedRouteConfiguration> scopes) {
    return new XdsResources(List.of(), routes, List.of(), List.of(), List.of(), scopes);
  }

  @Test
  void aRemovedRouteConfigurationAnUnchangedScopeStillNamesIsRefused() throws Exception {
    ScopedRouteConfiguration a = scope("a", "ra");
    ScopedRouteConfiguration b = scope("b", "rb");
    ContentVersionedSnapshot first = ContentVersionedSnapshot.of(resources(List.of(route("ra"), route("rb")), List.of(a, b)));
    first.ensureConsistent();

    ContentVersionedSnapshot dangling = ContentVersionedSnapshot.next(first, resources(List.of(route("ra")), List.of(a, b)));
    assertThatThrownBy(() -> dangling.ensureConsistentSince(first))
        .isInstanceOf(SnapshotConsistencyException.class).hasMessageContaining("rb");

    ContentVersionedSnapshot movedFirst = ContentVersionedSnapshot.next(first,
        resources(List.of(route("ra")), List.of(a, scope("b", "ra"))));
    assertThatCode(() -> movedFirst.ensureConsistentSince(first)).doesNotThrowAnyException();
    ContentVersionedSnapshot gone = ContentVersionedSnapshot.next(first, resources(List.of(route("ra")), List.of(a)));
    assertThatCode(() -> gone.ensureConsistentSince(first)).doesNotThrowAnyException();
  }

  /** Random scopes re-pointed, added and removed and route configurations removed and added (fixed seed). */
  @Test
  void theCheckOfWhatChangedAgreesWithTheFullCheck() {
    Random random = new Random(29);
    Map<String, RouteConfiguration> routes = new TreeMap<>();
    Map<String, ScopedRouteConfiguration> scopes = new TreeMap<>();
    for (int i = 0; i < 40; i++) {
      routes.put("r" + i, route("r" + i));
      scopes.put("s" + i, scope("s" + i, "r" + i));
    }
    ContentVersionedSnapshot published = ContentVersionedSnapshot.of(resources(new ArrayList<>(routes.values()),
        new ArrayList<>(scopes.values())));
    int refused = 0;
    for (int step = 0; step < 400; step++) {
      Map<String, RouteConfiguration> nextRoutes = new TreeMap<>(routes);
      Map<String, ScopedRouteConfiguration> nextScopes = new TreeMap<>(scopes);
      for (int e = random.nextInt(3); e >= 0; e--) {
        String r = "r" + random.nextInt(50);
        String s = "s" + random.nextInt(50);
        switch (random.nextInt(4)) {
          case 0 -> nextRoutes.remove(r);
          case 1 -> nextRoutes.put(r, route(r));
          case 2 -> nextScopes.put(s, scope(s, r));
          default -> nextScopes.remove(s);
        }
      }
      ContentVersionedSnapshot next = ContentVersionedSnapshot.next(published,
          resources(new ArrayList<>(nextRoutes.values()), new ArrayList<>(nextScopes.values())));
      boolean full = consistent(() -> next.ensureConsistent());
      ContentVersionedSnapshot base = published;
      boolean since = consistent(() -> next.ensureConsistentSince(base));
      assertThat(since).as("step %d", step).isEqualTo(full);
      if (full) { // as the publisher: only a consistent snapshot becomes the base
        published = next;
        routes = nextRoutes;
        scopes = nextScopes;
      } else {
        refused++;
      }
    }
    assertThat(refused).isPositive();
  }

  private interface Check {
    void run() throws SnapshotConsistencyException;
  }

  private static boolean consistent(Check check) {
    try {
      check.run();
      return true;
    } catch (SnapshotConsistencyException e) {
      return false;
    }
  }
}
