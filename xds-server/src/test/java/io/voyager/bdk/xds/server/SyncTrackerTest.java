package io.voyager.bdk.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyncTrackerTest {
  static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  final List<String> groups = new ArrayList<>();
  final SyncTracker tracker = new SyncTracker(new SimpleMeterRegistry(), groups::add);

  DiscoveryRequest request(String version, String nonce) {
    return DiscoveryRequest.newBuilder().setTypeUrl(CDS).setVersionInfo(version).setResponseNonce(nonce).build();
  }

  void respond(String version, String nonce) {
    tracker.onV3StreamResponse(1, request("", ""), DiscoveryResponse.newBuilder().setTypeUrl(CDS).setVersionInfo(version).setNonce(nonce).build());
  }

  SyncTracker.TypeSync row(String current) {
    return tracker.report(url -> current).get(0).types().get(0);
  }

  @Test
  void ackedCurrentVersionIsSyncedAndUnackedIsStale() {
    tracker.onV3StreamRequest(1, request("", "").toBuilder().setNode(Node.newBuilder().setId("envoy-1").setCluster("bdk-gateway")).build());
    assertThat(groups).containsExactly("bdk-gateway");
    respond("v1", "n1");
    assertThat(row("v1").status()).isEqualTo(SyncTracker.Status.STALE);
    tracker.onV3StreamRequest(1, request("v1", "n1"));
    assertThat(row("v1").status()).isEqualTo(SyncTracker.Status.SYNCED);
    assertThat(row("v2").status()).isEqualTo(SyncTracker.Status.STALE);
    assertThat(tracker.report(url -> "v1").get(0).node()).isEqualTo("envoy-1");
  }

  @Test
  void nackNamesTheRejectedVersionAndEnvoysError() {
    respond("v1", "n1");
    tracker.onV3StreamRequest(1, request("v1", "n1"));
    respond("v2", "n2");
    tracker.onV3StreamRequest(1, request("v1", "n2").toBuilder()
        .setErrorDetail(Status.newBuilder().setCode(3).setMessage("bad cluster")).build());
    SyncTracker.TypeSync r = row("v2");
    assertThat(r.status()).isEqualTo(SyncTracker.Status.NACKED);
    assertThat(r.sent()).isEqualTo("v2");
    assertThat(r.acked()).isEqualTo("v1");
    assertThat(r.error()).isEqualTo("bad cluster");
    assertThat(tracker.rejectedResponseOfCurrentRequest()).contains(new RejectedResponse("v2", List.of()));

    respond("v3", "n3");
    tracker.onV3StreamRequest(1, request("v3", "n3"));
    assertThat(row("v3").status()).isEqualTo(SyncTracker.Status.SYNCED);
    assertThat(row("v3").error()).isNull();
    assertThat(tracker.rejectedResponseOfCurrentRequest()).isEmpty();
  }

  @Test
  void aResponseRacingTheStreamsCloseDoesNotBringItBack() {
    tracker.onV3StreamRequest(1, request("", ""));
    respond("v1", "n1");
    tracker.onStreamClose(1, CDS);
    respond("v2", "n2");
    assertThat(tracker.report(url -> "v2")).isEmpty();
  }

  @Test
  void aTypeOnlyAskedForIsNoRowUntilSomethingIsSentOrAcked() {
    tracker.onV3StreamRequest(1, request("v1", "").toBuilder().setNode(Node.newBuilder().setId("envoy-1").setCluster("bdk-gateway")).build());
    assertThat(tracker.report(url -> "v1").get(0).types()).as("no response due: Envoy runs the current version").isEmpty();
    respond("v2", "n1");
    assertThat(row("v2").status()).isEqualTo(SyncTracker.Status.STALE);
  }
}
