package io.voyager.bdk.extauthz.ratelimit;

import java.util.concurrent.CompletableFuture;

/**
 * Token buckets per endpoint: this replica's ({@link RateLimiter}) or shared by every replica
 * ({@link JetStreamRateLimiter}).
 */
public interface RateLimits {
  /** Takes one token from the endpoint's bucket. */
  RateLimitDecision take(String endpointKey, RateLimitPolicy policy);

  /**
   * Gives back one token that {@link #take} granted for {@code policy} to a delivery then refused
   * all the same (a replay found by the replay store's create, or the shared state unavailable):
   * the endpoint's real webhooks do not pay for it. Never waits (no round trip) and never makes the
   * bucket hold more than its burst; a bucket that is gone meanwhile (full again, or evicted) is left
   * as it is.
   */
  void refund(String endpointKey, RateLimitPolicy policy);

  /** {@link #take} without blocking the caller; by default decided at once on the caller's thread. */
  default CompletableFuture<RateLimitDecision> takeAsync(String endpointKey, RateLimitPolicy policy) {
    try {
      return CompletableFuture.completedFuture(take(endpointKey, policy));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
