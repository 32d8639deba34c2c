package io.voyager.bdk.xds.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The debounce rules on a hand-driven clock and executor: delays asked for, runs made. */
class DebouncerTest {
  static final long MS = 1_000_000;
  final AtomicLong now = new AtomicLong(1_000 * MS);
  final ManualExecutor executor = new ManualExecutor();
  final AtomicInteger runs = new AtomicInteger();
  /** How long each run takes on the fake clock. */
  long runCost = 0;
  final Debouncer debouncer = new Debouncer(executor, Duration.ofMillis(100), Duration.ofMillis(1000), () -> {
    runs.incrementAndGet();
    now.addAndGet(runCost);
  }, now::get);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  @Test
  void aSingleSignalAfterAPauseRunsAtOnce() {
    debouncer.signal();
    assertThat(executor.lastDelayMillis()).as("the leading edge").isZero();
    executor.runPending();
    assertThat(runs).hasValue(1);

    now.addAndGet(5_000 * MS);
    debouncer.signal();
    assertThat(executor.lastDelayMillis()).isZero();
  }

  @Test
  void signalsRightAfterALeadingRunWaitForTheQuietPeriod() {
    debouncer.signal();
    executor.runPending();
    now.addAndGet(20 * MS);
    debouncer.signal();
    assertThat(executor.lastDelayMillis()).isEqualTo(100);
    now.addAndGet(50 * MS);
    debouncer.signal();
    assertThat(executor.lastDelayMillis()).isEqualTo(100);
    executor.runPending();
    assertThat(runs).as("the burst after the leading run: one trailing run").hasValue(2);
  }

  @Test
  void aBurstRunsAtTheLatestMaxAfterItsFirstSignal() {
    debouncer.signal();
    executor.runPending(); // the leading run
    now.addAndGet(10 * MS);
    debouncer.signal();
    now.addAndGet(950 * MS);
    debouncer.signal();
    assertThat(executor.lastDelayMillis()).isEqualTo(50);
  }

  @Test
  void aSingleChangeAfterACostlyRunWaitsOnlyTheQuietPeriod() {
    runCost = 400 * MS;
    debouncer.signal();
    executor.runPending();
    now.addAndGet(150 * MS);
    debouncer.signal();
    assertThat(executor.lastDelayMillis()).isEqualTo(100);
  }

  @Test
  void whileWritesKeepComingACostlyRunHoldsTheNextBackByItsOwnDuration() {
    runCost = 400 * MS;
    debouncer.signal();
    executor.runPending();
    now.addAndGet(150 * MS);
    debouncer.signal();
    executor.runPending(); // a second run right after the first: a stream
    assertThat(runs).hasValue(2);
    // the next write 150 ms after that 400 ms rebuild waits for the rest of those 400 ms
    now.addAndGet(150 * MS);
    debouncer.signal();
    assertThat(executor.lastDelayMillis()).isEqualTo(250);
    executor.runPending();
    // after a pause longer than the quiet period plus the last run: at once again
    now.addAndGet(2_000 * MS);
    debouncer.signal();
    assertThat(executor.lastDelayMillis()).isZero();
  }

  @Test
  void aSignalDuringARunIsHeldBackByThatRunsCost() {
    runCost = 300 * MS;
    Debouncer[] self = new Debouncer[1];
    self[0] = new Debouncer(executor, Duration.ofMillis(100), Duration.ofMillis(1000), () -> {
      runs.incrementAndGet();
      self[0].signal(); // an event while the rebuild runs
      now.addAndGet(runCost);
    }, now::get);
    self[0].signal();
    executor.runNext();
    assertThat(runs).hasValue(1);
    assertThat(executor.lastDelayMillis()).as("the first run: no stream yet").isEqualTo(100);
    executor.runNext();
    assertThat(runs).hasValue(2);
    assertThat(executor.lastDelayMillis()).as("a stream: held back by the run's cost").isEqualTo(300);
  }

  /** Records each schedule's delay; runs the tasks only when told. */
  static final class ManualExecutor extends ScheduledThreadPoolExecutor {
    final List<Task> tasks = new ArrayList<>();

    ManualExecutor() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      Task task = new Task(command, unit.toNanos(delay));
      tasks.add(task);
      return task;
    }

    long lastDelayMillis() {
      return tasks.get(tasks.size() - 1).delayNanos / MS;
    }

    void runNext() {
      for (Task t : List.copyOf(tasks)) {
        if (!t.cancelled && !t.done) {
          t.done = true;
          t.command.run();
          return;
        }
      }
    }

    void runPending() {
      for (Task t : List.copyOf(tasks)) {
        if (!t.cancelled && !t.done) {
          t.done = true;
          t.command.run();
        }
      }
    }
  }

  static final class Task implements ScheduledFuture<Object> {
    final Runnable command;
    final long delayNanos;
    boolean cancelled;
    boolean done;

    Task(Runnable command, long delayNanos) {
      this.command = command;
      this.delayNanos = delayNanos;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(delayNanos, o.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done || cancelled) {
        return false;
      }
      cancelled = true;
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() {
      return null;
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      return null;
    }
  }
}
