package io.voyager.bdk.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.GenericSecret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.support.tls.PeerIdentity;
import io.voyager.bdk.xds.translate.ClusterDelivery;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The delta ADS server over a real gRPC stream (in-process), against snapshots published the way
 * the xds-server publishes them, speaking the protocol as Envoy does: first request per type with
 * {@code initial_resource_versions}, subscriptions, ACKs and NACKs by nonce.
 */
class DeltaAdsTest {
  static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;
  static final String LDS = Resources.V3.LISTENER_TYPE_URL;
  static final String RDS = Resources.V3.ROUTE_TYPE_URL;
  static final String SDS = Resources.V3.SECRET_TYPE_URL;
  static final String SRDS = XdsType.SCOPED_ROUTE_TYPE_URL;

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final SnapshotPublisher publisher = new SnapshotPublisher("bdk-gateway", registry);
  final List<String> nacks = new ArrayList<>();
  final List<String> acks = new ArrayList<>();
  final SyncTracker tracker = new SyncTracker(registry, publisher::ensureGroup, new XdsAckListener() {
    @Override
    public void onNack(String node, String typeUrl, String rejectedVersion, String error) {
      nacks.add(SyncTracker.shortType(typeUrl) + "@" + rejectedVersion + ": " + error);
    }

    @Override
    public void onAck(String node, String typeUrl, String version) {
      acks.add(SyncTracker.shortType(typeUrl) + "@" + version);
    }
  });
  final List<AutoCloseable> toClose = new ArrayList<>();
  /** Tasks the server delayed, run when a test says their time has come. */
  final List<Runnable> delayed = new ArrayList<>();

  private void runDelayedTasks() {
    List<Runnable> due = List.copyOf(delayed);
    delayed.clear();
    due.forEach(Runnable::run);
  }

  @AfterEach
  void close() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  @Test
  void theFirstWildcardRequestIsAnsweredAtOnceWithEverythingAndAnEmptyTypeWithAnEmptyResponse() throws Exception {
    publish(resources(List.of("a", "b"), List.of(), List.of(), List.of()));
    Envoy envoy = connect(serve(List.of(tracker)));

    DeltaDiscoveryResponse clusters = envoy.request(CDS, List.of(), Map.of());
    assertThat(names(clusters)).containsExactly("a", "b");
    assertThat(clusters.getSystemVersionInfo()).isEqualTo(typeVersion(CDS));
    assertThat(clusters.getResourcesList()).allSatisfy(r -> assertThat(r.getVersion()).isEqualTo(version(CDS, r.getName())));

    DeltaDiscoveryResponse listeners = envoy.request(LDS, List.of(), Map.of());
    assertThat(listeners.getResourcesList()).as("no listeners, answered anyway").isEmpty();
    assertThat(listeners.getRemovedResourcesList()).isEmpty();
    assertThat(listeners.getSystemVersionInfo()).isEqualTo(typeVersion(LDS));
  }

  @Test
  void aRequestBeforeTheFirstSnapshotIsAnsweredByIt() throws Exception {
    Envoy envoy = connect(serve(List.of(tracker)));
    envoy.send(CDS, List.of(), Map.of(), "", null);
    envoy.expectNothingBefore(() -> publish(resources(List.of("a"), List.of(), List.of(), List.of())), CDS);
    assertThat(names(envoy.next())).containsExactly("a");
  }

  @Test
  void onReconnectEnvoysInitialVersionsAreHonouredAResourceDeletedMeanwhileIsRemovedAndUnchangedOnesAreNotResent()
      throws Exception {
    publish(resources(List.of("kept", "changed", "added"), List.of(), List.of(), List.of()));
    Envoy envoy = connect(serve(List.of(tracker)));

    // What the previous xds-server had sent: "kept" at today's version, "changed" at an older one,
    // and "deleted", whose book was removed while no server ran.
    DeltaDiscoveryResponse response = envoy.request(CDS, List.of(),
        Map.of("kept", version(CDS, "kept"), "changed", "0ld", "deleted", "0ld"));

    assertThat(names(response)).containsExactly("added", "changed");
    assertThat(response.getRemovedResourcesList()).containsExactly("deleted");
  }

