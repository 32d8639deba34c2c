package io.voyager.bdk.relay;

import java.time.Duration;

/**
 * What happens after an attempt (pure): 2xx → delivered; 408, 429 and 503 → again after the book's
 * {@code Retry-After} (capped at the schedule's longest wait) or else the schedule; other 5xx, no
 * answer (timeout, refused, reset) → again on the schedule; any other status (4xx, and 1xx/3xx,
 * which a webhook receiver should never send) → dead-lettered at once; the schedule's last attempt
 * failing → dead-lettered with its status and error.
 */
public final class RetryPolicy {
  private final RetrySchedule schedule;

  public RetryPolicy(RetrySchedule schedule) {
    this.schedule = schedule;
  }

  public RetrySchedule schedule() {
    return schedule;
  }

  /** The decision after attempt number {@code attempt} (1-based) ended with {@code outcome}. */
  public Decision decide(DeliveryOutcome outcome, int attempt) {
    if (outcome.answered() && outcome.status() >= 200 && outcome.status() < 300) {
      return new Decision.Delivered();
    }
    Decision.RetryReason reason;
    Duration wait = null;
    if (!outcome.answered()) {
      reason = outcome.failure() == DeliveryOutcome.Failure.TIMEOUT
          ? Decision.RetryReason.TIMEOUT : Decision.RetryReason.CONNECTION_ERROR;
    } else if (outcome.status() == 408 || outcome.status() == 429 || outcome.status() == 503) {
      reason = Decision.RetryReason.RETRY_AFTER;
      if (outcome.retryAfter() != null) {
        wait = outcome.retryAfter().compareTo(schedule.longest()) > 0 ? schedule.longest() : outcome.retryAfter();
      }
    } else if (outcome.status() >= 500 && outcome.status() < 600) {
      reason = Decision.RetryReason.SERVER_ERROR;
    } else {
      return new Decision.DeadLetter(DeadLetterReason.CLIENT_ERROR);
    }
    if (attempt >= schedule.maxAttempts()) {
      return new Decision.DeadLetter(DeadLetterReason.ATTEMPTS_EXHAUSTED);
    }
    return new Decision.Retry(reason, wait != null ? wait : schedule.waitBefore(attempt + 1));
  }

  /** The three ways an attempt can end. */
  public sealed interface Decision {
    record Delivered() implements Decision {}

    record Retry(RetryReason reason, Duration after) implements Decision {}

    record DeadLetter(DeadLetterReason reason) implements Decision {}

    /** Label values of {@code bdk_relay_retries_total{reason}}. */
    enum RetryReason {
      SERVER_ERROR, RETRY_AFTER, TIMEOUT, CONNECTION_ERROR;

      public String label() {
        return name().toLowerCase();
      }
    }
  }
}
