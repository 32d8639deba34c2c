package io.voyager.bdk.xds.server;

import static io.voyager.bdk.xds.server.DeltaAdsTest.CDS;
import static io.voyager.bdk.xds.server.DeltaAdsTest.RDS;
import static io.voyager.bdk.xds.server.DeltaAdsTest.SRDS;
import static io.voyager.bdk.xds.server.DeltaAdsTest.names;
import static io.voyager.bdk.xds.server.DeltaAdsTest.summaries;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.xds.translate.ClusterDelivery;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.version.XdsType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The held-books bound on a delta stream ({@code --held-books-limit 2}) over a real gRPC stream
 * (in-process), Envoy's side played as Envoy plays it: on-demand scopes, route configurations
 * fetched by name, on-demand clusters subscribed by name, ACKs by nonce.
 */
class DeltaAdsHeldBooksTest {
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final SnapshotPublisher publisher = new SnapshotPublisher("bdk-gateway", registry);
  final SyncTracker tracker = new SyncTracker(registry, publisher::ensureGroup);
  final List<AutoCloseable> toClose = new ArrayList<>();
  final HeldBooksLimit limit = HeldBooksLimit.of(2, registry);
  DeltaAds delta;

  @AfterEach
  void close() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  @Test
  void pastTheLimitTheLeastRecentlyFetchedBookIsEvictedScopeFirstClusterAfterAndReloadedClusterFirst() throws Exception {
    DeltaAdsTest.Envoy envoy = holdingAAndB();
    assertThat(delta.heldBooks()).isEqualTo(2);

    // c's route configuration asked for: a (least recently fetched, loaded) goes, its scope before its cluster.
    List<DeltaDiscoveryResponse> eviction = fetchAndTakeEviction(envoy, "c");
    assertThat(summaries(eviction)).containsExactly("ScopedRouteConfiguration+[w-a]-[]", "Cluster+[]-[book-a]");
    ScopedRouteConfiguration moved = eviction.get(0).getResources(0).getResource().unpack(ScopedRouteConfiguration.class);
    assertThat(moved.getRouteConfigurationName()).isEqualTo("w-a~1");
    assertThat(moved.getKey()).isEqualTo(scope("w-a").getKey());
    assertThat(moved.getOnDemand()).isTrue();
    assertThat(limit.evictions().count()).isEqualTo(1.0);
    // Envoy drops the route configuration no scope names any more.
    envoy.send(RDS, List.of(), List.of("w-a"), Map.of(), "", null);

    // a's next request: Envoy asks for w-a~1; its cluster comes first, then the route configuration (a's content).
    envoy.send(RDS, List.of("w-a~1"), List.of(), Map.of(), "", null);
    DeltaDiscoveryResponse cluster = envoy.next();
    DeltaDiscoveryResponse route = envoy.next();
    assertThat(summaries(List.of(cluster, route))).containsExactly("Cluster+[book-a]-[]", "RouteConfiguration+[w-a~1]-[]");
    // Three held again: b, now the least recently fetched and loaded, goes (its cluster once its scope move is ACKed).
    assertThat(summaries(List.of(envoy.nextAcked(1).get(0), envoy.next())))
        .containsExactly("ScopedRouteConfiguration+[w-b]-[]", "Cluster+[]-[book-b]");
    RouteConfiguration served = route.getResources(0).getResource().unpack(RouteConfiguration.class);
    assertThat(served.getName()).isEqualTo("w-a~1");
    assertThat(served.getVirtualHosts(0)).isEqualTo(routeConfiguration("w-a", "book-a").getVirtualHosts(0));
    envoy.ack(cluster);
    envoy.ack(route);
    assertThat(delta.heldBooks()).isEqualTo(2);
    assertThat(limit.reloads().count()).as("a's cluster sent back once").isEqualTo(1.0);
    assertThat(envoy.responses).isEmpty();
  }

