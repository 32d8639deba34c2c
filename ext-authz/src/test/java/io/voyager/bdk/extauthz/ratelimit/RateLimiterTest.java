package io.voyager.bdk.extauthz.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.extauthz.TestTime;
import io.voyager.bdk.extauthz.scheme.Header;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  final TestTime time = new TestTime(Instant.parse("2025-06-01T12:00:00Z"));
  final RateLimiter limiter = new RateLimiter(1000, time);
  final RateLimitPolicy policy = new RateLimitPolicy(2, 5);

  @Test
  void burstThenRefusedWithHeaders() {
    for (int i = 0; i < 5; i++) {
      RateLimitDecision d = limiter.take("ep", policy);
      assertThat(d.allowed()).isTrue();
      assertThat(d.remaining()).isEqualTo(4 - i);
    }
    RateLimitDecision refused = limiter.take("ep", policy);
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.retryAfterSeconds()).isEqualTo(1);
    assertThat(refused.headers()).containsExactly(
        new Header("RateLimit-Policy", "\"webhook\";q=5;w=3"),
        new Header("RateLimit", "\"webhook\";r=0;t=3"),
        new Header("Retry-After", "1"));
  }

  @Test
  void tokensRefillAtTheRate() {
    for (int i = 0; i < 5; i++) {
      limiter.take("ep", policy);
    }
    assertThat(limiter.take("ep", policy).allowed()).isFalse();
    time.advance(Duration.ofMillis(500));
    assertThat(limiter.take("ep", policy).allowed()).isTrue();
    assertThat(limiter.take("ep", policy).allowed()).isFalse();
    time.advance(Duration.ofSeconds(60));
    RateLimitDecision full = limiter.take("ep", policy);
    assertThat(full.allowed()).isTrue();
    assertThat(full.remaining()).isEqualTo(4);
  }

  @Test
  void endpointsHaveTheirOwnBuckets() {
    for (int i = 0; i < 5; i++) {
      limiter.take("a", policy);
    }
    assertThat(limiter.take("a", policy).allowed()).isFalse();
    assertThat(limiter.take("b", policy).allowed()).isTrue();
  }

  @Test
  void allowedDecisionsCarryNoRetryAfter() {
    assertThat(limiter.take("ep", policy).headers()).extracting(Header::name).containsExactly("RateLimit-Policy", "RateLimit");
  }
}