  @Test
  void aReconnectWithNothingChangedSendsNoResourceButStillAnswersWithTheVersion() throws Exception {
    publish(resources(List.of("a", "b"), List.of("main"), List.of(), List.of()));
    Envoy envoy = connect(serve(List.of(tracker)));

    DeltaDiscoveryResponse clusters = envoy.request(CDS, List.of(), Map.of("a", version(CDS, "a"), "b", version(CDS, "b")));
    DeltaDiscoveryResponse endpoints = envoy.request(EDS, List.of("a", "b"), Map.of("a", version(EDS, "a"), "b", version(EDS, "b")));

    assertThat(clusters.getResourcesCount() + clusters.getRemovedResourcesCount()).isZero();
    assertThat(endpoints.getResourcesCount() + endpoints.getRemovedResourcesCount()).isZero();
    assertThat(clusters.getSystemVersionInfo()).isEqualTo(typeVersion(CDS));
    envoy.ack(clusters);
    envoy.ack(endpoints);
    assertThat(sync("Cluster")).satisfies(row -> assertThat(row.status()).isEqualTo(SyncTracker.Status.SYNCED));
    assertThat(registry.get("bdk.xds.resources.sent").tag("protocol", "delta").counters())
        .allSatisfy(c -> assertThat(c.count()).isZero());
  }

  @Test
  void endpointsRequestedBeforeTheirClusterExistAreAnsweredAsAbsentThenSentWhenTheyExist() throws Exception {
    publish(resources(List.of("a"), List.of(), List.of(), List.of()));
    Envoy envoy = connect(serve(List.of(tracker)));

    DeltaDiscoveryResponse first = envoy.request(EDS, List.of("a", "later"), Map.of());
    assertThat(names(first)).containsExactly("a");
    assertThat(first.getRemovedResourcesList()).as("does not exist (yet)").containsExactly("later");
    envoy.ack(first);

    publish(resources(List.of("a", "later"), List.of(), List.of(), List.of()));
    DeltaDiscoveryResponse second = envoy.next();
    assertThat(second.getTypeUrl()).isEqualTo(EDS);
    assertThat(names(second)).containsExactly("later");
  }

  @Test
  void aChangeSendsOnlyWhatChangedAddingBeforeRoutesAndRemovingAfterThem() throws Exception {
    publish(resources(List.of("a", "b"), List.of("main"), List.of("http"), List.of()));
    Envoy envoy = connect(serve(List.of(tracker)));
    envoy.ack(envoy.request(CDS, List.of(), Map.of()));
    envoy.ack(envoy.request(EDS, List.of("a", "b"), Map.of()));
    envoy.ack(envoy.request(LDS, List.of(), Map.of()));
    envoy.ack(envoy.request(RDS, List.of("main"), Map.of()));

    // Book b goes, book c comes, the route configuration changes with them; a is untouched.
    XdsResources next = resources(List.of("a", "c"), List.of("main"), List.of("http"), List.of());
    next = withRouteVersion(next, "c");
    publish(next);

    List<String> order = summaries(envoy.nextAcked(4));
    // c's endpoints come when Envoy asks for them (after the cluster); b's go after the routes
    assertThat(order).containsExactly(
        "Cluster+[c]-[]",
        "RouteConfiguration+[main]-[]",
        "Cluster+[]-[b]",
        "ClusterLoadAssignment+[]-[b]");
    // Envoy asks for c's endpoints (after the cluster) and drops b's
    DeltaDiscoveryResponse endpoints = envoy.request(EDS, List.of("c"), List.of("b"));
    assertThat(names(endpoints)).containsExactly("c");
  }

  @Test
  void onDemandClustersAreLeftOutOfTheWildcardAnswerAndSentWhenSubscribedByNameTheirEndpointsToo() throws Exception {
    publish(onDemand(resources(List.of("infra", "book-a", "book-b"), List.of("main"), List.of(), List.of()), "infra"));
    Envoy envoy = connect(serve(List.of(tracker)));

    DeltaDiscoveryResponse wildcard = envoy.request(CDS, List.of(), Map.of());
    assertThat(names(wildcard)).as("only the eager cluster").containsExactly("infra");
    envoy.ack(wildcard);
    envoy.ack(envoy.request(EDS, List.of("infra"), Map.of()));

    // The on_demand filter: a route needs book-a, Envoy subscribes to it by name.
    DeltaDiscoveryResponse odcds = envoy.request(CDS, List.of("book-a"), Map.of());
    assertThat(names(odcds)).containsExactly("book-a");
    assertThat(odcds.getRemovedResourcesList()).isEmpty();
    envoy.ack(odcds);
    DeltaDiscoveryResponse endpoints = envoy.request(EDS, List.of("book-a"), Map.of());
    assertThat(names(endpoints)).as("EDS of a cluster subscribed late").containsExactly("book-a");

    DeltaDiscoveryResponse unknown = envoy.request(CDS, List.of("no-such-book"), Map.of());
    assertThat(unknown.getResourcesList()).isEmpty();
    assertThat(unknown.getRemovedResourcesList()).as("does not exist: Envoy stops waiting").containsExactly("no-such-book");
  }

