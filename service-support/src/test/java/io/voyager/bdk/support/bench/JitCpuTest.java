package io.voyager.bdk.support.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The compiler threads' CPU between two readings, summed per thread as threads come and go. */
class JitCpuTest {
  @Test
  void aCompilerThreadThatEndsBetweenTwoReadingsTakesNothingOffAndOneThatStartedCountsWhole() {
    // C2 thread "12" compiled for 5 s earlier and ends before the second reading; "13" starts meanwhile
    JitCpu.Reading before = new JitCpu.Reading(Map.of("11@100", 100L, "12@200", 500L));
    JitCpu.Reading after = new JitCpu.Reading(Map.of("11@100", 130L, "13@900", 20L));

    assertThat(after.nanosSince(before)).as("30 + 20 ticks of 10 ms").isEqualTo(500_000_000L);
    assertThat(JitCpu.share(after.nanosSince(before), 1_000_000_000L)).isEqualTo(0.5);
  }

  @Test
  void aThreadIdReusedByANewThreadIsAnotherThread() {
    JitCpu.Reading before = new JitCpu.Reading(Map.of("12@200", 500L));
    JitCpu.Reading after = new JitCpu.Reading(Map.of("12@950", 7L));

    assertThat(after.nanosSince(before)).isEqualTo(70_000_000L);
  }
}
