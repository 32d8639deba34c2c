package io.voyager.bdk.relay;

import java.time.Duration;

/**
 * How the delivery workers deliver.
 *
 * @param target where each webhook is POSTed (a {@link DeliveryTarget} template)
 * @param schedule the waits before each attempt; its length is the number of attempts
 * @param timeout how long one attempt may take (connect, send, answer)
 * @param breakerFailures consecutive failures that pause an endpoint
 * @param breakerOpenFor how long the first pause lasts before a probe (doubling to breakerMaxOpenFor)
 * @param perEndpointConcurrency deliveries in flight to one endpoint at most (ordered: 1)
 * @param maxInFlight deliveries in flight (unacknowledged messages) per relay at most
 * @param giveUpAfter a webhook older than this is dead-lettered (reason expired) instead of tried again
 * @param ackWait how long JetStream waits for a worker's verdict before it offers the message again
 *     (another replica, or this one after a restart); must exceed {@code timeout}
 */
public record DeliverySettings(
    DeliveryTarget target,
    RetrySchedule schedule,
    Duration timeout,
    int breakerFailures,
    Duration breakerOpenFor,
    Duration breakerMaxOpenFor,
    int perEndpointConcurrency,
    int maxInFlight,
    Duration giveUpAfter,
    Duration ackWait) {

  public DeliverySettings {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("--delivery-timeout must be positive, got " + timeout);
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("--max-in-flight must be at least 1, got " + maxInFlight);
    }
    if (ackWait.compareTo(timeout) <= 0) {
      throw new IllegalArgumentException("--ack-wait (" + ackWait + ") must be longer than --delivery-timeout (" + timeout + ")");
    }
  }
}