  @Test
  void aSubscribedOnDemandClusterIsUpdatedAndRemovedAfterItsRoutesAnUnsubscribedOneNever() throws Exception {
    publish(onDemand(resources(List.of("infra", "book-a", "book-b"), List.of("main", "route-a", "route-b"), List.of(), List.of()),
        "infra"));
    Envoy envoy = connect(serve(List.of(tracker)));
    envoy.ack(envoy.request(CDS, List.of(), Map.of()));
    envoy.ack(envoy.request(RDS, List.of("main", "route-a", "route-b"), Map.of()));
    envoy.ack(envoy.request(CDS, List.of("book-a"), Map.of()));
    envoy.ack(envoy.request(EDS, List.of("infra", "book-a"), Map.of()));

    // Both books' clusters change: only the one Envoy holds is pushed.
    publish(onDemand(withClusterTimeout(resources(List.of("infra", "book-a", "book-b"), List.of("main", "route-a", "route-b"),
        List.of(), List.of()), 7), "infra"));
    DeltaDiscoveryResponse changed = envoy.next();
    assertThat(changed.getTypeUrl()).isEqualTo(CDS);
    assertThat(names(changed)).containsExactly("book-a", "infra");
    envoy.ack(changed);

    // Both books go: their routes first, then the one cluster Envoy holds (and its endpoints).
    publish(onDemand(withClusterTimeout(resources(List.of("infra"), List.of("main"), List.of(), List.of()), 7), "infra"));
    List<String> order = summaries(envoy.nextAcked(3));
    assertThat(order).containsExactly(
        "RouteConfiguration+[]-[route-a, route-b]",
        "Cluster+[]-[book-a]",
        "ClusterLoadAssignment+[]-[book-a]");
    assertThat(envoy.responses).isEmpty();
  }

  @Test
  void onReconnectOnDemandClustersEnvoyResubscribesAreBroughtUpToDateAndOneRemovedMeanwhileIsRemoved() throws Exception {
    publish(onDemand(resources(List.of("infra", "book-a", "book-b"), List.of(), List.of(), List.of()), "infra"));
    Envoy envoy = connect(serve(List.of(tracker)));

    // Envoy held book-a (older), book-b (current) and book-gone (deleted while no server ran).
    envoy.send(CDS, List.of("*", "book-a", "book-b", "book-gone"), Map.of("infra", version(CDS, "infra"), "book-a", "0ld",
        "book-b", version(CDS, "book-b"), "book-gone", "0ld"), "", null);
    DeltaDiscoveryResponse response = envoy.next();
    assertThat(names(response)).containsExactly("book-a");
    assertThat(response.getRemovedResourcesList()).containsExactly("book-gone");
  }

  @Test
  void routeScopesAreServedAfterTheRouteConfigurationsTheyNameAndRemovedBeforeThem() throws Exception {
    publish(scoped(bookA("main", "w1")));
    Envoy envoy = connect(serve(List.of(tracker)));
    envoy.ack(envoy.request(CDS, List.of(), Map.of()));
    envoy.ack(envoy.request(EDS, List.of("a"), Map.of()));
    envoy.ack(envoy.request(LDS, List.of(), Map.of()));
    DeltaDiscoveryResponse scopes = envoy.request(SRDS, List.of(), Map.of());
    assertThat(names(scopes)).containsExactly("main", "w1");
    envoy.ack(scopes);
    envoy.ack(envoy.request(RDS, List.of("main", "w1"), Map.of())); // as Envoy: the route configurations the scopes name

    // Scope and route configuration w2 come, w1 go.
    publish(scoped(bookA("main", "w2")));
    List<String> order = summaries(envoy.nextAcked(3));
    // w2's route configuration is not asked for yet (Envoy asks once it has the scope)
    assertThat(order).containsExactly(
        "ScopedRouteConfiguration+[w2]-[]",
        "ScopedRouteConfiguration+[]-[w1]",
        "RouteConfiguration+[]-[w1]");
    DeltaDiscoveryResponse w2 = envoy.request(RDS, List.of("w2"), List.of("w1"));
    assertThat(names(w2)).containsExactly("w2");
    assertThat(sync("ScopedRouteConfiguration").acked()).isEqualTo(typeVersion(SRDS));
  }

