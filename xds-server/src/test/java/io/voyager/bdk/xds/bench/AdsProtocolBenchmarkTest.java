package io.voyager.bdk.xds.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The benchmark runs end to end on a few books, and what it measures holds regardless of timing:
 * every client converges on every change, delta sends far less than state-of-the-world when one
 * book's endpoints or cluster change (only that load assignment or cluster), and with scoped routes
 * a book's route change is that book's route configuration, not all of them.
 */
class AdsProtocolBenchmarkTest {
  @Test
  void deltaSendsOnlyWhatChangedWhereStateOfTheWorldSendsTheWholeType() throws Exception {
    AdsProtocolBenchmark benchmark = new AdsProtocolBenchmark();
    benchmark.bookCount = 40;
    benchmark.namespaceCount = 4;
    benchmark.changes = 2;
    benchmark.warmup = 0;

    Map<String, Map<String, AdsProtocolBenchmark.Samples>> results = benchmark.measure();

    for (Map<String, AdsProtocolBenchmark.Samples> rows : results.values()) {
      assertThat(rows.get("one book's endpoints changed").count()).isEqualTo(2);
      assertThat(rows.get("one book removed").count()).isEqualTo(2);
    }
    assertThat(results.keySet()).containsExactly(
        AdsProtocolBenchmark.SOTW_SINGLE, AdsProtocolBenchmark.DELTA_SINGLE, AdsProtocolBenchmark.DELTA_SCOPED);
    var sotw = results.get(AdsProtocolBenchmark.SOTW_SINGLE);
    var delta = results.get(AdsProtocolBenchmark.DELTA_SINGLE);
    var scoped = results.get(AdsProtocolBenchmark.DELTA_SCOPED);
    assertThat(delta.get("one book's endpoints changed").bytes(1.0) * 10)
        .as("one load assignment vs all 42").isLessThan(sotw.get("one book's endpoints changed").bytes(0.5));
    assertThat(delta.get("one book added").bytes(1.0)).isLessThan(sotw.get("one book added").bytes(0.5));
    assertThat(delta.get("one book removed").bytes(1.0)).isLessThan(sotw.get("one book removed").bytes(0.5));
    assertThat(scoped.get("one book's routes changed").bytes(1.0) * 10)
        .as("one book's route configuration vs every route").isLessThan(delta.get("one book's routes changed").bytes(0.5));
    assertThat(scoped.get("one book added").bytes(1.0) * 10).isLessThan(delta.get("one book added").bytes(0.5));
  }
}
