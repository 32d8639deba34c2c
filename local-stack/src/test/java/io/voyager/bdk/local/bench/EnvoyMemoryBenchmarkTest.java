package io.voyager.bdk.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.voyager.bdk.local.EnvoyBinary;
import io.voyager.bdk.local.EnvoyBootstrap;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory benchmark on a few books and a real Envoy: Envoy takes every book's cluster from the
 * in-process xds-server in both protocols and layouts (with on-demand clusters, the clusters of the
 * books a request reached), and what the benchmark reads is there —
 * RSS, the allocator's figures, and per book cluster only the stats the bootstrap keeps (3).
 */
class EnvoyMemoryBenchmarkTest {
  @TempDir Path dir;

  /** One Envoy worker, no settling wait, a 2-minute load timeout: the figures a test reads, quickly. */
  private static EnvoyMemoryBenchmark quickBenchmark() {
    EnvoyMemoryBenchmark benchmark = new EnvoyMemoryBenchmark();
    benchmark.concurrency = 1;
    benchmark.settleSeconds = 0;
    benchmark.timeoutSeconds = 120;
    return benchmark;
  }

  @Test
  void envoyHoldsEveryBookAndTheBenchmarkReadsItsMemoryAndStats() throws Exception {
    Path root = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    EnvoyMemoryBenchmark benchmark = quickBenchmark();
    for (String run : new String[] {"sotw+single", "delta+scoped", "delta+scoped-eager-clusters", "delta+scoped-eager"}) {
      EnvoyMemoryBenchmark.Point point =
          benchmark.measure(EnvoyBinary.locate(root), EnvoyBootstrap.template(), dir.resolve(run.replace('+', '-')), run, 6, 2, 0);

      // On-demand clusters (delta+scoped): only the 2 books hit have theirs; otherwise every book.
      int bookClusters = run.equals("delta+scoped") ? 2 : 6;
      assertThat(point.clusters()).as(run).isEqualTo(bookClusters + 2); // and the library's and ext-authz's
      assertThat(point.booksHit()).as(run).isEqualTo(2);
      assertThat(point.rssKib()).as(run).isPositive();
      assertThat(point.allocated()).as(run).isPositive();
      assertThat(point.heapSize()).as(run).isGreaterThanOrEqualTo(point.allocated());
      assertThat(point.bookClusterStats()).as(run + ": update_success, update_rejected, version_text per book cluster held")
          .isEqualTo(bookClusters * 3);
      // Webhook route configurations Envoy holds: none of its own in the single layout (one for all),
      // with on-demand scopes only those of the 2 books hit, eager all of them.
      if (run.equals("delta+scoped-eager")) {
        assertThat(point.hit()).as(run + ": every webhook's (1 or 2 a book)").isGreaterThanOrEqualTo(6);
      } else {
        assertThat(point.hit()).as(run + ": webhook route configurations held").isEqualTo(run.equals("sotw+single") ? 0 : 2);
      }
    }
  }

  @Test
  void withItsUpstreamEveryWebhookIsAnswered200AndPastTheHeldBooksLimitTheSecondPassReloadsEveryBook() throws Exception {
    Path root = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    EnvoyMemoryBenchmark benchmark = quickBenchmark();
    benchmark.hitUpstream = true;
    benchmark.hitPasses = 2;
    EnvoyMemoryBenchmark.Point point =
        benchmark.measure(EnvoyBinary.locate(root), EnvoyBootstrap.template(), dir.resolve("bounded"), "delta+scoped", 6, 6, 2);

    assertThat(point.passes()).hasSize(2);
    point.passes().forEach(pass -> {
      assertThat(pass.result().requests()).isEqualTo(6);
      assertThat(pass.result().unexpected()).as("pass %d: every webhook answered 200 by the books' upstream", pass.number())
          .isEmpty();
    });
    assertThat(point.passes().get(0).reloads()).as("first loads are no reloads").isZero();
    assertThat(point.passes().get(1).reloads()).as("6 books in turn under a bound of 2: each evicted before its turn")
        .isEqualTo(6);
    assertThat(point.hit()).as("webhook route configurations held").isEqualTo(2);
  }

  @Test
  void hitBooksCountsBooksOrAllAndNamesABadValue() {
    assertThat(EnvoyMemoryBenchmark.hitCount("0", 10_000)).isZero();
    assertThat(EnvoyMemoryBenchmark.hitCount("100", 10_000)).isEqualTo(100);
    assertThat(EnvoyMemoryBenchmark.hitCount("all", 5_000)).isEqualTo(5_000);
    assertThat(EnvoyMemoryBenchmark.hitCount("20000", 5_000)).as("no more than there are books").isEqualTo(5_000);
    assertThatThrownBy(() -> EnvoyMemoryBenchmark.hitCount("-1", 10)).hasMessageContaining("--hit-books: '-1'");
    assertThatThrownBy(() -> EnvoyMemoryBenchmark.hitCount("every", 10)).hasMessageContaining("--hit-books: 'every'");
  }

  @Test
  void onlyRunsThatLoadOnDemandAreMeasuredAfterTraffic() {
    assertThat(EnvoyMemoryBenchmark.loadsOnDemand("delta+scoped")).isTrue();
    assertThat(EnvoyMemoryBenchmark.loadsOnDemand("delta+scoped-eager-clusters")).isTrue();
    assertThat(EnvoyMemoryBenchmark.loadsOnDemand("delta+scoped-eager")).isFalse();
    assertThat(EnvoyMemoryBenchmark.loadsOnDemand("delta+single")).isFalse();
    assertThat(EnvoyMemoryBenchmark.loadsOnDemand("sotw+single")).isFalse();
  }
}
