package io.voyager.bdk.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.support.tls.PeerIdentity;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class NodeIdentityCheckTest {
  final AtomicReference<PeerIdentity> peer = new AtomicReference<>();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final NodeIdentityCheck check = new NodeIdentityCheck(registry, peer::get);

  static DiscoveryRequest first(String cluster) {
    return DiscoveryRequest.newBuilder().setNode(Node.newBuilder().setId("gw-1").setCluster(cluster)).build();
  }

  static PeerIdentity certificateFor(String... uris) {
    return new PeerIdentity("CN=envoy", List.of(uris), List.of());
  }

  @Test
  void aCertificateNamingTheNodeClusterOpensTheStreamAndLaterRequestsNeedNoNode() {
    peer.set(certificateFor("spiffe://bdk/envoy/bdk-gateway"));
    assertThatCode(() -> check.onV3StreamRequest(1, first("bdk-gateway"))).doesNotThrowAnyException();
    peer.set(null); // later requests are on the same verified stream
    assertThatCode(() -> check.onV3StreamRequest(1, DiscoveryRequest.getDefaultInstance())).doesNotThrowAnyException();
  }

  @Test
  void aCertificateForNodeAClaimingNodeBIsRefused() {
    peer.set(certificateFor("spiffe://bdk/envoy/gateway-a"));
    assertThatThrownBy(() -> check.onV3StreamRequest(2, first("gateway-b")))
        .isInstanceOfSatisfying(RequestException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
          assertThat(e.getStatus().getDescription()).contains("spiffe://bdk/envoy/gateway-b");
        });
    assertThat(registry.get("bdk.xds.ads.refused").counter().count()).isEqualTo(1);
  }

  @Test
  void noCertificateNoNodeOrASwitchOfClusterIsRefused() throws Exception {
    assertThatThrownBy(() -> check.onV3StreamRequest(3, first("bdk-gateway"))).isInstanceOf(RequestException.class)
        .hasMessageContaining("no verified client certificate");
    peer.set(certificateFor("spiffe://bdk/envoy/bdk-gateway"));
    assertThatThrownBy(() -> check.onV3StreamRequest(4, DiscoveryRequest.getDefaultInstance())).isInstanceOf(RequestException.class)
        .hasMessageContaining("names no node");
    check.onV3StreamRequest(5, first("bdk-gateway"));
    assertThatThrownBy(() -> check.onV3StreamRequest(5, first("other"))).isInstanceOf(RequestException.class)
        .hasMessageContaining("verified for node.cluster 'bdk-gateway'");
    check.onStreamClose(5, "");
    assertThatThrownBy(() -> check.onV3StreamRequest(5, DiscoveryRequest.getDefaultInstance())).isInstanceOf(RequestException.class);
  }
}
