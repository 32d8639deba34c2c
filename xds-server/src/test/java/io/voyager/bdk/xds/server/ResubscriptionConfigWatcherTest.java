package io.voyager.bdk.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A resource Envoy drops and asks for again, against java-control-plane's real SimpleCache: the
 * HTTPS listener withheld and restored with the same certificate (its SDS secret unsubscribed,
 * then subscribed again while the secrets' version never changed).
 */
class ResubscriptionConfigWatcherTest {
  static final String SDS = Resources.V3.SECRET_TYPE_URL;
  static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;

  final SimpleCache<String> cache = new SimpleCache<>(node -> "gateway");
  final SyncTracker tracker = new SyncTracker(new SimpleMeterRegistry(), group -> {});
  final AdsStream stream = new AdsStream(tracker,
      new ResubscriptionConfigWatcher(new NackHoldingConfigWatcher(cache, tracker::rejectedResponseOfCurrentRequest),
          tracker::newlySubscribedOfCurrentRequest));

  @Test
  void aSecretUnsubscribedAndAskedForAgainWithTheSameVersionIsSentAgain() {
    cache.setSnapshot("gateway", secrets("v1", "edge-tls"));
    stream.request(SDS, "", "", List.of("edge-tls"));
    stream.ack(SDS, List.of("edge-tls"));
    stream.ack(SDS, List.of()); // the listener went away: Envoy names no secret

    stream.request(SDS, "v1", stream.lastNonce(SDS), List.of("edge-tls")); // the listener is back

    assertThat(stream.sent(SDS)).containsExactly("v1", "v1");
  }

  @Test
  void aResubscriptionToSomethingTheSnapshotLacksIsAnsweredWhenItArrives() {
    cache.setSnapshot("gateway", endpoints("v1", "a"));
    stream.request(EDS, "", "", List.of("a"));
    stream.ack(EDS, List.of("a"));
    stream.ack(EDS, List.of());
    cache.setSnapshot("gateway", endpoints("v2", "b"));
    stream.request(EDS, "v1", stream.lastNonce(EDS), List.of("a"));
    assertThat(stream.sent(EDS)).as("nothing named a to send yet: v2 has only b").hasSizeLessThanOrEqualTo(2);
    int before = stream.sent(EDS).size();

    cache.setSnapshot("gateway", endpoints("v3", "a"));

    assertThat(stream.sent(EDS)).hasSize(before + 1).last().isEqualTo("v3");
  }

  @Test
  void repeatedRequestsForTheSameNamesStillWaitForNewContent() {
    cache.setSnapshot("gateway", secrets("v1", "edge-tls"));
    stream.request(SDS, "", "", List.of("edge-tls"));
    stream.ack(SDS, List.of("edge-tls"));
    stream.ack(SDS, List.of("edge-tls"));

    assertThat(stream.sent(SDS)).containsExactly("v1");
  }

  @Test
  void withoutItTheCacheLeavesTheResubscriptionUnanswered() {
    AdsStream plain = new AdsStream(tracker, cache);
    cache.setSnapshot("gateway", secrets("v1", "edge-tls"));
    plain.request(SDS, "", "", List.of("edge-tls"));
    plain.ack(SDS, List.of("edge-tls"));
    plain.ack(SDS, List.of());
    plain.request(SDS, "v1", plain.lastNonce(SDS), List.of("edge-tls"));

    assertThat(plain.sent(SDS)).as("the wait this class exists to end").containsExactly("v1");
  }

  static Snapshot secrets(String version, String name) {
    return Snapshot.create(List.of(), List.of(), List.of(), List.of(), List.of(Secret.newBuilder().setName(name).build()), version);
  }

  static Snapshot endpoints(String version, String name) {
    return Snapshot.create(List.of(io.envoyproxy.envoy.config.cluster.v3.Cluster.newBuilder().setName(name).build()),
        List.of(io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.newBuilder().setClusterName(name).build()),
        List.of(), List.of(), List.of(), version);
  }
}
