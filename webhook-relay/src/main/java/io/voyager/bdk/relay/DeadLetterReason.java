package io.voyager.bdk.relay;

/** Why a webhook went to the dead-letter stream (label of {@code bdk_relay_dead_lettered_total}). */
public enum DeadLetterReason {
  /** The book answered a 4xx (other than 408/429) or another non-retryable status. */
  CLIENT_ERROR,
  /** The retry schedule's last attempt failed too. */
  ATTEMPTS_EXHAUSTED,
  /** Older than --give-up-after without being delivered (e.g. its endpoint stayed paused). */
  EXPIRED,
  /** Its book sleeps when idle and did not become ready within --wake-timeout of the wake-up call. */
  WAKE_TIMEOUT,
  /** The queued message lacks what delivery needs (never published by this relay). */
  MALFORMED;

  public String label() {
    return name().toLowerCase();
  }
}