  @Test
  void aScopeWhoseRouteConfigurationIsNotAckedIsNotMoved() throws Exception {
    publish("a", "b", "c");
    DeltaAdsTest.Envoy envoy = connect();
    connectTypes(envoy);
    DeltaDiscoveryResponse pending = envoy.request(RDS, List.of("w-a"), Map.of()); // never ACKed
    fetch(envoy, "b");
    List<DeltaDiscoveryResponse> eviction = fetchAndTakeEviction(envoy, "c");
    assertThat(summaries(eviction)).as("a is loading: b goes").containsExactly(
        "ScopedRouteConfiguration+[w-b]-[]", "Cluster+[]-[book-b]");
    assertThat(pending.getNonce()).isNotEmpty();
  }

  @Test
  void onAReconnectWhatEnvoyHoldsUnderTheAlternateNameIsKeptAndNotResent() throws Exception {
    publish("a", "b", "c");
    DeltaAdsTest.Envoy envoy = connect();
    String scopeVersion = version(XdsType.SCOPED_ROUTE, "w-a");
    String routeVersion = version(XdsType.ROUTE, "w-a");
    String clusterVersion = version(XdsType.CLUSTER, "book-a");
    envoy.ack(envoy.request(CDS, List.of("*", "book-a"), Map.of("book-a", clusterVersion)));
    DeltaDiscoveryResponse scopes = envoy.request(SRDS, List.of(),
        Map.of("w-a", scopeVersion + HeldBooks.ALTERNATE_SUFFIX));
    assertThat(names(scopes)).as("w-a as Envoy holds it is not resent").containsExactly("w-b", "w-c");
    envoy.ack(scopes);
    DeltaDiscoveryResponse routes = envoy.request(RDS, List.of("w-a~1"), Map.of("w-a~1", routeVersion));
    assertThat(routes.getResourcesList()).as("Envoy holds w-a~1 (a's content)").isEmpty();
    envoy.ack(routes);
    assertThat(delta.heldBooks()).isEqualTo(1);
  }

  @Test
  void onAReconnectAnEvictedClusterEnvoyIsStillSubscribedToStaysHeldBackUntilItsBooksNextFetch() throws Exception {
    publish("a", "b", "c");
    DeltaAdsTest.Envoy envoy = connect();
    String scopeA = version(XdsType.SCOPED_ROUTE, "w-a");
    String routeB = version(XdsType.ROUTE, "w-b");
    String clusterB = version(XdsType.CLUSTER, "book-b");
    // Envoy held a (evicted: scope on w-a~1, cluster removed but still subscribed) and b (loaded).
    DeltaDiscoveryResponse clusters = envoy.request(CDS, List.of("*", "book-a", "book-b"), Map.of("book-b", clusterB));
    assertThat(names(clusters)).as("book-a stays out until a's next fetch").isEmpty();
    envoy.ack(clusters);
    envoy.ack(envoy.request(SRDS, List.of(), Map.of("w-a", scopeA + HeldBooks.ALTERNATE_SUFFIX)));
    envoy.ack(envoy.request(RDS, List.of("w-b"), Map.of("w-b", routeB)));

    envoy.send(RDS, List.of("w-a~1"), List.of(), Map.of(), "", null);
    List<DeltaDiscoveryResponse> reload = List.of(envoy.next(), envoy.next());
    assertThat(summaries(reload)).containsExactly("Cluster+[book-a]-[]", "RouteConfiguration+[w-a~1]-[]");
    reload.forEach(envoy::ack);

    // b, held since before the reconnect, is evictable: c's fetch evicts it, not the book just reloaded.
    envoy.ack(envoy.request(RDS, List.of("w-c"), Map.of()));
    assertThat(summaries(List.of(envoy.nextAcked(1).get(0), envoy.next())))
        .containsExactly("ScopedRouteConfiguration+[w-b]-[]", "Cluster+[]-[book-b]");
  }

  @Test
  void onAReconnectABooksClusterIsSentAtOnceWhenEnvoyHoldsItsRouteConfiguration() throws Exception {
    publish("a", "b", "c");
    DeltaAdsTest.Envoy envoy = connect();
    String routeA = version(XdsType.ROUTE, "w-a");
    // A request was waiting for book-a's cluster when the stream broke: Envoy holds w-a, not book-a.
    envoy.ack(envoy.request(CDS, List.of("*", "book-a"), Map.of()));
    envoy.ack(envoy.request(SRDS, List.of(), Map.of()));
    envoy.send(RDS, List.of("w-a"), List.of(), Map.of("w-a", routeA), "", null);
    assertThat(summaries(List.of(envoy.next(), envoy.next())))
        .containsExactly("Cluster+[book-a]-[]", "RouteConfiguration+[]-[]");
  }

