package io.voyager.bdk.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** bdk.xds.envoy.sync{status}: (Envoy, type) pairs per SyncTracker status, read at scrape time. */
class EnvoySyncGaugeTest {
  static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final SyncTracker tracker = new SyncTracker(registry, group -> {});
  /** The current snapshot's version per type URL, as the publisher would answer. */
  final Map<String, String> current = new HashMap<>();

  EnvoySyncGaugeTest() {
    EnvoySyncGauge.register(registry, tracker, current::get);
  }

  double gauge(SyncTracker.Status status) {
    return registry.get(EnvoySyncGauge.NAME).tag("status", status.name()).gauge().value();
  }

  void connect(long stream, String node) {
    tracker.onV3StreamRequest(stream, DiscoveryRequest.newBuilder().setTypeUrl(CDS)
        .setNode(Node.newBuilder().setId(node).setCluster("bdk-gateway")).build());
  }

  void respond(long stream, String typeUrl, String version, String nonce) {
    tracker.onV3StreamResponse(stream, DiscoveryRequest.newBuilder().setTypeUrl(typeUrl).build(),
        DiscoveryResponse.newBuilder().setTypeUrl(typeUrl).setVersionInfo(version).setNonce(nonce).build());
  }

  void ack(long stream, String typeUrl, String version, String nonce) {
    tracker.onV3StreamRequest(stream, DiscoveryRequest.newBuilder().setTypeUrl(typeUrl)
        .setVersionInfo(version).setResponseNonce(nonce).build());
  }

  void nack(long stream, String typeUrl, String keptVersion, String nonce) {
    tracker.onV3StreamRequest(stream, DiscoveryRequest.newBuilder().setTypeUrl(typeUrl)
        .setVersionInfo(keptVersion).setResponseNonce(nonce)
        .setErrorDetail(Status.newBuilder().setCode(3).setMessage("bad cluster")).build());
  }

  @Test
  void everyStatusReadsZeroBeforeAnyEnvoyConnects() {
    for (SyncTracker.Status status : SyncTracker.Status.values()) {
      assertThat(gauge(status)).as(status.name()).isZero();
    }
  }

  @Test
  void countsEachEnvoyAndTypePairUnderItsStatus() {
    current.put(CDS, "c1");
    current.put(LDS, "l1");
    connect(1, "envoy-1");
    connect(2, "envoy-2");
    respond(1, CDS, "c1", "n1");
    respond(1, LDS, "l1", "n2");
    respond(2, CDS, "c1", "n3");
    respond(2, LDS, "l1", "n4");
    assertThat(gauge(SyncTracker.Status.STALE)).as("sent, not acked yet").isEqualTo(4);

    ack(1, CDS, "c1", "n1");
    ack(1, LDS, "l1", "n2");
    ack(2, LDS, "l1", "n4");
    nack(2, CDS, "", "n3");
    assertThat(gauge(SyncTracker.Status.SYNCED)).isEqualTo(3);
    assertThat(gauge(SyncTracker.Status.NACKED)).isEqualTo(1);
    assertThat(gauge(SyncTracker.Status.STALE)).isZero();

    current.put(LDS, "l2");
    assertThat(gauge(SyncTracker.Status.STALE)).as("a newer snapshot not yet sent or acked").isEqualTo(2);
    assertThat(gauge(SyncTracker.Status.SYNCED)).isEqualTo(1);

    tracker.onStreamClose(2, CDS);
    assertThat(gauge(SyncTracker.Status.NACKED)).as("a disconnected Envoy no longer counts").isZero();
    assertThat(gauge(SyncTracker.Status.STALE)).isEqualTo(1);
  }
}
