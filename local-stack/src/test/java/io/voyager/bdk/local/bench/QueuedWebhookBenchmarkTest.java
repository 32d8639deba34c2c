package io.voyager.bdk.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.voyager.bdk.model.WebhookLimits;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The queued-webhook benchmark on a real stack (Envoy, ext-authz, the relay, nats-server) with few
 * requests: every webhook is answered as its mode expects, although all come from 127.0.0.1, faster
 * than Envoy's default per-address webhook limit (50/s, burst 100) lets through — the benchmark
 * raises that limit for its run (`make bench` failed with 429s from Envoy before it did). And the
 * arithmetic and the counting of unexpected answers that make such a failure readable.
 */
class QueuedWebhookBenchmarkTest {

  @Test
  void everyWebhookIsAnsweredAsItsModeExpectsThroughTheRealStack() throws Exception {
    QueuedWebhookBenchmark benchmark = new QueuedWebhookBenchmark();
    benchmark.warmup = 20;
    // More than the default per-address burst (100) plus what 50/s refills while they are sent.
    benchmark.requests = 300;
    benchmark.latencySamples = 5;
    benchmark.concurrency = 4;

    assertThat(benchmark.call()).isZero();

    assertThat(benchmark.measured.rows()).hasSize(2);
    for (ClosedLoop.Result row : benchmark.measured.rows()) {
      assertThat(row.requests()).as(row.label()).isEqualTo(300);
      assertThat(row.unexpected()).as(row.label()).isEmpty();
      assertThat(row.failures()).as(row.label() + ": " + row.unexpectedSummary()).isZero();
    }
    assertThat(benchmark.measured.latencySamples()).isEqualTo(5);
  }

  @Test
  void eachEndpointTakesAtMostHalfABurstOfAllOneModeSends() {
    int half = WebhookLimits.MAX_BURST / 2;
    for (int[] run : new int[][] {{200, 2000, 200}, {0, 1, 1}, {200, 5000, 200}, {0, 500, 0}, {1, 500, 0}}) {
      int sent = run[0] + run[1] + run[2];
      int endpoints = QueuedWebhookBenchmark.endpointsPerMode(run[0], run[1], run[2]);

      assertThat(endpoints).isPositive();
      // round-robin: the busiest endpoint takes ceil(sent / endpoints)
      assertThat((sent + endpoints - 1) / endpoints).as("%d sent over %d endpoints", sent, endpoints).isLessThanOrEqualTo(half);
    }
    assertThat(QueuedWebhookBenchmark.endpointsPerMode(200, 2000, 200)).isEqualTo(5);
  }

  @Test
  void unexpectedAnswersAreCountedByStatusAndByWhoLimitedThem() throws Exception {
    AtomicInteger seen = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      int n = seen.getAndIncrement();
      exchange.getRequestBody().readAllBytes();
      int status = n % 4 == 1 ? 429 : n % 4 == 2 ? 503 : n % 4 == 3 ? 429 : 202;
      if (n % 4 == 1) {
        exchange.getResponseHeaders().add(ClosedLoop.LIMITED_BY_HEADER, "gateway");
      }
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    server.start();
    try {
      URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
      ClosedLoop.Result result = ClosedLoop.run(HttpClient.newHttpClient(), "queued", 40, 1, 202,
          i -> HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("{}")).build());

      assertThat(result.failures()).isEqualTo(30);
      assertThat(result.unexpected()).isEqualTo(Map.of("429 (x-bdk-limited-by: gateway)", 10L, "429", 10L, "503", 10L));
      assertThat(result.unexpectedSummary()).isEqualTo("429 × 10, 429 (x-bdk-limited-by: gateway) × 10, 503 × 10");
    } finally {
      server.stop(0);
    }
  }
}
