package io.voyager.bdk.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one rule for status conditions: transition times, one message limit, comparing without times. */
class ConditionsTest {
  static final Instant T1 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant T2 = Instant.parse("2026-02-01T00:00:00Z");

  @Test
  void aConditionKeepsItsTransitionTimeWhileItsStatusHolds() {
    Condition first = Conditions.merge(null, "Ready", "True", "Running", "up", 1L, T1);
    Condition same = Conditions.merge(List.of(first), "Ready", "True", "Running", "still up", 2L, T2);
    Condition flipped = Conditions.merge(List.of(same), "Ready", "False", "Crash", "down", 2L, T2);

    assertThat(first.lastTransition()).isEqualTo(T1.toString());
    assertThat(same.lastTransition()).isEqualTo(T1.toString());
    assertThat(flipped.lastTransition()).isEqualTo(T2.toString());
  }

  @Test
  void messagesAreCutAtOneLimit() {
    String huge = "x".repeat(Conditions.MAX_MESSAGE * 2);
    assertThat(Conditions.merge(null, "Ready", "False", "Bad", huge, 1L, T1).message())
        .hasSize(Conditions.MAX_MESSAGE).endsWith("…");
    assertThat(Conditions.truncated("short")).isEqualTo("short");
    assertThat(Conditions.truncated(null)).isNull();
  }

  @Test
  void replacedIsNullWhenOnlyTheTimeWouldChangeAndKeepsOtherConditions() {
    Condition other = new Condition("Accepted", "True", "Accepted", "ok", T1.toString(), 1L);
    Condition routed = new Condition("WebhooksRouted", "False", "Invalid", "bad", T1.toString(), 1L);
    List<Condition> current = List.of(other, routed);

    assertThat(Conditions.replaced(current, new Condition("WebhooksRouted", "False", "Invalid", "bad", T2.toString(), 1L)))
        .isNull();
    assertThat(Conditions.replaced(current, new Condition("WebhooksRouted", "False", "Invalid", "worse", T2.toString(), 1L)))
        .containsExactly(other, new Condition("WebhooksRouted", "False", "Invalid", "worse", T1.toString(), 1L));
    assertThat(Conditions.replaced(current, new Condition("WebhooksRouted", "True", "Routed", "ok", T2.toString(), 1L)))
        .containsExactly(other, new Condition("WebhooksRouted", "True", "Routed", "ok", T2.toString(), 1L));
  }

  @Test
  void comparingIgnoresTimes() {
    Condition a = new Condition("Ready", "True", "R", "m", T1.toString(), 1L);
    Condition b = new Condition("Ready", "True", "R", "m", T2.toString(), 1L);
    assertThat(Conditions.withoutTimes(List.of(a))).isEqualTo(Conditions.withoutTimes(List.of(b)));
    assertThat(Conditions.withoutTimes(null)).isEmpty();
  }
}
