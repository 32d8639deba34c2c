package io.voyager.bdk.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The convergence benchmark's predicates: when a change counts as served on an Envoy and when
 * loading counts as done ({@code PinnedConnectionTest}: which Envoy accepted a connection). (The
 * benchmark itself runs real Envoys: {@code make bench-convergence}.)
 */
class ConvergenceBenchmarkTest {
  @Test
  void anAddOrAChangeIsServedWhenTheSignedWebhookReachesTheBackendNotWhenItIsMerelyRouted() {
    for (String kind : List.of("add", "change")) {
      assertThat(ConvergenceBenchmark.served(kind, 200)).isTrue();
      assertThat(ConvergenceBenchmark.served(kind, 202)).isTrue();
      assertThat(ConvergenceBenchmark.served(kind, 404)).as("no route yet").isFalse();
      assertThat(ConvergenceBenchmark.served(kind, 401)).as("routed, but ext-authz does not know the book's secret yet").isFalse();
      assertThat(ConvergenceBenchmark.served(kind, 503)).as("routed before its cluster or endpoints").isFalse();
      assertThat(ConvergenceBenchmark.unchanged(kind, 404)).isTrue();
      assertThat(ConvergenceBenchmark.unchanged(kind, 503)).as("a transient answer, reported").isFalse();
      assertThat(ConvergenceBenchmark.unchanged(kind, 401)).isFalse();
    }
  }

  @Test
  void aRemoveIsServedWhenThePathAnswers404AndTheOldStateIs401() {
    assertThat(ConvergenceBenchmark.served("remove", 404)).isTrue();
    assertThat(ConvergenceBenchmark.served("remove", 401)).isFalse();
    assertThat(ConvergenceBenchmark.served("remove", 200)).isFalse();
    assertThat(ConvergenceBenchmark.unchanged("remove", 401)).isTrue();
    assertThat(ConvergenceBenchmark.unchanged("remove", 503)).isFalse();
    assertThatThrownBy(() -> ConvergenceBenchmark.served("rename", 200)).hasMessageContaining("rename");
  }

  @Test
  void aLoadedBookAnswersTheUnsignedProbeWithExtAuthzs401() {
    assertThat(ConvergenceBenchmark.routed(401)).isTrue();
    assertThat(ConvergenceBenchmark.routed(404)).isFalse();
    assertThat(ConvergenceBenchmark.routed(503)).isFalse();
  }

  @Test
  void loadingWaitsForSamplesSpreadOverTheBooksWithTheFirstAndTheLastWritten() {
    assertThat(ConvergenceBenchmark.loadSamples(10_000, 20)).hasSize(20).startsWith(0).endsWith(9_999).isSorted()
        .doesNotHaveDuplicates();
    assertThat(ConvergenceBenchmark.loadSamples(10_000, 1)).containsExactly(9_999);
    assertThat(ConvergenceBenchmark.loadSamples(5, 20)).containsExactly(0, 1, 2, 3, 4);
    assertThat(ConvergenceBenchmark.loadSamples(1, 20)).containsExactly(0);
    assertThatThrownBy(() -> ConvergenceBenchmark.loadSamples(0, 20)).isInstanceOf(IllegalArgumentException.class);
  }
}
