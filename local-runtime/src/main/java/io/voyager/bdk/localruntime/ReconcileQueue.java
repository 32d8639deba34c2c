package io.voyager.bdk.localruntime;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action per key (a namespace) on one worker thread, debounced: a burst of events for a
 * key costs one run after {@code debounce}; a key is queued at most once, so memory is bounded by
 * the number of distinct keys. A failed run is retried with exponential backoff up to
 * {@code maxBackoff}; the next event for the key runs it sooner.
 */
final class ReconcileQueue implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReconcileQueue.class);
  private static final long MIN_BACKOFF_MILLIS = 100;

  private final ScheduledExecutorService worker =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "local-runtime-reconcile");
            thread.setDaemon(true);
            return thread;
          });
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  /** Consecutive failures per key; touched only on the worker thread. */
  private final Map<String, Integer> failures = new HashMap<>();
  private final Consumer<String> action;
  private final Duration debounce;
  private final Duration maxBackoff;

  ReconcileQueue(Consumer<String> action, Duration debounce, Duration maxBackoff) {
    this.action = action;
    this.debounce = debounce;
    this.maxBackoff = maxBackoff;
  }

  void enqueue(String key) {
    schedule(key, debounce.toMillis());
  }

  private void schedule(String key, long delayMillis) {
    if (!pending.add(key)) {
      return;
    }
    try {
      worker.schedule(() -> run(key), delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      pending.remove(key);
    }
  }

  private void run(String key) {
    pending.remove(key);
    try {
      action.accept(key);
      failures.remove(key);
    } catch (RuntimeException e) {
      int attempt = failures.merge(key, 1, Integer::sum);
      long base = Math.max(debounce.toMillis(), MIN_BACKOFF_MILLIS);
      long backoff = Math.min(maxBackoff.toMillis(), base << Math.min(attempt, 20));
      log.warn(
          "event=reconcile_failed namespace={} attempt={} retry_in_ms={} error={}",
          key, attempt, backoff, e.toString().replace('\n', ' '));
      schedule(key, backoff);
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
    try {
      worker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
