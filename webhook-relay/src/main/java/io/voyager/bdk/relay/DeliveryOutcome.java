package io.voyager.bdk.relay;

import java.time.Duration;

/**
 * What one delivery attempt got: the book's HTTP status (0 when there was no answer) with its
 * {@code Retry-After}, or the error that stopped it (timeout, refused, reset).
 */
public record DeliveryOutcome(int status, Duration retryAfter, Failure failure, String error) {
  /** Why an attempt got no HTTP answer. */
  public enum Failure {
    TIMEOUT,
    CONNECTION,
    /** No attempt was made: the book was asleep and did not wake in time. */
    NOT_WOKEN
  }

  public static DeliveryOutcome answered(int status, Duration retryAfter) {
    return new DeliveryOutcome(status, retryAfter, null, null);
  }

  public static DeliveryOutcome failed(Failure failure, String error) {
    return new DeliveryOutcome(0, null, failure, error);
  }

  public boolean answered() {
    return failure == null;
  }

  /** {@code 503}, or {@code timeout: …}: what the delivery record and the dead letter show. */
  public String describe() {
    return answered() ? Integer.toString(status) : failure.name().toLowerCase() + ": " + error;
  }
}
