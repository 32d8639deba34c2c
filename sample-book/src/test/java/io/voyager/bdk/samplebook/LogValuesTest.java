package io.voyager.bdk.samplebook;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogValuesTest {
  @Test
  void absentValuesBecomeADash() {
    assertThat(LogValues.safe(null)).isEqualTo("-");
    assertThat(LogValues.safe("")).isEqualTo("-");
  }

  @Test
  void aValueCannotBreakTheLineOrForgeAKey() {
    assertThat(LogValues.safe("id\nevent=forged x=\"y\"")).isEqualTo("id_event_forged_x__y_");
  }

  @Test
  void longValuesAreCut() {
    assertThat(LogValues.safe("a".repeat(500))).hasSize(LogValues.MAX_LENGTH + 3).endsWith("...");
  }
}
