package io.voyager.bdk.extauthz.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.extauthz.TestTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReplayGuardTest {
  final TestTime time = new TestTime(Instant.parse("2025-06-01T12:00:00Z"));
  final ReplayGuard guard = new ReplayGuard(1000, time);

  @Test
  void secondDeliveryWithinTheWindowIsAReplay() {
    assertThat(guard.firstDelivery("ep", "id:1", Duration.ofMinutes(10))).isTrue();
    assertThat(guard.seen("ep", "id:1")).isTrue();
    assertThat(guard.firstDelivery("ep", "id:1", Duration.ofMinutes(10))).isFalse();
  }

  @Test
  void idsAreScopedPerEndpoint() {
    assertThat(guard.firstDelivery("a", "id:1", Duration.ofMinutes(10))).isTrue();
    assertThat(guard.firstDelivery("b", "id:1", Duration.ofMinutes(10))).isTrue();
  }

  @Test
  void entriesExpireAfterTheirWindow() {
    guard.firstDelivery("ep", "id:1", Duration.ofMinutes(10));
    time.advance(Duration.ofMinutes(10).plusSeconds(1));
    assertThat(guard.seen("ep", "id:1")).isFalse();
    assertThat(guard.firstDelivery("ep", "id:1", Duration.ofMinutes(10))).isTrue();
    assertThat(guard.size()).isEqualTo(1);
  }

  @Test
  void memoryIsBounded() {
    ReplayGuard small = new ReplayGuard(100, time);
    for (int i = 0; i < 1000; i++) {
      small.firstDelivery("ep", "id:" + i, Duration.ofMinutes(10));
    }
    assertThat(small.size()).isLessThanOrEqualTo(100);
  }
}