  @Test
  void aSubscribedRouteConfigurationTheSnapshotLacksIsAnsweredWithAnEmptyOneThenTheRealOneWhenItComes() throws Exception {
    // An on-demand scope's route configuration asked for while its book is being removed (the
    // snapshot no longer has it): Envoy's RDS ignores removals, so it gets an empty one (404).
    publish(scoped(bookA("main")));
    Envoy envoy = connect(serve(List.of(tracker)));
    envoy.ack(envoy.request(RDS, List.of("main"), Map.of()));

    DeltaDiscoveryResponse held = envoy.request(RDS, List.of("w-gone"), List.of());
    assertThat(names(held)).containsExactly("w-gone");
    assertThat(held.getRemovedResourcesList()).as("not answered as removed: Envoy's RDS would ignore it and wait").isEmpty();
    Resource placeholder = held.getResources(0);
    assertThat(placeholder.getVersion()).isEqualTo(AbsentResourcePlaceholders.PLACEHOLDER_VERSION);
    RouteConfiguration empty = placeholder.getResource().unpack(RouteConfiguration.class);
    assertThat(empty.getName()).isEqualTo("w-gone");
    assertThat(empty.getVirtualHostsList()).as("routes nothing: Envoy answers 404").isEmpty();
    envoy.ack(held);

    // A snapshot that changes something else does not send the placeholder again.
    publish(scoped(withRouteVersion(bookA("main"), "m2")));
    DeltaDiscoveryResponse other = envoy.next();
    assertThat(names(other)).containsExactly("main");
    envoy.ack(other);

    // The route configuration appears (the book is added again): the real one replaces the placeholder.
    publish(scoped(withRouteVersion(bookA("main", "w-gone"), "m2")));
    DeltaDiscoveryResponse real = envoy.next();
    assertThat(real.getTypeUrl()).isEqualTo(RDS);
    assertThat(names(real)).containsExactly("w-gone");
    assertThat(real.getResources(0).getVersion()).isEqualTo(version(RDS, "w-gone"))
        .isNotEqualTo(AbsentResourcePlaceholders.PLACEHOLDER_VERSION);
  }

  @Test
  void aRemovedScopesRouteConfigurationEnvoyDoesNotHoldIsSentAsAPlaceholderBeforeTheScopesRemoval() throws Exception {
    // Envoy holds scopes main and w1 (on demand) and only main's route configuration.
    publish(scoped(bookA("main", "w1", "w2")));
    Envoy envoy = connect(serve(List.of(tracker)));
    envoy.ack(envoy.request(SRDS, List.of(), Map.of()));
    envoy.ack(envoy.request(RDS, List.of("main", "w2"), Map.of()));

    // w1's and w2's books go. A request for w1 may have made Envoy subscribe to w1 (crossing this
    // snapshot): a placeholder of w1 goes before the scope's removal, so Envoy's held request is
    // answered (the scope's removal drops its on-demand callback). w2, which Envoy holds: a removal.
    // w1's scope itself goes SCOPE_REMOVAL_GRACE later: a request Envoy sends its fetch for in
    // between (it dropped the placeholder, not subscribed then) is answered before the scope goes.
    publish(scoped(bookA("main")));
    List<DeltaDiscoveryResponse> responses = envoy.nextAcked(3);
    assertThat(summaries(responses)).containsExactly(
        "RouteConfiguration+[w1]-[]",
        "ScopedRouteConfiguration+[]-[w2]",
        "RouteConfiguration+[]-[w2]");
    DeltaDiscoveryResponse placeholder = responses.get(0);
    assertThat(placeholder.getResources(0).getVersion()).isEqualTo(AbsentResourcePlaceholders.PLACEHOLDER_VERSION);
    assertThat(placeholder.getResources(0).getResource().unpack(RouteConfiguration.class).getVirtualHostsCount()).isZero();
    assertThat(delayed).hasSize(1);

    // The crossing subscription arrives: answered with the placeholder too; then Envoy drops it.
    DeltaDiscoveryResponse crossed = envoy.request(RDS, List.of("w1"), List.of());
    assertThat(names(crossed)).containsExactly("w1");
    assertThat(crossed.getRemovedResourcesList()).isEmpty();
    envoy.ack(crossed);
    // The grace ends: w1's scope is removed.
    runDelayedTasks();
    DeltaDiscoveryResponse late = envoy.next();
    assertThat(summaries(List.of(late))).containsExactly("ScopedRouteConfiguration+[]-[w1]");
    envoy.ack(late);
    envoy.send(RDS, List.of(), List.of("w1"), Map.of(), "", null);
    publish(scoped(withRouteVersion(bookA("main"), "m2")));
    DeltaDiscoveryResponse next = envoy.next();
    assertThat(names(next)).containsExactly("main");
    assertThat(next.getRemovedResourcesList()).isEmpty();
  }

