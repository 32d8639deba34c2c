package io.voyager.bdk.local.bench;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A closed-loop load run: {@code concurrency} blocking callers share {@code count} requests (the
 * i-th built by {@code request}), each timed; a request is a failure unless it answers
 * {@code expectedStatus}. Benchmarks only; figures, not assertions.
 */
final class ClosedLoop {
  private ClosedLoop() {}

  /** What one run gave. */
  record Result(String label, int requests, int failures, double perSecond, double p50Millis, double p99Millis) {}

  static Result run(HttpClient http, String label, int count, int concurrency, int expectedStatus,
      IntFunction<HttpRequest> request) throws Exception {
    long[] latencies = new long[count];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    ExecutorService callers = Executors.newFixedThreadPool(concurrency);
    long started = System.nanoTime();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < concurrency; c++) {
        done.add(callers.submit(() -> {
          int i;
          while ((i = next.getAndIncrement()) < count) {
            HttpRequest r = request.apply(i);
            long t0 = System.nanoTime();
            int status;
            try {
              status = http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (Exception e) {
              status = -1;
            }
            latencies[i] = System.nanoTime() - t0;
            if (status != expectedStatus) {
              failures.incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      callers.shutdownNow();
    }
    double elapsed = (System.nanoTime() - started) / 1e9;
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    return new Result(label, count, failures.get(), count / elapsed, percentile(sorted, 0.50), percentile(sorted, 0.99));
  }

  static double percentile(long[] sortedNanos, double p) {
    return sortedNanos[Math.min(sortedNanos.length - 1, (int) (sortedNanos.length * p))] / 1e6;
  }
}