  @Test
  void aBookWhoseClusterAnotherRouteConfigurationAlsoRoutesToIsNeverEvicted() throws Exception {
    // The internal delivery listener's route configuration routes to book-a too (a queued integration).
    publish(List.of(routeConfiguration("internal-deliveries", "book-a")), "a", "b", "c", "d");
    DeltaAdsTest.Envoy envoy = connect();
    connectTypes(envoy);
    fetch(envoy, "a");
    fetch(envoy, "b");
    fetch(envoy, "c");
    assertThat(delta.heldBooks()).as("a is not counted").isEqualTo(2);
    List<DeltaDiscoveryResponse> eviction = fetchAndTakeEviction(envoy, "d");
    assertThat(summaries(eviction)).as("b goes, though a was fetched first")
        .containsExactly("ScopedRouteConfiguration+[w-b]-[]", "Cluster+[]-[book-b]");
  }

  @Test
  void aNackedScopeMoveIsUndoneTheScopeResentAsEnvoyHoldsItAndNothingRemoved() throws Exception {
    DeltaAdsTest.Envoy envoy = holdingAAndB();
    envoy.ack(envoy.request(RDS, List.of("w-c"), Map.of()));
    DeltaDiscoveryResponse moves = envoy.next();
    assertThat(summaries(List.of(moves))).containsExactly("ScopedRouteConfiguration+[w-a]-[]");
    envoy.nack(moves, "scope w-a refused");

    DeltaDiscoveryResponse resent = envoy.next();
    assertThat(summaries(List.of(resent))).containsExactly("ScopedRouteConfiguration+[w-a]-[]");
    ScopedRouteConfiguration asHeld = resent.getResources(0).getResource().unpack(ScopedRouteConfiguration.class);
    assertThat(asHeld.getRouteConfigurationName()).isEqualTo("w-a");
    assertThat(resent.getResources(0).getVersion()).isEqualTo(version(XdsType.SCOPED_ROUTE, "w-a"));
    envoy.ack(resent);
    assertThat(envoy.responses).as("book-a's cluster is not removed").isEmpty();
    assertThat(delta.heldBooks()).as("a held again, b, c").isEqualTo(3);

    // The next route configuration request evicts again: b now (a counts as just fetched), cluster after the ACK.
    envoy.ack(envoy.request(CDS, List.of("book-c"), Map.of()));
    envoy.send(RDS, List.of(), List.of(), Map.of(), "", null);
    DeltaDiscoveryResponse next = envoy.next();
    assertThat(summaries(List.of(next))).containsExactly("ScopedRouteConfiguration+[w-b]-[]");
    envoy.ack(next);
    assertThat(summaries(List.of(envoy.next()))).containsExactly("Cluster+[]-[book-b]");
  }

