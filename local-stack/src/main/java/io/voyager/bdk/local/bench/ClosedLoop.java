package io.voyager.bdk.local.bench;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * A closed-loop load run: {@code concurrency} blocking callers share {@code count} requests (the
 * i-th built by {@code request}), each timed; a request is a failure unless it answers
 * {@code expectedStatus}. The unexpected answers are counted by what they were ({@link #answer}), so
 * a run full of them says why. Benchmarks only; figures, not assertions.
 */
final class ClosedLoop {
  private ClosedLoop() {}

  /** The header Envoy's per-client-address webhook limit adds to its 429 (the xds-server's ClientRateLimitFilter). */
  static final String LIMITED_BY_HEADER = "x-bdk-limited-by";

  /**
   * What one run gave; {@code unexpected}: the answers other than the expected status, counted by
   * {@link #answer} (sorted), empty when every answer was the expected one.
   */
  record Result(String label, int requests, int failures, double perSecond, double p50Millis, double p99Millis,
      Map<String, Long> unexpected) {
    Result {
      unexpected = Map.copyOf(unexpected);
    }

    /** The unexpected answers, e.g. {@code 429 (x-bdk-limited-by: gateway) × 1847, 503 × 2}; "none" when there were none. */
    String unexpectedSummary() {
      if (unexpected.isEmpty()) {
        return "none";
      }
      StringBuilder out = new StringBuilder();
      new TreeMap<>(unexpected).forEach((what, n) -> out.append(out.length() == 0 ? "" : ", ").append(what).append(" × ").append(n));
      return out.toString();
    }
  }

  /**
   * An answer as the unexpected-answer counts name it: its status, with who limited it when Envoy's
   * per-client limit did ({@value #LIMITED_BY_HEADER}); ext-authz's own 429s carry no such header.
   */
  static String answer(HttpResponse<?> response) {
    return response.headers().firstValue(LIMITED_BY_HEADER)
        .map(by -> response.statusCode() + " (" + LIMITED_BY_HEADER + ": " + by + ")")
        .orElse(Integer.toString(response.statusCode()));
  }

  static Result run(HttpClient http, String label, int count, int concurrency, int expectedStatus,
      IntFunction<HttpRequest> request) throws Exception {
    long[] latencies = new long[count];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    Map<String, LongAdder> unexpected = new ConcurrentHashMap<>();
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
            String what;
            try {
              HttpResponse<Void> response = http.send(r, HttpResponse.BodyHandlers.discarding());
              status = response.statusCode();
              what = answer(response);
            } catch (Exception e) {
              status = -1;
              what = "no answer (" + e.getClass().getSimpleName() + ")";
            }
            latencies[i] = System.nanoTime() - t0;
            if (status != expectedStatus) {
              failures.incrementAndGet();
              unexpected.computeIfAbsent(what, k -> new LongAdder()).increment();
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
    Map<String, Long> counted = new TreeMap<>();
    unexpected.forEach((what, n) -> counted.put(what, n.sum()));
    return new Result(label, count, failures.get(), count / elapsed, percentile(sorted, 0.50), percentile(sorted, 0.99), counted);
  }

  static double percentile(long[] sortedNanos, double p) {
    return sortedNanos[Math.min(sortedNanos.length - 1, (int) (sortedNanos.length * p))] / 1e6;
  }
}