  @Test
  void aRouteScopeAddedBackWithinTheGraceIsNotRemovedWhenTheGraceEnds() throws Exception {
    publish(scoped(bookA("main", "w1")));
    Envoy envoy = connect(serve(List.of(tracker)));
    envoy.ack(envoy.request(SRDS, List.of(), Map.of()));
    envoy.ack(envoy.request(RDS, List.of("main"), Map.of()));

    publish(scoped(bookA("main")));
    assertThat(summaries(envoy.nextAcked(2))).containsExactly(
        "RouteConfiguration+[w1]-[]", "ScopedRouteConfiguration+[]-[]");
    assertThat(delayed).hasSize(1);
    publish(scoped(bookA("main", "w1")));
    assertThat(summaries(envoy.nextAcked(2))).containsExactly(
        "RouteConfiguration+[]-[]", "ScopedRouteConfiguration+[w1]-[]");

    runDelayedTasks();
    // The late removal sent nothing: the next response is the next snapshot's.
    DeltaDiscoveryResponse next = envoy.nextAfter(() -> publish(scoped(withRouteVersion(bookA("main", "w1"), "m2"))));
    assertThat(names(next)).containsExactly("main");
    assertThat(next.getRemovedResourcesList()).isEmpty();
  }

  @Test
  void onReconnectAPlaceholderEnvoyHoldsIsNotResentAndTheRealRouteConfigurationIsSentWhenItComes() throws Exception {
    publish(bookA("main"));
    Envoy envoy = connect(serve(List.of(tracker)));

    // Envoy held main (current) and the placeholder of w-gone from the previous xds-server.
    DeltaDiscoveryResponse first = envoy.request(RDS, List.of("main", "w-gone"),
        Map.of("main", version(RDS, "main"), "w-gone", AbsentResourcePlaceholders.PLACEHOLDER_VERSION));
    assertThat(first.getResourcesList()).as("Envoy has both already").isEmpty();
    assertThat(first.getRemovedResourcesList()).isEmpty();
    envoy.ack(first);

    publish(bookA("main", "w-gone"));
    DeltaDiscoveryResponse real = envoy.next();
    assertThat(names(real)).containsExactly("w-gone");
    assertThat(real.getResources(0).getVersion()).isEqualTo(version(RDS, "w-gone"));
  }

  @Test
  void aRouteConfigurationEnvoyHoldsThatIsRemovedIsStillSentAsRemovedAndOtherTypesAbsentNamesAsDoesNotExist() throws Exception {
    publish(bookA("main", "w1"));
    Envoy envoy = connect(serve(List.of(tracker)));
    envoy.ack(envoy.request(RDS, List.of("main", "w1"), Map.of()));
    envoy.ack(envoy.request(CDS, List.of(), Map.of()));

    // Clusters and endpoints Envoy asks for by name that do not exist: removals (ODCDS reports the
    // cluster missing, EDS warming ends), no placeholder.
    DeltaDiscoveryResponse cluster = envoy.request(CDS, List.of("no-such-book"), List.of());
    assertThat(cluster.getResourcesList()).isEmpty();
    assertThat(cluster.getRemovedResourcesList()).containsExactly("no-such-book");
    DeltaDiscoveryResponse endpoints = envoy.request(EDS, List.of("a", "no-such-book"), Map.of());
    assertThat(names(endpoints)).containsExactly("a");
    assertThat(endpoints.getRemovedResourcesList()).containsExactly("no-such-book");

    // w1, which Envoy holds, goes: a removal as before (its scope's removal ends its use).
    publish(bookA("main"));
    DeltaDiscoveryResponse removed = envoy.next();
    assertThat(removed.getTypeUrl()).isEqualTo(RDS);
    assertThat(removed.getResourcesList()).isEmpty();
    assertThat(removed.getRemovedResourcesList()).containsExactly("w1");
  }

  @Test
  void aRejectedResourceIsNotSentAgainUntilItChangesAndTheNackIsTracked() throws Exception {
    publish(bookA());
    Envoy envoy = connect(serve(List.of(tracker)));
    envoy.ack(envoy.request(CDS, List.of(), Map.of()));
    envoy.ack(envoy.request(LDS, List.of(), Map.of()));

    publish(resources(List.of("a", "bad"), List.of(), List.of("http"), List.of()));
    DeltaDiscoveryResponse rejected = envoy.next();
    assertThat(names(rejected)).containsExactly("bad");
    envoy.nack(rejected, "cluster bad: invalid");

    assertThat(nacks).containsExactly("Cluster@" + rejected.getSystemVersionInfo() + ": cluster bad: invalid");
    SyncTracker.TypeSync row = sync("Cluster");
    assertThat(row.status()).isEqualTo(SyncTracker.Status.NACKED);
    assertThat(row.error()).isEqualTo("cluster bad: invalid");
    assertThat(tracker.report(publisher::currentVersion).get(0).protocol()).isEqualTo(SyncTracker.DELTA);

    // Only the listener changes next: nothing of the clusters is sent again (no NACK loop).
    XdsResources listenerChanged = resources(List.of("a", "bad"), List.of(), List.of("http", "https"), List.of());
    DeltaDiscoveryResponse listeners = envoy.nextAfter(() -> publish(listenerChanged));
    assertThat(listeners.getTypeUrl()).as("no Cluster response before it").isEqualTo(LDS);
    envoy.ack(listeners);

    // The quarantine removes the culprit: removed, and the ACK clears the NACK.
    publish(resources(List.of("a"), List.of(), List.of("http", "https"), List.of()));
    DeltaDiscoveryResponse removal = envoy.next();
    assertThat(removal.getRemovedResourcesList()).containsExactly("bad");
    envoy.ack(removal);
    assertThat(sync("Cluster").status()).isEqualTo(SyncTracker.Status.SYNCED);
    assertThat(acks).contains("Cluster@" + removal.getSystemVersionInfo());
  }

