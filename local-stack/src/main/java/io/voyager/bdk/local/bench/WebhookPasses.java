package io.voyager.bdk.local.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Webhook traffic over books' webhook paths on Envoy's edge listener: every path POSTed once per
 * pass, in order, by {@code concurrency} closed-loop callers ({@link ClosedLoop}), pass after pass;
 * per pass its answers and latencies, how many books the in-process xds-server's held-books bound
 * reloaded meanwhile, and the CPU of the JVM's gRPC threads (the xds-server's ADS work: the
 * benchmark's HTTP callers and upstream run on threads of other names, {@link JvmThreadCpu}).
 * Figures only.
 */
final class WebhookPasses {
  private WebhookPasses() {}

  /** One pass: its closed-loop result, the books reloaded during it and the gRPC threads' CPU. */
  record Pass(int number, ClosedLoop.Result result, long reloads, long grpcCpuNanos) {
    /** The share of the pass's requests whose book was reloaded (evicted before, its cluster sent again). */
    double reloadShare() {
      return result.requests() == 0 ? 0 : (double) reloads / result.requests();
    }

    /** The gRPC threads' CPU per reload, ms (0 without reloads). */
    double grpcCpuMillisPerReload() {
      return reloads == 0 ? 0 : grpcCpuNanos / 1e6 / reloads;
    }
  }

  /**
   * {@code passes} passes over {@code paths} on 127.0.0.1:{@code edgePort}, an answer other than
   * {@code expectedStatus} counted as unexpected; {@code reloads} reads the bound's reload counter.
   */
  static List<Pass> run(List<String> paths, int edgePort, int passes, int concurrency, int expectedStatus,
      LongSupplier reloads) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<Pass> done = new ArrayList<>();
    for (int pass = 1; pass <= passes; pass++) {
      long reloadsBefore = reloads.getAsLong();
      JvmThreadCpu.Snapshot cpuBefore = JvmThreadCpu.snapshot();
      ClosedLoop.Result result = ClosedLoop.run(http, "pass " + pass, paths.size(), concurrency, expectedStatus,
          i -> HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edgePort + paths.get(i)))
              .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString("{}")).build());
      long grpc = JvmThreadCpu.between(cpuBefore, JvmThreadCpu.snapshot()).get(JvmThreadCpu.GRPC);
      done.add(new Pass(pass, result, reloads.getAsLong() - reloadsBefore, grpc));
    }
    return done;
  }
}
