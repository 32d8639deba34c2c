package io.voyager.bdk.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One circuit breaker per endpoint ({@code namespace/name/integration}), so a failing or slow book
 * stops costing attempts and worker capacity while every other book's deliveries go on. After
 * {@code threshold} consecutive failures (5xx, 408/429, timeouts, refused or reset connections) the
 * endpoint is paused for {@code openFor}; then one probe delivery is let through: success closes
 * the breaker, failure pauses it again for twice as long (at most {@code maxOpenFor}). A 2xx or a
 * 4xx (the book answered) counts as success. Only endpoints with failures are remembered, so memory
 * follows the failing endpoints, not all 10,000.
 */
public final class CircuitBreakers {
  /** States as the metrics name them. */
  public enum State {
    CLOSED, OPEN, HALF_OPEN
  }

  private static final class Breaker {
    int consecutiveFailures;
    State state = State.CLOSED;
    Instant retryAt;
    Duration openFor;
    Instant openSince;
    boolean probing;
  }

  private final int threshold;
  private final Duration openFor;
  private final Duration maxOpenFor;
  private final Map<String, Breaker> breakers = new HashMap<>();

  public CircuitBreakers(int threshold, Duration openFor, Duration maxOpenFor) {
    if (threshold < 1) {
      throw new IllegalArgumentException("--breaker-failures must be at least 1, got " + threshold);
    }
    this.threshold = threshold;
    this.openFor = openFor;
    this.maxOpenFor = maxOpenFor.compareTo(openFor) < 0 ? openFor : maxOpenFor;
  }

  /**
   * Empty when a delivery to {@code endpoint} may go now (possibly as the probe), else how long to
   * wait before asking again.
   */
  public synchronized Optional<Duration> admit(String endpoint, Instant now) {
    Breaker b = breakers.get(endpoint);
    if (b == null || b.state == State.CLOSED) {
      return Optional.empty();
    }
    if (b.state == State.OPEN && now.isBefore(b.retryAt)) {
      return Optional.of(Duration.between(now, b.retryAt));
    }
    if (b.probing) {
      return Optional.of(openFor);
    }
    b.state = State.HALF_OPEN;
    b.probing = true;
    return Optional.empty();
  }

  /** The book answered (2xx or a final 4xx): the endpoint is healthy again. */
  public synchronized void succeeded(String endpoint) {
    breakers.remove(endpoint);
  }

  /** An attempt failed; returns true when this opened (or re-opened) the breaker. */
  public synchronized boolean failed(String endpoint, Instant now) {
    Breaker b = breakers.computeIfAbsent(endpoint, e -> new Breaker());
    b.consecutiveFailures++;
    if (b.state == State.HALF_OPEN) {
      b.openFor = b.openFor.multipliedBy(2).compareTo(maxOpenFor) > 0 ? maxOpenFor : b.openFor.multipliedBy(2);
      open(b, now);
      return true;
    }
    if (b.state == State.CLOSED && b.consecutiveFailures >= threshold) {
      b.openFor = openFor;
      b.openSince = now;
      open(b, now);
      return true;
    }
    return false;
  }

  /** An attempt that was let through ended without a verdict (e.g. the relay stopped): free the probe. */
  public synchronized void released(String endpoint) {
    Breaker b = breakers.get(endpoint);
    if (b != null && b.state == State.HALF_OPEN) {
      b.probing = false;
    }
  }

  private static void open(Breaker b, Instant now) {
    b.state = State.OPEN;
    b.retryAt = now.plus(b.openFor);
    b.probing = false;
  }

  public synchronized State state(String endpoint) {
    Breaker b = breakers.get(endpoint);
    return b == null ? State.CLOSED : b.state;
  }

  public synchronized long count(State state) {
    return breakers.values().stream().filter(b -> b.state == state).count();
  }

  /** Seconds the longest-paused endpoint has been paused without a success in between (0: none). */
  public synchronized double longestOpenSeconds(Instant now) {
    return breakers.values().stream()
        .filter(b -> b.state != State.CLOSED && b.openSince != null)
        .mapToDouble(b -> Duration.between(b.openSince, now).toMillis() / 1000.0)
        .max().orElse(0);
  }

  /** Paused endpoints with the time they were first paused: what /debug/breakers shows. */
  public synchronized Map<String, String> open() {
    Map<String, String> open = new TreeMap<>();
    breakers.forEach((endpoint, b) -> {
      if (b.state != State.CLOSED) {
        open.put(endpoint, b.state.name().toLowerCase() + " since " + b.openSince + ", next probe " + b.retryAt);
      }
    });
    return open;
  }
}
