package io.voyager.bdk.xds.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.xds.ir.BookTranslation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class StatusWriteQueueTest {
  static final StatusWriteQueue.RetryPolicy RETRY =
      new StatusWriteQueue.RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(5));
  static final BiFunction<String, String, ExternalBookDefinition> NO_LOOKUP = (ns, name) -> null;

  /** Runs tasks only when the test says so: ready tasks, retries (one-shot delays) and the periodic resync. */
  static final class ManualRunner implements StatusWriteQueue.Runner {
    final List<Runnable> ready = new ArrayList<>();
    final List<Duration> retryDelays = new ArrayList<>();
    final List<Runnable> retries = new ArrayList<>();
    final List<Runnable> periodic = new ArrayList<>();
    boolean closed;

    @Override
    public void execute(Runnable task) {
      ready.add(task);
    }

    @Override
    public void schedule(Duration delay, Runnable task) {
      retryDelays.add(delay);
      retries.add(task);
    }

    @Override
    public void scheduleEvery(Duration period, Runnable task) {
      periodic.add(task);
    }

    @Override
    public void close() {
      closed = true;
    }

    void runReady() {
      while (!ready.isEmpty()) {
        ready.remove(0).run();
      }
    }

    void fireRetries() {
      List<Runnable> due = new ArrayList<>(retries);
      retries.clear();
      due.forEach(Runnable::run);
      runReady();
    }

    void fireResync() {
      periodic.forEach(Runnable::run);
      runReady();
    }
  }

  /** Records every write; books in {@link #failing} fail; books in {@link #upToDate} need no write. */
  static final class FakeWriter implements StatusWriteQueue.Writer {
    final List<BookTranslation> written = new CopyOnWriteArrayList<>();
    final Set<String> failing = new HashSet<>();
    final Set<String> upToDate = new HashSet<>();

    @Override
    public boolean mayNeedWrite(BookTranslation t, BiFunction<String, String, ExternalBookDefinition> lookup) {
      return !upToDate.contains(t.name());
    }

    @Override
    public StatusWriter.Result write(BookTranslation t, BiFunction<String, String, ExternalBookDefinition> lookup) {
      written.add(t);
      return failing.contains(t.name()) ? StatusWriter.Result.FAILED : StatusWriter.Result.WRITTEN;
    }
  }

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final ManualRunner runner = new ManualRunner();
  final FakeWriter writer = new FakeWriter();
  final StatusWriteQueue queue = new StatusWriteQueue(writer, NO_LOOKUP, runner, RETRY, registry);

  static BookTranslation rejected(String name, String reason) {
    return new BookTranslation.Rejected("customer-a", name, reason);
  }

  double writes(String result) {
    return registry.get("bdk.xds.status.writes").tag("result", result).counter().count();
  }

  double pendingGauge() {
    return registry.get("bdk.xds.status.writes.pending").gauge().value();
  }

  @Test
  void twoTranslationsOfOneBookBeforeTheWriterRunsGiveOneWriteOfTheNewer() {
    queue.offer(List.of(rejected("acme", "first")));
    queue.offer(List.of(rejected("acme", "second")));
    assertThat(pendingGauge()).isEqualTo(1.0);

    runner.runReady();

    assertThat(writer.written).containsExactly(rejected("acme", "second"));
    assertThat(writes("written")).isEqualTo(1.0);
    assertThat(pendingGauge()).isZero();
  }

  @Test
  void offerOnlyQueuesAndNeverWritesOnTheCallersThread() {
    queue.offer(List.of(rejected("acme", "x"), rejected("other", "y")));

    assertThat(writer.written).isEmpty();
    assertThat(queue.pending()).isEqualTo(2);
    runner.runReady();
    assertThat(writer.written).containsExactlyInAnyOrder(rejected("acme", "x"), rejected("other", "y"));
  }

  @Test
  void aBookWhoseStatusNeedsNoWriteIsNotQueuedAndItsWaitingWorkIsDropped() {
    queue.offer(List.of(rejected("acme", "x")));
    writer.upToDate.add("acme");
    queue.offer(List.of(rejected("acme", "x")));

    runner.runReady();

    assertThat(writer.written).isEmpty();
    assertThat(queue.pending()).isZero();
  }

  @Test
  void failedWritesAreRetriedWithDoublingBackoffThenGivenUpUntilTheTranslationChanges() {
    writer.failing.add("acme");
    queue.offer(List.of(rejected("acme", "x")));
    runner.runReady();
    runner.fireRetries();
    runner.fireRetries();
    runner.fireRetries();

    assertThat(writer.written).hasSize(RETRY.maxAttempts());
    assertThat(runner.retryDelays).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    assertThat(runner.retries).as("no retry after the last attempt").isEmpty();
    assertThat(writes("failed")).isEqualTo(RETRY.maxAttempts());
    assertThat(queue.pending()).isZero();

    queue.offer(List.of(rejected("acme", "x")));
    runner.runReady();
    assertThat(writer.written).as("the same translation waits for a change or the resync").hasSize(RETRY.maxAttempts());

    writer.failing.clear();
    queue.offer(List.of(rejected("acme", "changed")));
    runner.runReady();
    assertThat(writer.written).last().isEqualTo(rejected("acme", "changed"));
    assertThat(writes("written")).isEqualTo(1.0);
  }

  @Test
  void theResyncGivesABookThatRanOutOfAttemptsAFreshRound() {
    writer.failing.add("acme");
    queue.offer(List.of(rejected("acme", "x")));
    runner.runReady();
    runner.fireRetries();
    runner.fireRetries();
    writer.failing.clear();

    runner.fireResync();

    assertThat(writer.written).hasSize(RETRY.maxAttempts() + 1);
    assertThat(writes("written")).isEqualTo(1.0);
    assertThat(queue.pending()).isZero();
  }

  @Test
  void anOfferWhileBackingOffDoesNotCutTheBackoffShort() {
    writer.failing.add("acme");
    queue.offer(List.of(rejected("acme", "x")));
    runner.runReady();

    queue.offer(List.of(rejected("acme", "x")));
    runner.runReady();

    assertThat(writer.written).hasSize(1);
    assertThat(queue.pending()).isEqualTo(1);
  }

  @Test
  void aNewerTranslationIsWrittenAtOnceAndTheOlderOnesRetryNeverRuns() {
    writer.failing.add("acme");
    queue.offer(List.of(rejected("acme", "old")));
    runner.runReady();
    writer.failing.clear();

    queue.offer(List.of(rejected("acme", "new")));
    runner.runReady();
    runner.fireRetries();

    assertThat(writer.written).containsExactly(rejected("acme", "old"), rejected("acme", "new"));
    assertThat(queue.pending()).isZero();
  }

  @Test
  void aDeletedBooksWaitingWorkIsDropped() {
    queue.offer(List.of(rejected("acme", "x"), rejected("other", "y")));
    queue.offer(List.of(rejected("other", "y")));
    runner.runReady();
    assertThat(writer.written).containsExactly(rejected("other", "y"));

    writer.failing.add("gone");
    queue.offer(List.of(rejected("gone", "z")));
    runner.runReady();
    queue.offer(List.of());
    assertThat(pendingGauge()).isZero();
    runner.fireRetries();
    assertThat(writer.written).containsExactly(rejected("other", "y"), rejected("gone", "z"));
  }

  @Test
  void aWriterThatThrowsCountsAsAFailureAndOtherBooksAreStillWritten() {
    StatusWriteQueue.Writer throwing = new StatusWriteQueue.Writer() {
      @Override
      public boolean mayNeedWrite(BookTranslation t, BiFunction<String, String, ExternalBookDefinition> lookup) {
        return true;
      }

      @Override
      public StatusWriter.Result write(BookTranslation t, BiFunction<String, String, ExternalBookDefinition> lookup) {
        if (t.name().equals("bad")) {
          throw new IllegalStateException("boom");
        }
        return writer.write(t, lookup);
      }
    };
    SimpleMeterRegistry own = new SimpleMeterRegistry();
    StatusWriteQueue q = new StatusWriteQueue(throwing, NO_LOOKUP, runner, RETRY, own);

    q.offer(List.of(rejected("bad", "x"), rejected("good", "y")));
    runner.runReady();

    assertThat(writer.written).containsExactly(rejected("good", "y"));
    assertThat(own.get("bdk.xds.status.writes").tag("result", "failed").counter().count()).isEqualTo(1.0);
    assertThat(runner.retries).hasSize(1);
  }

  @Test
  void closeDropsWaitingWorkStopsTheRunnerAndIgnoresLaterOffers() {
    queue.offer(List.of(rejected("acme", "x")));

    queue.close();
    runner.runReady();
    queue.offer(List.of(rejected("other", "y")));
    runner.runReady();

    assertThat(runner.closed).isTrue();
    assertThat(writer.written).isEmpty();
    assertThat(queue.pending()).isZero();
  }

  @Test
  void closingWhileAWriteHangsStopsTheWriterThread() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    StatusWriteQueue.Writer hanging = new StatusWriteQueue.Writer() {
      @Override
      public boolean mayNeedWrite(BookTranslation t, BiFunction<String, String, ExternalBookDefinition> lookup) {
        return true;
      }

      @Override
      public StatusWriter.Result write(BookTranslation t, BiFunction<String, String, ExternalBookDefinition> lookup) {
        entered.countDown();
        try {
          new CountDownLatch(1).await();
          return StatusWriter.Result.WRITTEN;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return StatusWriter.Result.FAILED;
        }
      }
    };
    StatusWriteQueue.SingleThreadRunner real = StatusWriteQueue.Runner.singleThread("test-status-writer");
    StatusWriteQueue q = new StatusWriteQueue(hanging, NO_LOOKUP, real, RETRY, new SimpleMeterRegistry());
    q.offer(List.of(rejected("acme", "x")));
    await().atMost(Duration.ofSeconds(10)).until(() -> entered.getCount() == 0);

    q.close();

    assertThat(real.isTerminated()).isTrue();
    assertThat(q.pending()).isZero();
  }

  @Test
  void retryPolicyBackoffDoublesUpToItsCap() {
    StatusWriteQueue.RetryPolicy policy =
        new StatusWriteQueue.RetryPolicy(10, Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofMinutes(5));
    assertThat(List.of(1, 2, 3, 4, 5).stream().map(policy::backoffAfter))
        .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(5),
            Duration.ofSeconds(5));
  }
}
