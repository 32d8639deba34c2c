package io.voyager.bdk.extauthz.ratelimit;

/**
 * Token buckets per endpoint: this replica's ({@link RateLimiter}) or shared by every replica
 * ({@link JetStreamRateLimiter}).
 */
public interface RateLimits {
  /** Takes one token from the endpoint's bucket. */
  RateLimitDecision take(String endpointKey, RateLimitPolicy policy);
}
