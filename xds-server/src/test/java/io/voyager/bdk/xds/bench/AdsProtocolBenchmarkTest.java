package io.voyager.bdk.xds.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The benchmark runs end to end on a few books, and what it measures holds regardless of timing:
 * both clients converge on every change, and delta sends far less than state-of-the-world when one
 * book's endpoints or cluster change (only that load assignment or cluster).
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
    var sotw = results.get("sotw");
    var delta = results.get("delta");
    assertThat(delta.get("one book's endpoints changed").bytes(1.0) * 10)
        .as("one load assignment vs all 42").isLessThan(sotw.get("one book's endpoints changed").bytes(0.5));
    assertThat(delta.get("one book added").bytes(1.0)).isLessThan(sotw.get("one book added").bytes(0.5));
    assertThat(delta.get("one book removed").bytes(1.0)).isLessThan(sotw.get("one book removed").bytes(0.5));
  }
}
