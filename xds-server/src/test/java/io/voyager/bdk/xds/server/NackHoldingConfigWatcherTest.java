package io.voyager.bdk.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The NACK hold against java-control-plane's real SimpleCache, driven the way its ADS stream
 * observer drives a ConfigWatcher: callbacks first, then a watch per request (replacing the type's
 * previous one), known resource names updated only on ACK.
 */
class NackHoldingConfigWatcherTest {
  static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;
  static final String RDS = Resources.V3.ROUTE_TYPE_URL;

  final SimpleCache<String> cache = new SimpleCache<>(node -> "gateway");
  final SyncTracker tracker = new SyncTracker(new SimpleMeterRegistry(), group -> {});
  final AdsStream stream = new AdsStream(tracker, new NackHoldingConfigWatcher(cache, tracker::rejectedResponseOfCurrentRequest));

  @Test
  void aNewClustersRejectedEndpointsAreSentOnceNotAgainForEachNackOrReRequest() {
    cache.setSnapshot("gateway", snapshot("v1", List.of(cluster("a")), List.of(endpoints("a"))));
    stream.request(EDS, "", "", List.of("a"));
    stream.ack(EDS, List.of("a"));
    cache.setSnapshot("gateway", snapshot("v2", List.of(cluster("a"), cluster("b")), List.of(endpoints("a"), endpoints("b"))));
    // the open watch got v2 for "a"; then Envoy asks for the new cluster's endpoints too
    stream.request(EDS, "v1", stream.lastNonce(EDS), List.of("a", "b"));
    assertThat(stream.sent(EDS)).containsExactly("v1", "v2", "v2");

    stream.nack(EDS, List.of("a", "b"));
    stream.nack(EDS, List.of("a", "b"));
    stream.request(EDS, "v1", stream.lastNonce(EDS), List.of("a", "b")); // a re-request still on the old version

    assertThat(stream.sent(EDS)).as("v2 was rejected: nothing to send until the content changes").containsExactly("v1", "v2", "v2");
    assertThat(tracker.rejectedResponseOfCurrentRequest()).contains(new RejectedResponse("v2", List.of("a", "b")));
  }

  @Test
  void aRejectedResponseWithTheVersionEnvoyRunsButMoreResourcesIsHeldToo() {
    // one type version for all endpoints: the response for [a] and the one for [a, b] are both "v1"
    cache.setSnapshot("gateway", snapshot("v1", List.of(cluster("a"), cluster("b")), List.of(endpoints("a"), endpoints("b"))));
    stream.request(EDS, "", "", List.of("a"));
    stream.ack(EDS, List.of("a"));
    stream.request(EDS, "v1", stream.lastNonce(EDS), List.of("a", "b"));
    assertThat(stream.sent(EDS)).containsExactly("v1", "v1");

    for (int i = 0; i < 3; i++) {
      stream.nack(EDS, List.of("a", "b")); // version_info "v1": the version Envoy runs
    }

    assertThat(stream.sent(EDS)).containsExactly("v1", "v1");
  }

  @Test
  void theHoldEndsWhenTheContentChangesOrEnvoyAsksForAResourceItWasNotSent() {
    cache.setSnapshot("gateway", snapshot("v1", List.of(cluster("a")), List.of(endpoints("a"))));
    stream.request(EDS, "", "", List.of("a"));
    stream.nack(EDS, List.of("a"));
    assertThat(stream.sent(EDS)).containsExactly("v1");

    cache.setSnapshot("gateway", snapshot("v2", List.of(cluster("a"), cluster("c")), List.of(endpoints("a"), endpoints("c"))));
    assertThat(stream.sent(EDS)).as("new content goes out").containsExactly("v1", "v2");
    stream.nack(EDS, List.of("a"));
    stream.request(EDS, "", stream.lastNonce(EDS), List.of("a", "c"));
    assertThat(stream.sent(EDS)).as("a resource Envoy was never sent goes out").containsExactly("v1", "v2", "v2");

    stream.ack(EDS, List.of("a", "c"));
    assertThat(tracker.rejectedResponseOfCurrentRequest()).isEmpty();
  }

  @Test
  void wildcardAndRouteTypesAreHeldToo() {
    cache.setSnapshot("gateway", Snapshot.create(List.of(cluster("a")), List.of(endpoints("a")), List.of(),
        List.of(RouteConfiguration.newBuilder().setName("routes").build()), List.of(), "v1"));
    stream.request(CDS, "", "", List.of());
    stream.request(RDS, "", "", List.of("routes"));
    for (int i = 0; i < 3; i++) {
      stream.nack(CDS, List.of());
      stream.nack(RDS, List.of("routes"));
    }
    assertThat(stream.sent(CDS)).containsExactly("v1");
    assertThat(stream.sent(RDS)).containsExactly("v1");
  }

  @Test
  void withoutTheHoldTheCacheAnswersEveryNackOfANewResource() {
    AdsStream plain = new AdsStream(tracker, cache);
    cache.setSnapshot("gateway", snapshot("v1", List.of(cluster("a")), List.of(endpoints("a"))));
    plain.request(EDS, "", "", List.of("a"));
    plain.nack(EDS, List.of("a"));
    plain.nack(EDS, List.of("a"));
    assertThat(plain.sent(EDS)).as("the loop this class exists to stop").containsExactly("v1", "v1", "v1");
  }

  static Snapshot snapshot(String version, List<Cluster> clusters, List<ClusterLoadAssignment> endpoints) {
    return Snapshot.create(clusters, endpoints, List.of(), List.of(), List.of(), version);
  }

  static Cluster cluster(String name) {
    return Cluster.newBuilder().setName(name).build();
  }

  static ClusterLoadAssignment endpoints(String name) {
    return ClusterLoadAssignment.newBuilder().setClusterName(name).build();
  }
}
