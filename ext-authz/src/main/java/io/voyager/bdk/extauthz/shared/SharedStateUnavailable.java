package io.voyager.bdk.extauthz.shared;

/**
 * The shared replay/rate-limit state (NATS JetStream key-value) could not be read or written in
 * time: NATS unreachable, the bucket missing or full, a request timed out. A security control fails
 * closed: the check answers 503 ({@code state_unavailable}) and nothing is recorded.
 */
public final class SharedStateUnavailable extends RuntimeException {
  public SharedStateUnavailable(String message, Throwable cause) {
    super(message, cause);
  }
}
