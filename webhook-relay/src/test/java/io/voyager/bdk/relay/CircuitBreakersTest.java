package io.voyager.bdk.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CircuitBreakersTest {
  private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
  private final CircuitBreakers breakers = new CircuitBreakers(3, Duration.ofSeconds(30), Duration.ofMinutes(2));

  @Test
  void consecutiveFailuresPauseOnlyThatEndpointThenOneProbeDecides() {
    assertThat(breakers.failed("a", t0)).isFalse();
    assertThat(breakers.failed("a", t0)).isFalse();
    assertThat(breakers.failed("a", t0)).isTrue();
    assertThat(breakers.state("a")).isEqualTo(CircuitBreakers.State.OPEN);
    assertThat(breakers.admit("a", t0.plusSeconds(10))).contains(Duration.ofSeconds(20));
    assertThat(breakers.admit("b", t0.plusSeconds(10))).isEmpty();
    assertThat(breakers.longestOpenSeconds(t0.plusSeconds(10))).isEqualTo(10.0);

    assertThat(breakers.admit("a", t0.plusSeconds(30))).as("the probe").isEmpty();
    assertThat(breakers.state("a")).isEqualTo(CircuitBreakers.State.HALF_OPEN);
    assertThat(breakers.admit("a", t0.plusSeconds(31))).as("only one probe at a time").isPresent();

    assertThat(breakers.failed("a", t0.plusSeconds(32))).as("a failed probe re-opens, twice as long").isTrue();
    assertThat(breakers.admit("a", t0.plusSeconds(33))).contains(Duration.ofSeconds(59));
    assertThat(breakers.longestOpenSeconds(t0.plusSeconds(40))).as("open since the first pause").isEqualTo(40.0);

    assertThat(breakers.admit("a", t0.plusSeconds(92))).isEmpty();
    breakers.succeeded("a");
    assertThat(breakers.state("a")).isEqualTo(CircuitBreakers.State.CLOSED);
    assertThat(breakers.count(CircuitBreakers.State.OPEN)).isZero();
    assertThat(breakers.longestOpenSeconds(t0.plusSeconds(100))).isZero();
  }

  @Test
  void aSuccessInBetweenResetsTheCountAndPausesAreCapped() {
    breakers.failed("a", t0);
    breakers.failed("a", t0);
    breakers.succeeded("a");
    assertThat(breakers.failed("a", t0)).isFalse();
    CircuitBreakers capped = new CircuitBreakers(1, Duration.ofSeconds(30), Duration.ofSeconds(45));
    capped.failed("x", t0);
    Instant now = t0.plusSeconds(30);
    capped.admit("x", now);
    capped.failed("x", now);
    assertThat(capped.admit("x", now)).isEqualTo(Optional.of(Duration.ofSeconds(45)));
  }

  @Test
  void aReleasedProbeLetsTheNextOneThrough() {
    CircuitBreakers one = new CircuitBreakers(1, Duration.ofSeconds(1), Duration.ofSeconds(1));
    one.failed("x", t0);
    assertThat(one.admit("x", t0.plusSeconds(1))).isEmpty();
    one.released("x");
    assertThat(one.admit("x", t0.plusSeconds(1))).isEmpty();
  }
}
