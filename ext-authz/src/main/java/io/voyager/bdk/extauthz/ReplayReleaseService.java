package io.voyager.bdk.extauthz;

import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.extauthz.replay.ReplayRelease;
import io.voyager.bdk.extauthz.replay.ReplayStore;
import io.voyager.bdk.extauthz.shared.SharedStateUnavailable;
import io.voyager.bdk.model.WebhookAuthContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's AccessLogService, fed by the serving listeners' delivery-failure log (xds-server's
 * {@code AccessLogs.replayRelease}): each HTTP entry carries the
 * {@link WebhookAuthContext#HEADER_REPLAY_RELEASE} ext-authz added to a webhook it allowed and
 * that then failed at the book (5xx, reset, timeout, no healthy upstream); the delivery's replay
 * digests are forgotten so the sender's retry is accepted. A client cannot send that header (the
 * listeners strip every {@code x-bdk-*} request header before any filter). Work per entry is
 * bounded ({@link ReplayRelease#MAX_VALUE_CHARS}, {@link ReplayRelease#MAX_DIGESTS}); a malformed
 * entry is logged and skipped. One log line per release.
 */
public final class ReplayReleaseService extends AccessLogServiceGrpc.AccessLogServiceImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(ReplayReleaseService.class);

  private final ReplayStore replays;
  private final Counter released;
  private final Counter malformed;
  private final Counter failed;

  public ReplayReleaseService(ReplayStore replays, MeterRegistry registry) {
    this.replays = replays;
    this.released = Counter.builder("bdk.extauthz.replay.releases").tag("outcome", "released")
        .description("Failed deliveries whose replay entries were forgotten so the sender may retry").register(registry);
    this.malformed = Counter.builder("bdk.extauthz.replay.releases").tag("outcome", "malformed")
        .description("Failed deliveries whose replay entries were forgotten so the sender may retry").register(registry);
    this.failed = Counter.builder("bdk.extauthz.replay.releases").tag("outcome", "state_unavailable")
        .description("Failed deliveries whose replay entries were forgotten so the sender may retry").register(registry);
  }

  @Override
  public StreamObserver<StreamAccessLogsMessage> streamAccessLogs(StreamObserver<StreamAccessLogsResponse> responses) {
    return new StreamObserver<>() {
      @Override
      public void onNext(StreamAccessLogsMessage message) {
        for (HTTPAccessLogEntry entry : message.getHttpLogs().getLogEntryList()) {
          release(entry);
        }
      }

      @Override
      public void onError(Throwable t) {
        LOG.debug("event=access_log_stream_ended error={}", t.toString());
      }

      @Override
      public void onCompleted() {
        responses.onNext(StreamAccessLogsResponse.getDefaultInstance());
        responses.onCompleted();
      }
    };
  }

  /** Forgets the entry's digests, if it names any. */
  void release(HTTPAccessLogEntry entry) {
    String value = entry.getRequest().getRequestHeadersMap().get(WebhookAuthContext.HEADER_REPLAY_RELEASE);
    if (value == null) {
      return;
    }
    int status = entry.getResponse().hasResponseCode() ? entry.getResponse().getResponseCode().getValue() : 0;
    ReplayRelease release;
    try {
      release = ReplayRelease.parse(value);
    } catch (IllegalArgumentException e) {
      malformed.increment();
      LOG.warn("event=replay_release_malformed status={} error=\"{}\"", status, e.getMessage());
      return;
    }
    try {
      int n = replays.release(release.endpointKey(), release.digests());
      released.increment();
      LOG.info("event=replay_released endpoint={} status={} entries={}", release.endpointKey(), status, n);
    } catch (SharedStateUnavailable e) {
      failed.increment();
      LOG.warn("event=replay_release_failed endpoint={} status={} error=\"{}\"", release.endpointKey(), status, e.getMessage());
    }
  }
}
