package io.voyager.bdk.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.voyager.bdk.relay.RetryPolicy.Decision;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final RetryPolicy svix = new RetryPolicy(RetrySchedule.svix());

  @Test
  void theDefaultScheduleIsSvixsEightAttempts() {
    RetrySchedule schedule = RetrySchedule.svix();
    assertThat(schedule.maxAttempts()).isEqualTo(8);
    assertThat(schedule.waits()).containsExactly(Duration.ZERO, Duration.ofSeconds(5), Duration.ofMinutes(5),
        Duration.ofMinutes(30), Duration.ofHours(2), Duration.ofHours(5), Duration.ofHours(10), Duration.ofHours(10));
    assertThat(schedule).hasToString("0s,5s,5m,30m,2h,5h,10h,10h");
    assertThat(RetrySchedule.parse("0s, 250ms ,1s").waits()).containsExactly(Duration.ZERO, Duration.ofMillis(250), Duration.ofSeconds(1));
  }

  @Test
  void aBadScheduleEntryIsNamed() {
    assertThatThrownBy(() -> RetrySchedule.parse("0s,5x")).hasMessageStartingWith("retry schedule entry '5x' is not");
    assertThatThrownBy(() -> RetrySchedule.parse("")).hasMessageContaining("entry ''");
  }

  @ParameterizedTest(name = "{0} on attempt {1} → retry in {2}")
  @CsvSource({"500,1,PT5S", "502,2,PT5M", "504,7,PT10H", "599,3,PT30M"})
  void serverErrorsRetryOnTheSchedule(int status, int attempt, Duration wait) {
    assertThat(svix.decide(DeliveryOutcome.answered(status, null), attempt))
        .isEqualTo(new Decision.Retry(Decision.RetryReason.SERVER_ERROR, wait));
  }

  @Test
  void retryAfterIsHonouredOn408And429And503AndCappedAtTheLongestWait() {
    for (int status : new int[] {408, 429, 503}) {
      assertThat(svix.decide(DeliveryOutcome.answered(status, Duration.ofSeconds(42)), 1))
          .isEqualTo(new Decision.Retry(Decision.RetryReason.RETRY_AFTER, Duration.ofSeconds(42)));
    }
    assertThat(svix.decide(DeliveryOutcome.answered(429, Duration.ofDays(3)), 1))
        .isEqualTo(new Decision.Retry(Decision.RetryReason.RETRY_AFTER, Duration.ofHours(10)));
    assertThat(svix.decide(DeliveryOutcome.answered(503, null), 2))
        .isEqualTo(new Decision.Retry(Decision.RetryReason.RETRY_AFTER, Duration.ofMinutes(5)));
    // Retry-After on a plain 500 is not a promise: the schedule applies
    assertThat(svix.decide(DeliveryOutcome.answered(500, Duration.ofSeconds(1)), 1))
        .isEqualTo(new Decision.Retry(Decision.RetryReason.SERVER_ERROR, Duration.ofSeconds(5)));
  }

  @Test
  void noAnswerRetriesOnTheSchedule() {
    assertThat(svix.decide(DeliveryOutcome.failed(DeliveryOutcome.Failure.TIMEOUT, "t"), 1))
        .isEqualTo(new Decision.Retry(Decision.RetryReason.TIMEOUT, Duration.ofSeconds(5)));
    assertThat(svix.decide(DeliveryOutcome.failed(DeliveryOutcome.Failure.CONNECTION, "refused"), 1))
        .isEqualTo(new Decision.Retry(Decision.RetryReason.CONNECTION_ERROR, Duration.ofSeconds(5)));
  }

  @ParameterizedTest(name = "{0} → dead-lettered at once")
  @CsvSource({"400", "401", "404", "410", "422", "301", "100"})
  void otherStatusesAreDeadLetteredAtOnce(int status) {
    assertThat(svix.decide(DeliveryOutcome.answered(status, null), 1))
        .isEqualTo(new Decision.DeadLetter(DeadLetterReason.CLIENT_ERROR));
  }

  @Test
  void twoXxIsDeliveredAndTheLastFailedAttemptIsDeadLettered() {
    assertThat(svix.decide(DeliveryOutcome.answered(204, null), 8)).isEqualTo(new Decision.Delivered());
    assertThat(svix.decide(DeliveryOutcome.answered(500, null), 8))
        .isEqualTo(new Decision.DeadLetter(DeadLetterReason.ATTEMPTS_EXHAUSTED));
    assertThat(svix.decide(DeliveryOutcome.answered(429, Duration.ofSeconds(1)), 8))
        .isEqualTo(new Decision.DeadLetter(DeadLetterReason.ATTEMPTS_EXHAUSTED));
  }
}
