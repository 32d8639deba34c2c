package io.voyager.bdk.extauthz.ratelimit;

/** One endpoint's bucket; starts full. Thread-safe. Time is given, never read, so tests need no sleeps. */
final class TokenBucket {
  private double tokens = -1;
  private long lastNanos;

  TokenBucket() {}

  /** A bucket as a shared store kept it: {@code tokens} left at {@code lastNanos}. */
  TokenBucket(double tokens, long lastNanos) {
    this.tokens = tokens;
    this.lastNanos = lastNanos;
  }

  /** An independent bucket in this one's state (a take on it leaves this one as it is). */
  synchronized TokenBucket copy() {
    return new TokenBucket(tokens, lastNanos);
  }

  synchronized double tokens() {
    return tokens;
  }

  synchronized long lastNanos() {
    return lastNanos;
  }

  synchronized RateLimitDecision take(long nowNanos, RateLimitPolicy policy) {
    refill(nowNanos, policy);
    boolean allowed = tokens >= 1;
    if (allowed) {
      tokens -= 1;
    }
    return decision(allowed, policy, 0, RateLimitDecision.Source.BUCKET);
  }

  /**
   * Refills to {@code nowNanos} and puts one token back (a take given back), never beyond the burst;
   * false when the bucket was full already (nothing changed but the refill).
   */
  synchronized boolean refund(long nowNanos, RateLimitPolicy policy) {
    refill(nowNanos, policy);
    if (tokens >= policy.burst()) {
      return false;
    }
    tokens = Math.min(policy.burst(), tokens + 1);
    return true;
  }

  /**
   * Refills to {@code nowNanos} and takes as many whole tokens as there are, at most {@code atMost}
   * (a replica's lease, {@link JetStreamRateLimiter}); 0 when the bucket holds less than one.
   */
  synchronized int takeUpTo(long nowNanos, RateLimitPolicy policy, int atMost) {
    refill(nowNanos, policy);
    int taken = (int) Math.min(atMost, Math.floor(tokens));
    if (taken > 0) {
      tokens -= taken;
    }
    return Math.max(0, taken);
  }

  /**
   * The answer to a take on this bucket as it is now: {@code held} more tokens are held elsewhere for
   * this endpoint (a lease), counted as remaining; a granted token came from {@code source}.
   */
  synchronized RateLimitDecision decision(boolean allowed, RateLimitPolicy policy, int held, RateLimitDecision.Source source) {
    double left = tokens + held;
    long retryAfter = allowed ? 0 : (long) Math.ceil((1 - tokens) / policy.ratePerSecond());
    long reset = (long) Math.ceil(Math.max(0, policy.burst() - left) / policy.ratePerSecond());
    return new RateLimitDecision(allowed, policy, (int) Math.floor(left), Math.max(allowed ? 0 : 1, retryAfter), reset, source);
  }

  private void refill(long nowNanos, RateLimitPolicy policy) {
    if (tokens < 0) {
      tokens = policy.burst();
    } else {
      double elapsed = Math.max(0, nowNanos - lastNanos) / 1e9;
      tokens = Math.min(policy.burst(), tokens + elapsed * policy.ratePerSecond());
    }
    lastNanos = nowNanos;
  }

  /** Nanoseconds until this bucket is full again; a full bucket is the same as a new one. */
  synchronized long nanosUntilFull(RateLimitPolicy policy) {
    double missing = Math.max(0, policy.burst() - tokens);
    return (long) Math.ceil(missing / policy.ratePerSecond() * 1e9);
  }
}
