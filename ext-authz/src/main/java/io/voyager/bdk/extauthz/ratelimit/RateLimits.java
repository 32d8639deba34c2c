package io.voyager.bdk.extauthz.ratelimit;

import java.util.concurrent.CompletableFuture;

/**
 * Token buckets per endpoint: this replica's ({@link RateLimiter}) or shared by every replica
 * ({@link JetStreamRateLimiter}).
 */
public interface RateLimits {
  /** Takes one token from the endpoint's bucket. */
  RateLimitDecision take(String endpointKey, RateLimitPolicy policy);

  /** {@link #take} without blocking the caller; by default decided at once on the caller's thread. */
  default CompletableFuture<RateLimitDecision> takeAsync(String endpointKey, RateLimitPolicy policy) {
    try {
      return CompletableFuture.completedFuture(take(endpointKey, policy));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
