package io.voyager.bdk.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

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

  /**
   * A put-back webhook not seen again this long after it was due went elsewhere (another replica
   * took it, or it was settled): stop holding the line for it.
   */
  static final Duration WAITING_GRACE = Duration.ofSeconds(10);
  /** Waiting webhooks remembered per ordered endpoint at most (older ones are forgotten first). */
  static final int MAX_WAITING = 10_000;

  private static final class Lane {
    int inFlight;
    long headSequence = -1;
    Instant headRetryAt;
    /** Ordered endpoints: webhooks put back while the line was busy, by sequence → when they are due back. */
    final TreeMap<Long, Instant> waiting = new TreeMap<>();
  }

  private final int perEndpoint;
  private final Map<String, Lane> lanes = new HashMap<>();

  public EndpointLanes(int perEndpoint) {
    if (perEndpoint < 1) {
      throw new IllegalArgumentException("--per-endpoint-concurrency must be at least 1, got " + perEndpoint);
    }
    this.perEndpoint = perEndpoint;
  }

  /**
   * Empty when work-stream message {@code sequence} may be delivered now (and it is counted in
   * flight); else how long to wait. An ordered endpoint admits a webhook only when nothing of it is
   * in flight, its retrying head (if any) is this one, and no earlier webhook of it is known to be
   * waiting: so its webhooks reach the book one at a time in stream order.
   */
  public synchronized Optional<Duration> admit(String endpoint, long sequence, boolean ordered, Instant now) {
    Lane lane = lanes.computeIfAbsent(endpoint, e -> new Lane());
    if (ordered) {
      lane.waiting.remove(sequence);
      lane.waiting.values().removeIf(due -> now.isAfter(due.plus(WAITING_GRACE)));
      Duration wait = null;
      if (lane.inFlight > 0) {
        wait = BUSY_WAIT;
      } else if (lane.headSequence >= 0 && lane.headSequence != sequence) {
        if (now.isBefore(lane.headRetryAt)) {
          wait = Duration.between(now, lane.headRetryAt).plus(BUSY_WAIT);
        } else if (now.isBefore(lane.headRetryAt.plus(HEAD_GRACE))) {
          wait = BUSY_WAIT;
        } else {
          lane.headSequence = -1;
        }
      }
      if (wait == null && !lane.waiting.isEmpty() && lane.waiting.firstKey() < sequence) {
        wait = BUSY_WAIT;
      }
      if (wait != null) {
        if (lane.waiting.size() >= MAX_WAITING) {
          lane.waiting.pollFirstEntry();
        }
        lane.waiting.put(sequence, now.plus(wait));
        return Optional.of(wait);
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

  /**
   * An ordered endpoint's webhook {@code sequence} is on its way (handed to a worker, or put back
   * until {@code dueBy}): later ones of that endpoint wait for it.
   */
  public synchronized void expect(String endpoint, long sequence, Instant dueBy) {
    Lane lane = lanes.computeIfAbsent(endpoint, e -> new Lane());
    if (lane.waiting.size() >= MAX_WAITING) {
      lane.waiting.pollFirstEntry();
    }
    lane.waiting.put(sequence, dueBy);
  }

  /** Webhook {@code sequence} was settled without an attempt (dead-lettered): nobody waits for it. */
  public synchronized void forget(String endpoint, long sequence) {
    Lane lane = lanes.get(endpoint);
    if (lane != null) {
      lane.waiting.remove(sequence);
      if (lane.headSequence == sequence) {
        lane.headSequence = -1;
      }
      forgetIfIdle(endpoint, lane);
    }
  }

  /** An admitted webhook was not attempted after all (another replica holds its line): it waits again. */
  public synchronized void abandoned(String endpoint, long sequence, Instant now) {
    Lane lane = lanes.get(endpoint);
    if (lane == null) {
      return;
    }
    lane.inFlight = Math.max(0, lane.inFlight - 1);
    lane.waiting.put(sequence, now.plus(BUSY_WAIT));
  }

  public synchronized int inFlight(String endpoint) {
    Lane lane = lanes.get(endpoint);
    return lane == null ? 0 : lane.inFlight;
  }

  private void forgetIfIdle(String endpoint, Lane lane) {
    if (lane.inFlight == 0 && lane.headSequence < 0 && lane.waiting.isEmpty()) {
      lanes.remove(endpoint);
    }
  }
}