  @Test
  void aReconnectBetweenTheScopeMoveAndItsAckKeepsTheClusterEnvoyHoldsAndServesTheBookOnItsNewName() throws Exception {
    DeltaAdsTest.Envoy before = holdingAAndB();
    before.ack(before.request(RDS, List.of("w-c"), Map.of()));
    assertThat(summaries(List.of(before.next()))).containsExactly("ScopedRouteConfiguration+[w-a]-[]");
    before.requests.onCompleted(); // the stream breaks before the ACK: Envoy applied the move, unsubscribed w-a

    DeltaAdsTest.Envoy envoy = connect();
    DeltaDiscoveryResponse clusters = envoy.request(CDS, List.of("*", "book-a", "book-b", "book-c"), Map.of(
        "book-a", version(XdsType.CLUSTER, "book-a"), "book-b", version(XdsType.CLUSTER, "book-b"),
        "book-c", version(XdsType.CLUSTER, "book-c")));
    assertThat(summaries(List.of(clusters))).as("nothing removed: Envoy holds book-a, a request may use it")
        .containsExactly("Cluster+[]-[]");
    envoy.ack(clusters);
    envoy.ack(envoy.request(SRDS, List.of(), Map.of(
        "w-a", version(XdsType.SCOPED_ROUTE, "w-a") + HeldBooks.ALTERNATE_SUFFIX,
        "w-b", version(XdsType.SCOPED_ROUTE, "w-b"), "w-c", version(XdsType.SCOPED_ROUTE, "w-c"))));
    envoy.ack(envoy.request(RDS, List.of("w-b", "w-c"),
        Map.of("w-b", version(XdsType.ROUTE, "w-b"), "w-c", version(XdsType.ROUTE, "w-c"))));
    assertThat(delta.heldBooks()).isEqualTo(2);

    // a's next request: w-a~1 is served (its cluster Envoy holds); b or c (held since the reconnect,
    // in the order of Envoy's initial versions) goes, its cluster after the ACK; a stays.
    DeltaDiscoveryResponse route = envoy.request(RDS, List.of("w-a~1"), Map.of());
    assertThat(summaries(List.of(route))).containsExactly("RouteConfiguration+[w-a~1]-[]");
    envoy.ack(route);
    List<String> eviction = summaries(List.of(envoy.nextAcked(1).get(0), envoy.next()));
    assertThat(eviction).isIn(List.of("ScopedRouteConfiguration+[w-b]-[]", "Cluster+[]-[book-b]"),
        List.of("ScopedRouteConfiguration+[w-c]-[]", "Cluster+[]-[book-c]"));
  }

  @Test
  void aHeldBookWhoseClusterBecomesSharedIsNoLongerCountedAndOneUnsharedAgainIsABookFetchedAfresh() throws Exception {
    DeltaAdsTest.Envoy envoy = holdingAAndB();
    publish(List.of(routeConfiguration("internal-deliveries", "book-a")), "a", "b", "c");
    assertThat(delta.heldBooks()).as("a is shared now: not a book").isEqualTo(1);
    ackPending(envoy);
    fetch(envoy, "c");
    assertThat(delta.heldBooks()).isEqualTo(2);
    assertThat(limit.evictions().count()).as("b and c held: nothing over the limit").isZero();

    publish("a", "b", "c"); // unshared: a is a book again, not held on this Envoy (forgotten while shared)
    ackPending(envoy);
    assertThat(delta.heldBooks()).isEqualTo(2);
    List<DeltaDiscoveryResponse> eviction = fetchAndTakeEviction(envoy, "a");
    assertThat(summaries(eviction)).as("a's fetch: b, the least recently fetched, goes")
        .containsExactly("ScopedRouteConfiguration+[w-b]-[]", "Cluster+[]-[book-b]");
  }

  @Test
  void aRemovedBooksScopeGetsItsPlaceholderUnderTheNameThisEnvoysCopyOfTheScopeNames() throws Exception {
    DeltaAdsTest.Envoy envoy = holdingAAndB();
    fetchAndTakeEviction(envoy, "c"); // a evicted: its scope names w-a~1
    envoy.send(RDS, List.of(), List.of("w-a"), Map.of(), "", null);

    publish("b", "c"); // book a removed
    List<String> routeResponses = new ArrayList<>();
    DeltaDiscoveryResponse response;
    do {
      response = envoy.next();
      envoy.ack(response);
      if (response.getTypeUrl().equals(RDS)) {
        routeResponses.addAll(summaries(List.of(response)));
      }
    } while (!response.getTypeUrl().equals(SRDS));
    assertThat(routeResponses).as("a fetch of w-a~1 crossing the removal finds a placeholder (404), not a hang")
        .containsExactly("RouteConfiguration+[w-a~1]-[]");
  }

  // ---- harness ----

  /** ACKs every response sent so far (a snapshot's updates). */
  private static void ackPending(DeltaAdsTest.Envoy envoy) {
    for (DeltaDiscoveryResponse response = envoy.responses.poll(); response != null; response = envoy.responses.poll()) {
      envoy.ack(response);
    }
  }

  /** The version of {@code name} of {@code type} in the snapshot served now. */
  private String version(XdsType type, String name) {
    return publisher.current().orElseThrow().resources(type).get(name).version();
  }

