package io.voyager.bdk.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How many deliveries each endpoint has in flight, so one endpoint can never take every worker:
 * at most {@code perEndpoint} at once, and one for an {@code ordered} endpoint. An ordered endpoint
 * also keeps its line while its head waits for a retry: the other webhooks of that endpoint wait
 * behind it (JetStream redelivers them after a delay) until the head is delivered or dead-lettered.
 * Idle endpoints are forgotten.
 */
public final class EndpointLanes {
  /** How long a webhook that found its endpoint busy waits before it is offered again. */
  static final Duration BUSY_WAIT = Duration.ofMillis(500);
  /** A head that has not come back this long after its retry time is assumed gone (replayed, expired). */
  static final Duration HEAD_GRACE = Duration.ofMinutes(2);

  private static final class Lane {
    int inFlight;
    long headSequence = -1;
    Instant headRetryAt;
  }

  private final int perEndpoint;
  private final Map<String, Lane> lanes = new HashMap<>();

  public EndpointLanes(int perEndpoint) {
    if (perEndpoint < 1) {
      throw new IllegalArgumentException("--per-endpoint-concurrency must be at least 1, got " + perEndpoint);
    }
    this.perEndpoint = perEndpoint;
  }

  /** Empty when work-stream message {@code sequence} may be delivered now (and it is counted in flight); else how long to wait. */
  public synchronized Optional<Duration> admit(String endpoint, long sequence, boolean ordered, Instant now) {
    Lane lane = lanes.computeIfAbsent(endpoint, e -> new Lane());
    if (ordered) {
      if (lane.inFlight > 0) {
        return Optional.of(BUSY_WAIT);
      }
      if (lane.headSequence >= 0 && lane.headSequence != sequence) {
        if (now.isBefore(lane.headRetryAt)) {
          return Optional.of(Duration.between(now, lane.headRetryAt).plus(BUSY_WAIT));
        }
        if (now.isBefore(lane.headRetryAt.plus(HEAD_GRACE))) {
          return Optional.of(BUSY_WAIT);
        }
        lane.headSequence = -1;
      }
    } else if (lane.inFlight >= perEndpoint) {
      return Optional.of(BUSY_WAIT);
    }
    lane.inFlight++;
    return Optional.empty();
  }

  /** The attempt of {@code sequence} ended for good (delivered, dead-lettered) or was abandoned. */
  public synchronized void done(String endpoint, long sequence) {
    Lane lane = lanes.get(endpoint);
    if (lane == null) {
      return;
    }
    lane.inFlight = Math.max(0, lane.inFlight - 1);
    if (lane.headSequence == sequence) {
      lane.headSequence = -1;
    }
    forgetIfIdle(endpoint, lane);
  }

  /** The attempt of {@code sequence} failed and will be retried at {@code retryAt}. */
  public synchronized void retrying(String endpoint, long sequence, boolean ordered, Instant retryAt) {
    Lane lane = lanes.get(endpoint);
    if (lane == null) {
      return;
    }
    lane.inFlight = Math.max(0, lane.inFlight - 1);
    if (ordered) {
      lane.headSequence = sequence;
      lane.headRetryAt = retryAt;
    }
    forgetIfIdle(endpoint, lane);
  }

  public synchronized int inFlight(String endpoint) {
    Lane lane = lanes.get(endpoint);
    return lane == null ? 0 : lane.inFlight;
  }

  private void forgetIfIdle(String endpoint, Lane lane) {
    if (lane.inFlight == 0 && lane.headSequence < 0) {
      lanes.remove(endpoint);
    }
  }
}