  @Test
  void secretsSubscribedByNameFollowTheirRotation() throws Exception {
    publish(resources(List.of("a"), List.of(), List.of(), List.of("edge=one")));
    Envoy envoy = connect(serve(List.of(tracker)));
    DeltaDiscoveryResponse first = envoy.request(SDS, List.of("edge"), Map.of());
    assertThat(names(first)).containsExactly("edge");
    envoy.ack(first);

    publish(resources(List.of("a"), List.of(), List.of(), List.of("edge=two")));
    DeltaDiscoveryResponse rotated = envoy.next();
    assertThat(rotated.getTypeUrl()).isEqualTo(SDS);
    assertThat(rotated.getResources(0).getResource().unpack(Secret.class).getGenericSecret().getSecret().getInlineString())
        .isEqualTo("two");
    envoy.ack(rotated);

    // rotated again while the last rotation is not yet acked: not lost
    publish(resources(List.of("a"), List.of(), List.of(), List.of("edge=three")));
    publish(resources(List.of("a"), List.of(), List.of(), List.of("edge=four")));
    DeltaDiscoveryResponse third = envoy.next();
    DeltaDiscoveryResponse fourth = envoy.next();
    assertThat(List.of(secretValue(third), secretValue(fourth))).containsExactly("three", "four");
  }

  @Test
  void anUnsubscribedNameIsForgottenAndSentAgainWhenSubscribedAgain() throws Exception {
    publish(resources(List.of("a", "b"), List.of(), List.of(), List.of()));
    Envoy envoy = connect(serve(List.of(tracker)));
    envoy.ack(envoy.request(EDS, List.of("a", "b"), Map.of()));

    envoy.send(EDS, List.of(), List.of("b"), Map.of(), "", null);
    DeltaDiscoveryResponse again = envoy.request(EDS, List.of("b"), List.of());
    assertThat(names(again)).containsExactly("b");
  }

  @Test
  void aStreamWhoseNodeTheCertificateDoesNotNameIsRefusedAndNeverTracked() throws Exception {
    publish(resources(List.of("a"), List.of(), List.of(), List.of()));
    NodeIdentityCheck identity = new NodeIdentityCheck(registry, () -> new PeerIdentity("CN=other", List.of("spiffe://bdk/envoy/other"), List.of()));
    Envoy envoy = connect(serve(List.of(identity, tracker)));

    envoy.send(CDS, List.of(), Map.of(), "", null);

    assertThat(envoy.closedWith()).satisfies(status -> {
      assertThat(status.getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED);
      assertThat(status.getDescription()).contains("spiffe://bdk/envoy/bdk-gateway");
    });
    assertThat(tracker.report(publisher::currentVersion)).isEmpty();
  }