  /** Books a, b and c published; an Envoy connected that fetched a, then b (the limit's worth). */
  private DeltaAdsTest.Envoy holdingAAndB() throws Exception {
    publish("a", "b", "c");
    DeltaAdsTest.Envoy envoy = connect();
    connectTypes(envoy);
    fetch(envoy, "a");
    fetch(envoy, "b");
    return envoy;
  }

  private DeltaAdsTest.Envoy connect() throws Exception {
    delta = DeltaAds.serving(publisher, List.of(tracker), (task, delay) -> {}, limit);
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new AggregatedDiscoveryService(new AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase() {}, delta))
        .build().start();
    toClose.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    toClose.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    DeltaAdsTest.Envoy envoy = new DeltaAdsTest.Envoy();
    envoy.requests = AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(envoy);
    return envoy;
  }

  /** Envoy's start: wildcard CDS (no book cluster in it) and SRDS (every scope). */
  private static void connectTypes(DeltaAdsTest.Envoy envoy) throws Exception {
    DeltaDiscoveryResponse clusters = envoy.request(CDS, List.of(), Map.of());
    assertThat(names(clusters)).isEmpty();
    envoy.ack(clusters);
    envoy.ack(envoy.request(SRDS, List.of(), Map.of()));
  }

  /** A request for book {@code book}: its route configuration, then its cluster on demand, each ACKed. */
  private static void fetch(DeltaAdsTest.Envoy envoy, String book) throws Exception {
    envoy.ack(envoy.request(RDS, List.of("w-" + book), Map.of()));
    envoy.ack(envoy.request(CDS, List.of("book-" + book), Map.of()));
  }

  /**
   * Envoy asks for book {@code book}'s route configuration, which evicts one: the eviction's scope
   * update and, once Envoy ACKed that, the cluster removal (both ACKed); then the book's cluster is fetched.
   */
  private static List<DeltaDiscoveryResponse> fetchAndTakeEviction(DeltaAdsTest.Envoy envoy, String book) throws Exception {
    envoy.ack(envoy.request(RDS, List.of("w-" + book), Map.of()));
    DeltaDiscoveryResponse moves = envoy.next();
    assertThat(envoy.responses).as("no cluster removal before the scope move is ACKed").isEmpty();
    envoy.ack(moves);
    DeltaDiscoveryResponse removal = envoy.next();
    envoy.ack(removal);
    envoy.ack(envoy.request(CDS, List.of("book-" + book), Map.of()));
    return List.of(moves, removal);
  }

  /** Books {@code books}, each an on-demand scope w-x naming route configuration w-x routing to cluster book-x. */
  private void publish(String... books) {
    publish(List.of(), books);
  }

  /** As {@link #publish(String...)}, with {@code others} (route configurations no scope names) too. */
  private void publish(List<RouteConfiguration> others, String... books) {
    List<RouteConfiguration> routes = new ArrayList<>(others);
    List<Cluster> clusters = new ArrayList<>();
    List<ScopedRouteConfiguration> scopes = new ArrayList<>();
    for (String book : books) {
      routes.add(routeConfiguration("w-" + book, "book-" + book));
      clusters.add(Cluster.newBuilder().setName("book-" + book).setType(Cluster.DiscoveryType.EDS).build());
      scopes.add(scope("w-" + book));
    }
    assertThat(publisher.publish(new XdsResources(List.of(), routes, clusters,
        clusters.stream().map(c -> DeltaAdsTest.endpoints(c.getName())).toList(), List.of(), scopes,
        new ClusterDelivery(true, Set.of())))).isTrue();
  }

  static RouteConfiguration routeConfiguration(String name, String cluster) {
    return RouteConfiguration.newBuilder().setName(name).addVirtualHosts(VirtualHost.newBuilder().setName(name).addDomains("*")
        .addRoutes(Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
            .setRoute(RouteAction.newBuilder().setCluster(cluster)))).build();
  }

  static ScopedRouteConfiguration scope(String name) {
    return ScopedRouteConfiguration.newBuilder().setName(name).setRouteConfigurationName(name).setOnDemand(true)
        .setKey(ScopedRouteConfiguration.Key.newBuilder()
            .addFragments(ScopedRouteConfiguration.Key.Fragment.newBuilder().setStringKey(name))).build();
  }

}
