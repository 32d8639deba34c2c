package io.voyager.bdk.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.xds.version.XdsType;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProtocolMismatchCheckTest {
  static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final AtomicLong clock = new AtomicLong();

  static DiscoveryRequest first(String typeUrl, String node) {
    return DiscoveryRequest.newBuilder().setTypeUrl(typeUrl)
        .setNode(Node.newBuilder().setId(node).setCluster("bdk-gateway")).build();
  }

  double gauge() {
    return registry.get(ProtocolMismatchCheck.GAUGE).gauge().value();
  }

  ProtocolMismatchCheck check(String layout, boolean needsDelta) {
    return new ProtocolMismatchCheck(registry, layout, needsDelta, clock::get);
  }

  @Test
  void aStateOfTheWorldEnvoyUnderTheScopedLayoutIsOneRowHoweverOftenItReconnects() {
    ProtocolMismatchCheck check = check("scoped", true);
    for (long stream = 0; stream < 300; stream++) {
      check.onV3StreamRequest(stream, first(LDS, "envoy-1"));
      check.onV3StreamRequest(stream, DiscoveryRequest.newBuilder().setTypeUrl(XdsType.SCOPED_ROUTE_TYPE_URL).build());
      if (stream % 2 == 0) {
        check.onStreamCloseWithError(stream, "", new RuntimeException("closed")); // or no close callback at all
      }
    }

    assertThat(check.report()).singleElement().satisfies(row -> {
      assertThat(row.node()).isEqualTo("envoy-1");
      assertThat(row.cluster()).isEqualTo("bdk-gateway");
      assertThat(row.protocol()).isEqualTo(SyncTracker.SOTW);
      assertThat(row.streams()).isEqualTo(300);
      assertThat(row.lastStream()).isEqualTo(299);
      assertThat(row.reason()).contains("route layout scoped").contains("DELTA_GRPC").contains("--route-layout single");
    });
    assertThat(gauge()).isEqualTo(1.0);
  }

  @Test
  void aNodeIsForgottenWhenItSpeaksDeltaOrStopsAsking() {
    ProtocolMismatchCheck check = check("scoped", true);
    check.onV3StreamRequest(1, first(LDS, "envoy-1"));
    check.onV3StreamRequest(2, first(LDS, "envoy-2"));
    assertThat(gauge()).isEqualTo(2.0);

    check.onV3StreamDeltaRequest(DeltaAds.FIRST_STREAM_ID, DeltaDiscoveryRequest.newBuilder()
        .setTypeUrl(LDS).setNode(Node.newBuilder().setId("envoy-1")).build());
    assertThat(check.report()).extracting(ProtocolMismatchCheck.Mismatch::node).containsExactly("envoy-2");

    clock.addAndGet(ProtocolMismatchCheck.FORGET_AFTER.toNanos());
    assertThat(check.report()).isEmpty();
    assertThat(gauge()).isZero();
  }

  @Test
  void underTheSingleLayoutOnlyARequestForRouteScopesIsFlagged() {
    ProtocolMismatchCheck check = check("single", false);
    check.onV3StreamRequest(1, first(LDS, "envoy-1"));
    check.onV3StreamRequest(1, DiscoveryRequest.newBuilder().setTypeUrl(LDS).setResponseNonce("n1").build());
    assertThat(check.report()).isEmpty();

    check.onV3StreamRequest(2, first(LDS, "envoy-1"));
    check.onV3StreamRequest(2, DiscoveryRequest.newBuilder().setTypeUrl(XdsType.SCOPED_ROUTE_TYPE_URL).build());
    assertThat(check.report()).singleElement().satisfies(row -> {
      assertThat(row.lastStream()).isEqualTo(2);
      assertThat(row.node()).as("named on the stream's first request").isEqualTo("envoy-1");
      assertThat(row.reason()).contains("ScopedRouteConfiguration").doesNotContain("--route-layout single");
    });
  }

  @Test
  void deltaStreamsAreNeverFlagged() {
    ProtocolMismatchCheck check = check("scoped", true);
    check.onV3StreamDeltaRequest(DeltaAds.FIRST_STREAM_ID, DeltaDiscoveryRequest.newBuilder()
        .setTypeUrl(XdsType.SCOPED_ROUTE_TYPE_URL).setNode(Node.newBuilder().setId("envoy-2")).build());
    assertThat(check.report()).isEmpty();
    assertThat(gauge()).isZero();
  }
}
