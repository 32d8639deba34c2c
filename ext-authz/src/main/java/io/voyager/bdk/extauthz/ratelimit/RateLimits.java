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
   * Gives back the token that {@link #take} granted ({@code granted}) to a delivery then refused
   * all the same (a replay found by the replay store's create, or the shared state unavailable):
   * the endpoint's real webhooks do not pay for it. The token goes back where it was taken from
   * ({@link RateLimitDecision#source}). Never makes the caller wait (a round trip it needs goes on
   * in the background) and never makes the bucket hold more than its burst (nor a replica's lease more
   * than its size); a bucket that is gone
   * meanwhile (full again, or evicted) is left as it is. A refused take took nothing: no-op.
   */
  void refund(String endpointKey, RateLimitDecision granted);

  /** {@link #take} without blocking the caller; by default decided at once on the caller's thread. */
  default CompletableFuture<RateLimitDecision> takeAsync(String endpointKey, RateLimitPolicy policy) {
    try {
      return CompletableFuture.completedFuture(take(endpointKey, policy));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
