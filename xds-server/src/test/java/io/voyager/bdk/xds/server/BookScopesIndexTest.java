package io.voyager.bdk.xds.server;

import static io.voyager.bdk.xds.server.DeltaAdsHeldBooksTest.routeConfiguration;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.voyager.bdk.xds.translate.ClusterDelivery;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link BookScopesIndex}: the book scopes derived snapshot by snapshot from the changes equal the
 * definition computed from scratch, across books added, changed and removed, scopes switching
 * route configuration or on-demand, and books becoming shared (another route configuration routes
 * to their cluster) and unshared; and each result's changed / removed scopes are exactly what
 * differs from its basis.
 */
class BookScopesIndexTest {
  static final ClusterDelivery ON_DEMAND = new ClusterDelivery(true, Set.of("library"));

  /** The resources of one snapshot, by name; message objects kept while unchanged (so the build's changes are the edits). */
  final Map<String, ScopedRouteConfiguration> scopes = new TreeMap<>();
  final Map<String, RouteConfiguration> routes = new TreeMap<>();

  @Test
  void aBookBecomingSharedIsNoLongerOneAndOneUnsharedIsAgain() {
    BookScopesIndex index = new BookScopesIndex();
    book("a");
    book("b");
    ContentVersionedSnapshot first = ContentVersionedSnapshot.of(resources());
    assertThat(index.of(first).byScope()).containsOnlyKeys("w-a", "w-b");

    routes.put("internal-deliveries", routeConfiguration("internal-deliveries", "book-a"));
    ContentVersionedSnapshot shared = ContentVersionedSnapshot.next(first, resources());
    BookScopes sharedScopes = index.of(shared);
    assertThat(sharedScopes.basis()).isSameAs(first);
    assertThat(sharedScopes.byScope()).containsOnlyKeys("w-b");
    assertThat(sharedScopes.removed()).containsExactly("w-a");
    assertThat(sharedScopes.changed()).isEmpty();

    routes.put("internal-deliveries", routeConfiguration("internal-deliveries", "book-b"));
    ContentVersionedSnapshot moved = ContentVersionedSnapshot.next(shared, resources());
    BookScopes movedScopes = index.of(moved);
    assertThat(movedScopes.byScope()).containsOnlyKeys("w-a");
    assertThat(movedScopes.changed()).containsExactly("w-a");
    assertThat(movedScopes.removed()).containsExactly("w-b");

    routes.remove("internal-deliveries");
    ContentVersionedSnapshot unshared = ContentVersionedSnapshot.next(moved, resources());
    assertThat(index.of(unshared).byScope()).containsOnlyKeys("w-a", "w-b");
    assertThat(index.of(unshared).changed()).containsExactly("w-b");
    assertThat(index.of(unshared)).as("kept: asked again, the same").isSameAs(index.of(unshared));
  }

  @Test
  void aRouteConfigurationNoOnDemandScopeNamesAnyMoreSharesItsClusters() {
    BookScopesIndex index = new BookScopesIndex();
    book("a");
    book("b");
    // Scope w-x names b's route configuration too; then goes, leaving w-b's; then w-b goes too.
    scopes.put("w-x", scope("w-x", "w-b", true));
    ContentVersionedSnapshot first = ContentVersionedSnapshot.of(resources());
    assertThat(index.of(first).byScope()).containsOnlyKeys("w-a", "w-b", "w-x");
    scopes.remove("w-b");
    scopes.remove("w-x");
    ContentVersionedSnapshot gone = ContentVersionedSnapshot.next(first, resources());
    assertThat(index.of(gone).byScope()).containsOnlyKeys("w-a");
    // A scope naming a's route configuration turns eager: w-a's route configuration is unscoped now, a is shared.
    scopes.put("w-a", scope("w-a", "w-a", false));
    ContentVersionedSnapshot eager = ContentVersionedSnapshot.next(gone, resources());
    assertThat(index.of(eager).byScope()).isEmpty();
    assertThat(index.of(eager).removed()).containsExactly("w-a");
  }

