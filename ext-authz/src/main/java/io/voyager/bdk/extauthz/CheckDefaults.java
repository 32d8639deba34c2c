package io.voyager.bdk.extauthz;

import io.voyager.bdk.extauthz.ratelimit.RateLimitPolicy;
import java.time.Duration;

/**
 * Values used when a route's context_extensions omit them: tolerance 300 s, 10 requests/s with a
 * burst of 20 (Main's {@code --default-*} flags).
 */
public record CheckDefaults(Duration tolerance, RateLimitPolicy rateLimit) {
  public static final Duration TOLERANCE = Duration.ofSeconds(300);
  public static final double RATE_PER_SECOND = 10;
  public static final int BURST = 20;

  public static CheckDefaults standard() {
    return new CheckDefaults(TOLERANCE, new RateLimitPolicy(RATE_PER_SECOND, BURST));
  }
}
