package io.voyager.bdk.localruntime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RecentWritesTest {
  private final RecentWrites writes = new RecentWrites();

  @Test
  void aWriteIsInFlightWhileTheCacheStillShowsTheVersionItReplaced() {
    writes.remember("slice/ns/a", "7", "ports=1");

    assertThat(writes.inFlight("slice/ns/a", "7", "ports=1")).isTrue();
  }

  @Test
  void aNewerVersionInTheCacheMeansSomeoneElseMayHaveChangedIt() {
    writes.remember("slice/ns/a", "7", "ports=1");

    assertThat(writes.inFlight("slice/ns/a", "9", "ports=1")).isFalse();
  }

  @Test
  void wantingSomethingElseThanWhatWasWrittenIsNotInFlight() {
    writes.remember("slice/ns/a", null, "ports=1");

    assertThat(writes.inFlight("slice/ns/a", null, "ports=1")).isTrue();
    assertThat(writes.inFlight("slice/ns/a", null, "ports=2")).isFalse();
    assertThat(writes.inFlight("slice/ns/b", null, "ports=1")).isFalse();
  }

  @Test
  void anObservedWriteIsNoLongerInFlight() {
    writes.remember("slice/ns/a", null, "ports=1");

    writes.observed("slice/ns/a");

    assertThat(writes.inFlight("slice/ns/a", null, "ports=1")).isFalse();
  }
}