  @Test
  void aRequestWithoutTypeUrlEndsTheStream() throws Exception {
    Envoy envoy = connect(serve(List.of(tracker)));
    envoy.requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node()).build());
    assertThat(envoy.closedWith().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
    assertThat(envoy.closedWith().getDescription()).contains("type_url");
  }

  // ---- harness ----

  /** The xds-server's delta ADS on an in-process gRPC server; returns the server's name. */
  private String serve(List<io.envoyproxy.controlplane.server.DiscoveryServerCallbacks> callbacks) throws Exception {
    DeltaAds delta = DeltaAds.serving(publisher, callbacks, (task, delay) -> {
      assertThat(delay).isEqualTo(DeltaAdsStream.SCOPE_REMOVAL_GRACE);
      delayed.add(task);
    });
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new AggregatedDiscoveryService(new AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase() {}, delta))
        .build().start();
    toClose.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return name;
  }

  private Envoy connect(String server) {
    ManagedChannel channel = InProcessChannelBuilder.forName(server).directExecutor().build();
    toClose.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    Envoy envoy = new Envoy();
    envoy.requests = AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(envoy);
    return envoy;
  }

  /** The Envoy end of one stream: sends requests, collects responses. */
  static final class Envoy implements StreamObserver<DeltaDiscoveryResponse> {
    final BlockingQueue<DeltaDiscoveryResponse> responses = new LinkedBlockingQueue<>();
    final AtomicReference<io.grpc.Status> closed = new AtomicReference<>();
    StreamObserver<DeltaDiscoveryRequest> requests;
    boolean nodeSent;

    void send(String typeUrl, List<String> subscribe, Map<String, String> initial, String nonce, String error) {
      send(typeUrl, subscribe, List.of(), initial, nonce, error);
    }

    void send(String typeUrl, List<String> subscribe, List<String> unsubscribe, Map<String, String> initial, String nonce,
        String error) {
      DeltaDiscoveryRequest.Builder request = DeltaDiscoveryRequest.newBuilder().setTypeUrl(typeUrl)
          .addAllResourceNamesSubscribe(subscribe).addAllResourceNamesUnsubscribe(unsubscribe)
          .putAllInitialResourceVersions(initial).setResponseNonce(nonce);
      if (!nodeSent) {
        request.setNode(node()); // as Envoy with set_node_on_first_message_only
        nodeSent = true;
      }
      if (error != null) {
        request.setErrorDetail(Status.newBuilder().setCode(3).setMessage(error));
      }
      requests.onNext(request.build());
    }

    DeltaDiscoveryResponse request(String typeUrl, List<String> subscribe, Map<String, String> initial) throws Exception {
      send(typeUrl, subscribe, initial, "", null);
      DeltaDiscoveryResponse response = next();
      assertThat(response.getTypeUrl()).isEqualTo(typeUrl);
      return response;
    }

    DeltaDiscoveryResponse request(String typeUrl, List<String> subscribe, List<String> unsubscribe) throws Exception {
      send(typeUrl, subscribe, unsubscribe, Map.of(), "", null);
      DeltaDiscoveryResponse response = next();
      assertThat(response.getTypeUrl()).isEqualTo(typeUrl);
      return response;
    }

    void ack(DeltaDiscoveryResponse response) {
      send(response.getTypeUrl(), List.of(), Map.of(), response.getNonce(), null);
    }

    void nack(DeltaDiscoveryResponse response, String error) {
      send(response.getTypeUrl(), List.of(), Map.of(), response.getNonce(), error);
    }

    /** The next {@code count} responses, each ACKed as it comes (as Envoy does). */
    List<DeltaDiscoveryResponse> nextAcked(int count) throws InterruptedException {
      List<DeltaDiscoveryResponse> taken = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        DeltaDiscoveryResponse r = next();
        taken.add(r);
        ack(r);
      }
      return taken;
    }

    DeltaDiscoveryResponse next() throws InterruptedException {
      DeltaDiscoveryResponse response = responses.poll(10, TimeUnit.SECONDS);
      assertThat(response).as("a response within 10 s (stream closed: %s)", closed.get()).isNotNull();
      return response;
    }

    /** Runs {@code action} (which must cause a response) and returns the first response after it; none may precede it. */
    DeltaDiscoveryResponse nextAfter(ThrowingRunnable action) throws Exception {
      assertThat(responses).as("nothing pending before").isEmpty();
      action.run();
      return next();
    }

    /** Nothing pending, {@code action} runs, and the next response is of {@code typeUrl}. */
    void expectNothingBefore(ThrowingRunnable action, String typeUrl) throws Exception {
      assertThat(responses).isEmpty();
      action.run();
      DeltaDiscoveryResponse response = responses.peek();
      if (response == null) {
        response = responses.poll(10, TimeUnit.SECONDS);
        assertThat(response).isNotNull();
        responses.add(response);
      }
      assertThat(response.getTypeUrl()).isEqualTo(typeUrl);
    }

    io.grpc.Status closedWith() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      synchronized (closed) {
        while (closed.get() == null && System.nanoTime() < deadline) {
          closed.wait(100);
        }
      }
      assertThat(closed.get()).as("stream closed").isNotNull();
      return closed.get();
    }

    @Override
    public void onNext(DeltaDiscoveryResponse response) {
      responses.add(response);
    }

    @Override
    public void onError(Throwable t) {
      synchronized (closed) {
        closed.set(t instanceof StatusRuntimeException e ? e.getStatus() : io.grpc.Status.fromThrowable(t));
        closed.notifyAll();
      }
    }

    @Override
    public void onCompleted() {
      synchronized (closed) {
        closed.set(io.grpc.Status.OK);
        closed.notifyAll();
      }
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  static Node node() {
    return Node.newBuilder().setId("envoy-1").setCluster("bdk-gateway").build();
  }

  // ---- snapshots ----

  private void publish(XdsResources resources) {
    assertThat(publisher.publish(resources)).as("published").isTrue();
  }

  private String typeVersion(String typeUrl) {
    return publisher.currentVersion(typeUrl);
  }

  private String version(String typeUrl, String name) {
    ContentVersionedSnapshot s = publisher.current().orElseThrow();
    return SnapshotChanges.resources(s, XdsType.ofTypeUrl(typeUrl)).get(name).version();
  }

  private SyncTracker.TypeSync sync(String type) {
    return tracker.report(publisher::currentVersion).get(0).types().stream()
        .filter(t -> t.type().equals(type)).findFirst().orElseThrow();
  }

  static List<String> names(DeltaDiscoveryResponse response) {
    return response.getResourcesList().stream().map(Resource::getName).sorted().collect(Collectors.toList());
  }

  /** Each response as {@code Type+[sent names]-[removed names]}, in order. */
  static List<String> summaries(List<DeltaDiscoveryResponse> responses) {
    return responses.stream()
        .map(r -> SyncTracker.shortType(r.getTypeUrl()) + "+" + names(r) + "-" + r.getRemovedResourcesList())
        .toList();
  }

  static String secretValue(DeltaDiscoveryResponse response) throws Exception {
    return response.getResources(0).getResource().unpack(Secret.class).getGenericSecret().getSecret().getInlineString();
  }

  /** EDS clusters with their load assignments, bare listeners and route configurations, generic secrets {@code name=value}. */
  static XdsResources resources(List<String> clusters, List<String> routes, List<String> listeners, List<String> secrets) {
    return new XdsResources(
        listeners.stream().map(n -> Listener.newBuilder().setName(n).build()).toList(),
        routes.stream().map(n -> RouteConfiguration.newBuilder().setName(n).build()).toList(),
        clusters.stream().map(n -> Cluster.newBuilder().setName(n).setType(Cluster.DiscoveryType.EDS).build()).toList(),
        clusters.stream().map(DeltaAdsTest::endpoints).toList(),
        secrets.stream().map(s -> Secret.newBuilder().setName(s.substring(0, s.indexOf('=')))
            .setGenericSecret(GenericSecret.newBuilder().setSecret(
                io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder().setInlineString(s.substring(s.indexOf('=') + 1))))
            .build()).toList());
  }

  /** Book a (its cluster and endpoints), listener http and the route configurations {@code routes}. */
  static XdsResources bookA(String... routes) {
    return resources(List.of("a"), List.of(routes), List.of("http"), List.of());
  }

  /** {@code resources} in the scoped layout: a route scope per route configuration ({@link #withScopes}). */
  static XdsResources scoped(XdsResources resources) {
    return withScopes(resources, resources.routes().stream().map(RouteConfiguration::getName).toList());
  }

  /** {@code resources} with a route scope per name, keyed and named like the route configuration it names. */
  static XdsResources withScopes(XdsResources resources, List<String> scopes) {
    return new XdsResources(resources.listeners(), resources.routes(), resources.clusters(), resources.endpoints(),
        resources.secrets(), scopes.stream().map(n -> io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration.newBuilder()
            .setName(n).setRouteConfigurationName(n)
            .setKey(io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration.Key.newBuilder()
                .addFragments(io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration.Key.Fragment.newBuilder().setStringKey(n)))
            .build()).toList());
  }

  /** {@code resources} with every cluster but {@code eager} served by name only. */
  static XdsResources onDemand(XdsResources resources, String... eager) {
    return new XdsResources(resources.listeners(), resources.routes(), resources.clusters(), resources.endpoints(),
        resources.secrets(), resources.scopedRoutes(),
        new ClusterDelivery(true, Set.of(eager)));
  }

  /** {@code resources} with every cluster's connect timeout {@code seconds} (new content, new versions). */
  static XdsResources withClusterTimeout(XdsResources resources, long seconds) {
    return new XdsResources(resources.listeners(), resources.routes(), resources.clusters().stream()
        .map(c -> c.toBuilder().setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(seconds)).build()).toList(),
        resources.endpoints(), resources.secrets(), resources.scopedRoutes(), resources.clusterDelivery());
  }

  /** {@code resources} with every route configuration's content depending on {@code marker}. */
  static XdsResources withRouteVersion(XdsResources resources, String marker) {
    UnaryOperator<RouteConfiguration> mark = rc -> rc.toBuilder().addInternalOnlyHeaders("x-" + marker).build();
    return new XdsResources(resources.listeners(), resources.routes().stream().map(mark).toList(), resources.clusters(),
        resources.endpoints(), resources.secrets());
  }

  static ClusterLoadAssignment endpoints(String cluster) {
    return ClusterLoadAssignment.newBuilder().setClusterName(cluster)
        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(LbEndpoint.newBuilder().setEndpoint(Endpoint.newBuilder()
            .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress("10.0.0.1").setPortValue(8080))))))
        .build();
  }
}
