package io.voyager.bdk.xds.watch;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Coalesces bursts of signals into one run of {@code action}: it runs once no signal arrived for
 * {@code quiet}, and at the latest {@code max} after the first signal of a burst. Runs happen on
 * the given executor (single-threaded, so runs never overlap).
 */
public final class Debouncer {
  private final ScheduledExecutorService executor;
  private final long quietNanos;
  private final long maxNanos;
  private final Runnable action;
  private final LongSupplier nanoTime;
  private long firstSignal = -1;
  private ScheduledFuture<?> scheduled;

  public Debouncer(ScheduledExecutorService executor, Duration quiet, Duration max, Runnable action) {
    this(executor, quiet, max, action, System::nanoTime);
  }

  Debouncer(ScheduledExecutorService executor, Duration quiet, Duration max, Runnable action, LongSupplier nanoTime) {
    if (quiet.isNegative() || max.compareTo(quiet) < 0) {
      throw new IllegalArgumentException("debounce: need 0 <= quiet <= max, got quiet=" + quiet + " max=" + max);
    }
    this.executor = executor;
    this.quietNanos = quiet.toNanos();
    this.maxNanos = max.toNanos();
    this.action = action;
    this.nanoTime = nanoTime;
  }

  public synchronized void signal() {
    long now = nanoTime.getAsLong();
    if (firstSignal < 0) {
      firstSignal = now;
    }
    if (scheduled != null) {
      scheduled.cancel(false);
    }
    long delay = Math.max(0, Math.min(quietNanos, firstSignal + maxNanos - now));
    scheduled = executor.schedule(this::fire, delay, TimeUnit.NANOSECONDS);
  }

  private void fire() {
    synchronized (this) {
      firstSignal = -1;
      scheduled = null;
    }
    action.run();
  }
}
