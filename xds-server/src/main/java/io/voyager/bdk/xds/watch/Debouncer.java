package io.voyager.bdk.xds.watch;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Coalesces bursts of signals into one run of {@code action}: it runs once no signal arrived for
 * {@code quiet}, and at the latest {@code max} after the first signal of a burst. While signals
 * keep coming (the last run followed the one before it within {@code quiet} plus that run's
 * time), a run also never starts sooner after the previous one ended than that one took: a run
 * that costs T (a rebuild at 10,000 books) then keeps the executor busy at most half the time, and
 * a slow stream of events (one write every few hundred milliseconds, each past {@code quiet}) is
 * coalesced into runs at most every T instead of one run per event. A single change after a pause
 * (nothing pending or running, and the last run ended more than {@code quiet} plus its own
 * duration ago) runs at once:
 * the leading edge, so one book's change is not delayed by the quiet period; signals that follow it
 * are coalesced as above into a trailing run. Runs happen on the given executor (single-threaded,
 * so runs never overlap).
 */
public final class Debouncer {
  private final ScheduledExecutorService executor;
  private final long quietNanos;
  private final long maxNanos;
  private final Runnable action;
  private final LongSupplier nanoTime;
  private long firstSignal = -1;
  private ScheduledFuture<?> scheduled;
  /** When the last run ended and how long it took (nanoTime); none yet: 0 and 0. */
  private long lastEnd;
  private long lastDuration;
  private boolean ran;
  /** The last run followed the one before it closely: signals keep coming. */
  private boolean streaming;
  private boolean running;
  /** How long the run now going waited since the first signal it answers (nanos); read by the action. */
  private volatile long lastWaitNanos;

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
    // A run starting now would not follow the last one closely (the rule that makes a stream).
    boolean paused = scheduled == null && !running && (!ran || now - lastEnd > quietNanos + lastDuration);
    if (firstSignal < 0) {
      firstSignal = now;
    }
    if (paused) {
      scheduled = executor.schedule(this::fire, 0, TimeUnit.NANOSECONDS);
      return;
    }
    if (scheduled != null) {
      scheduled.cancel(false);
    }
    long delay = Math.max(0, Math.min(quietNanos, firstSignal + maxNanos - now));
    if (streaming) {
      delay = Math.max(delay, lastEnd + lastDuration - now);
    }
    scheduled = executor.schedule(this::fire, delay, TimeUnit.NANOSECONDS);
  }

  /**
   * For the action, while it runs: how long since the first signal of the burst it answers (the
   * debounce wait); 0 for a run no signal asked for.
   */
  public long lastWaitNanos() {
    return lastWaitNanos;
  }

  private void fire() {
    long fired = nanoTime.getAsLong();
    synchronized (this) {
      lastWaitNanos = firstSignal < 0 ? 0 : Math.max(0, fired - firstSignal);
      firstSignal = -1;
      scheduled = null;
      running = true;
    }
    long start = nanoTime.getAsLong();
    try {
      action.run();
    } finally {
      long end = nanoTime.getAsLong();
      synchronized (this) {
        running = false;
        streaming = ran && start - lastEnd <= quietNanos + lastDuration;
        lastEnd = end;
        lastDuration = end - start;
        ran = true;
        // Signals during the run scheduled the next one without knowing its cost: hold it back.
        if (scheduled != null && streaming && scheduled.cancel(false)) {
          long delay = Math.max(scheduled.getDelay(TimeUnit.NANOSECONDS), lastDuration);
          scheduled = executor.schedule(this::fire, delay, TimeUnit.NANOSECONDS);
        }
      }
    }
  }
}
