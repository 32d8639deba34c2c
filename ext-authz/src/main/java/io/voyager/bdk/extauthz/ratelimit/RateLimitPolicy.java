package io.voyager.bdk.extauthz.ratelimit;

/** A token bucket: {@code ratePerSecond} tokens refill each second up to {@code burst}. */
public record RateLimitPolicy(double ratePerSecond, int burst) {
  public RateLimitPolicy {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("rate_per_second must be a positive number");
    }
    if (burst < 1) {
      throw new IllegalArgumentException("burst must be at least 1");
    }
  }

  /** Seconds an empty bucket takes to fill: the policy's window. */
  public double windowSeconds() {
    return burst / ratePerSecond;
  }
}
