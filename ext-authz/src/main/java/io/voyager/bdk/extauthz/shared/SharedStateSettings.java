package io.voyager.bdk.extauthz.shared;

import java.time.Duration;

/**
 * Where ext-authz keeps replay and rate-limit state shared by its replicas: NATS JetStream
 * key-value buckets.
 *
 * @param natsUrl NATS server(s), comma-separated
 * @param replicas replicas of each bucket: 1 for one server, 3 in a JetStream cluster
 * @param timeout how long one key-value request may take before the check fails closed (503)
 * @param replayMaxBytes storage of the replay bucket; when full, new deliveries are refused with 503
 * @param rateLimitMaxBytes storage of the rate-limit bucket
 */
public record SharedStateSettings(String natsUrl, int replicas, Duration timeout, long replayMaxBytes, long rateLimitMaxBytes) {
  public static final String REPLAY_BUCKET = "bdk_extauthz_replay";
  public static final String RATE_LIMIT_BUCKET = "bdk_extauthz_ratelimit";

  public SharedStateSettings {
    if (natsUrl == null || natsUrl.isBlank()) {
      throw new IllegalArgumentException("--nats-url must name a NATS server");
    }
    if (replicas != 1 && replicas != 3 && replicas != 5) {
      throw new IllegalArgumentException("--state-replicas must be 1, 3 or 5; got " + replicas);
    }
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofSeconds(30)) > 0) {
      throw new IllegalArgumentException("--state-timeout must be more than 0 and at most 30s; got " + timeout);
    }
    if (replayMaxBytes < (1 << 20)) {
      throw new IllegalArgumentException("--replay-kv-max-bytes must be at least 1 MiB; got " + replayMaxBytes);
    }
    if (rateLimitMaxBytes < (1 << 20)) {
      throw new IllegalArgumentException("--rate-limit-kv-max-bytes must be at least 1 MiB; got " + rateLimitMaxBytes);
    }
  }

  /** R1, 1 s per request, 64 MiB of replay keys, 16 MiB of buckets (the flags' defaults). */
  public static SharedStateSettings local(String natsUrl) {
    return new SharedStateSettings(natsUrl, 1, Duration.ofSeconds(1), 64L << 20, 16L << 20);
  }
}