  @Test
  void derivedFromTheChangesEqualsTheDefinitionAcrossRandomEdits() {
    Random random = new Random(12);
    BookScopesIndex index = new BookScopesIndex();
    for (int i = 0; i < 12; i++) {
      book("b" + i);
    }
    ContentVersionedSnapshot previous = ContentVersionedSnapshot.of(resources());
    Map<String, BookScopes.Entry> before = index.of(previous).byScope();
    assertThat(before).isEqualTo(definition(previous));
    int incremental = 0;
    for (int step = 0; step < 400; step++) {
      for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
        edit(random);
      }
      ContentVersionedSnapshot next = ContentVersionedSnapshot.next(previous, resources());
      BookScopes scopes = step % 2 == 0
          ? index.of(previous, next, SnapshotChanges.between(previous, next))
          : index.of(next);
      assertThat(scopes.byScope()).as("step %d", step).isEqualTo(definition(next));
      assertThat(new BookScopesIndex().of(next).byScope()).as("step %d, fresh", step).isEqualTo(definition(next));
      if (scopes.basis() == previous) {
        incremental++;
        Set<String> changed = new HashSet<>();
        Set<String> removed = new HashSet<>(before.keySet());
        for (Map.Entry<String, BookScopes.Entry> entry : scopes.byScope().entrySet()) {
          removed.remove(entry.getKey());
          if (!entry.getValue().equals(before.get(entry.getKey()))) {
            changed.add(entry.getKey());
          }
        }
        assertThat(scopes.changed()).as("step %d", step).containsExactlyInAnyOrderElementsOf(changed);
        assertThat(scopes.removed()).as("step %d", step).containsExactlyInAnyOrderElementsOf(removed);
      }
      before = scopes.byScope();
      previous = next;
    }
    assertThat(incremental).as("every step built on the previous one is derived").isEqualTo(400);
  }

  /** One random edit of books b0..b15, the internal delivery route configuration and a second scope of a book. */
  private void edit(Random random) {
    String book = "b" + random.nextInt(16);
    String scope = "w-" + book;
    switch (random.nextInt(8)) {
      case 0 -> book(book); // added, or back to its plain shape
      case 1 -> { // removed
        scopes.remove(scope);
        routes.remove(scope);
      }
      case 2 -> routes.put(scope, routeConfiguration(scope, random.nextBoolean() ? "library" : "book-" + book));
      case 3 -> scopes.put(scope, scope(scope, scope, random.nextBoolean()));
      case 4 -> { // another book's route configuration, or a second scope of this book
        String name = random.nextBoolean() ? scope : "w2-" + book;
        scopes.put(name, scope(name, "w-b" + random.nextInt(16), true));
      }
      case 5 -> routes.put("internal-deliveries", routeConfiguration("internal-deliveries", "book-" + book));
      case 6 -> routes.remove("internal-deliveries");
      default -> scopes.remove("w2-" + book);
    }
  }

  private void book(String book) {
    scopes.put("w-" + book, scope("w-" + book, "w-" + book, true));
    routes.put("w-" + book, routeConfiguration("w-" + book, "book-" + book));
  }

  private static ScopedRouteConfiguration scope(String name, String routeConfiguration, boolean onDemand) {
    return DeltaAdsHeldBooksTest.scope(name).toBuilder().setName(name).setRouteConfigurationName(routeConfiguration)
        .setOnDemand(onDemand).build();
  }

  private XdsResources resources() {
    return new XdsResources(List.of(), new ArrayList<>(routes.values()), List.of(), List.of(), List.of(),
        new ArrayList<>(scopes.values()), ON_DEMAND);
  }

  /**
   * The definition, from scratch: each on-demand scope whose route configuration routes to a
   * cluster served by name only (the first), unless a route configuration no on-demand scope names
   * routes to that cluster too.
   */
  private Map<String, BookScopes.Entry> definition(ContentVersionedSnapshot snapshot) {
    Set<String> named = new HashSet<>();
    scopes.values().stream().filter(ScopedRouteConfiguration::getOnDemand)
        .forEach(s -> named.add(s.getRouteConfigurationName()));
    Set<String> shared = new HashSet<>();
    routes.values().stream().filter(r -> !named.contains(r.getName())).forEach(r ->
        r.getVirtualHostsList().forEach(h -> h.getRoutesList().forEach(route -> shared.add(route.getRoute().getCluster()))));
    Map<String, BookScopes.Entry> expected = new HashMap<>();
    scopes.values().stream().filter(ScopedRouteConfiguration::getOnDemand).forEach(s -> {
      RouteConfiguration config = routes.get(s.getRouteConfigurationName());
      if (config == null) {
        return;
      }
      config.getVirtualHostsList().stream().flatMap(h -> h.getRoutesList().stream())
          .map(route -> route.getRoute().getCluster())
          .filter(cluster -> snapshot.byNameOnly(XdsType.CLUSTER, cluster))
          .findFirst()
          .filter(cluster -> !shared.contains(cluster))
          .ifPresent(cluster -> expected.put(s.getName(), new BookScopes.Entry(s.getRouteConfigurationName(), cluster)));
    });
    return expected;
  }
}
