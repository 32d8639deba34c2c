package io.voyager.bdk.extauthz;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.extauthz.replay.BoundedReplayStore;
import io.voyager.bdk.extauthz.replay.ReplayRelease;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An access-log entry of a failed delivery forgets its replay entries; anything else changes nothing. */
class ReplayReleaseServiceTest {
  final TestTime time = new TestTime(Instant.parse("2025-06-01T12:00:00Z"));
  final BoundedReplayStore store = new BoundedReplayStore(BoundedReplayStore.Budget.standard(), time);
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final ReplayReleaseService service = new ReplayReleaseService(store, registry);

  static HTTPAccessLogEntry entry(String header, int status) {
    HTTPRequestProperties.Builder request = HTTPRequestProperties.newBuilder();
    if (header != null) {
      request.putRequestHeaders("x-bdk-replay-release", header);
    }
    return HTTPAccessLogEntry.newBuilder().setRequest(request)
        .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(UInt32Value.of(status))).build();
  }

  @Test
  void aFailedDeliveryIsForgottenAndAMalformedOrMissingHeaderChangesNothing() {
    List<String> keys = List.of("sig:a", "id:1");
    assertThat(store.firstDelivery("ep", keys, Duration.ofMinutes(10))).isTrue();
    assertThat(store.firstDelivery("ep2", keys, Duration.ofMinutes(10))).isTrue();

    service.release(entry(null, 500));
    service.release(entry("ep zz", 500));
    assertThat(store.seen("ep", keys)).isTrue();

    service.release(entry(ReplayRelease.headerValue("ep", keys), 503));
    assertThat(store.seen("ep", keys)).isFalse();
    assertThat(store.seen("ep2", keys)).isTrue();
    assertThat(registry.scrape()).contains("bdk_extauthz_replay_releases_total{outcome=\"released\"} 1.0")
        .contains("bdk_extauthz_replay_releases_total{outcome=\"malformed\"} 1.0");
  }
}
