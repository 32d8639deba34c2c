package io.voyager.bdk.xds.watch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.xds.ir.BookTranslation;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes ExternalBookDefinition statuses off the snapshot path. The snapshot thread hands over
 * the desired status of every live book ({@link #offer}), or of the books that changed
 * ({@link #offerChanged}), and goes on; books whose status (as the
 * informer cache shows it) may need a write wait here, one entry per book, and are written one at
 * a time on the {@link Runner}'s own thread.
 *
 * <ul>
 *   <li>Coalescing: a newer translation of a book replaces the one waiting; the write uses the
 *       newest. Memory is bounded by the number of books.</li>
 *   <li>Retries: a failed write is tried again after a doubling backoff, at most
 *       {@link RetryPolicy#maxAttempts()} times in all; then the book waits for a different
 *       translation (or a status that needs no write) or the periodic resync.</li>
 *   <li>A book missing from an offer of every book, or named gone, is gone: its waiting work is dropped.</li>
 *   <li>{@link #close()} drops all waiting work and stops the thread.</li>
 * </ul>
 * Gauge {@code bdk.xds.status.writes.pending} (books waiting, including those backing off);
 * counter {@code bdk.xds.status.writes} tagged {@code result} (written, unchanged, failed).
 */
public final class StatusWriteQueue implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatusWriteQueue.class);

  /** Decides and performs one book's status write; {@link StatusWriter} in production. */
  public interface Writer {
    /** In memory only (informer cache): could the book's status differ from {@code translation}? */
    boolean mayNeedWrite(BookTranslation translation, BiFunction<String, String, ExternalBookDefinition> lookup);

    /** Writes the status if it differs; may block on the API server. */
    StatusWriter.Result write(BookTranslation translation, BiFunction<String, String, ExternalBookDefinition> lookup);
  }

  /**
   * Where the writes run. Tasks must not overlap (one book is never written by two tasks at once):
   * production uses one thread ({@link #singleThread}); tests run tasks by hand.
   */
  public interface Runner extends AutoCloseable {
    void execute(Runnable task);

    void schedule(Duration delay, Runnable task);

    void scheduleEvery(Duration period, Runnable task);

    /** Stops running tasks (interrupting one in flight) and waits briefly for the thread to end. */
    @Override
    void close();

    static SingleThreadRunner singleThread(String threadName) {
      return new SingleThreadRunner(threadName);
    }
  }

  /** Bounded retries: {@code maxAttempts} writes in all, backoff doubling from {@code firstBackoff} up to {@code maxBackoff}. */
  public record RetryPolicy(int maxAttempts, Duration firstBackoff, Duration maxBackoff, Duration resync) {
    public RetryPolicy {
      if (maxAttempts < 1 || firstBackoff.isNegative() || maxBackoff.compareTo(firstBackoff) < 0 || resync.isNegative() || resync.isZero()) {
        throw new IllegalArgumentException("status retry: need maxAttempts >= 1, 0 <= firstBackoff <= maxBackoff, resync > 0; got " + this);
      }
    }

    /** 5 attempts (backoff 1 s, 2 s, 4 s, 8 s), then every 5 minutes a fresh round. */
    public static RetryPolicy defaults() {
      return new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(5));
    }

    /** Backoff before attempt {@code failures + 1}. */
    Duration backoffAfter(int failures) {
      Duration delay = firstBackoff;
      for (int i = 1; i < failures && delay.compareTo(maxBackoff) < 0; i++) {
        delay = delay.multipliedBy(2);
      }
      return delay.compareTo(maxBackoff) > 0 ? maxBackoff : delay;
    }
  }

  private record BookKey(String namespace, String name) {
    static BookKey of(BookTranslation t) {
      return new BookKey(t.namespace(), t.name());
    }

    @Override
    public String toString() {
      return namespace + "/" + name;
    }
  }

  /** A book waiting for a write: the translation to write, failed attempts so far, whether it is backing off. */
  private record Pending(BookTranslation translation, int failures, boolean backingOff) {}

  private final Writer writer;
  private final BiFunction<String, String, ExternalBookDefinition> lookup;
  private final Runner runner;
  private final RetryPolicy retry;
  private final Map<BookKey, Pending> pending = new ConcurrentHashMap<>();
  /** Books ready to be written, each at most once ({@link #queued}). */
  private final Queue<BookKey> ready = new ConcurrentLinkedQueue<>();
  private final Set<BookKey> queued = ConcurrentHashMap.newKeySet();
  /** Books whose writes failed {@code maxAttempts} times, with the translation that failed. */
  private final Map<BookKey, BookTranslation> gaveUp = new ConcurrentHashMap<>();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final Map<StatusWriter.Result, Counter> writes = new EnumMap<>(StatusWriter.Result.class);
  private volatile boolean closed;

  public StatusWriteQueue(Writer writer, BiFunction<String, String, ExternalBookDefinition> lookup, Runner runner,
      RetryPolicy retry, MeterRegistry registry) {
    this.writer = writer;
    this.lookup = lookup;
    this.runner = runner;
    this.retry = retry;
    for (StatusWriter.Result result : StatusWriter.Result.values()) {
      writes.put(result, Counter.builder("bdk.xds.status.writes").tag("result", result.name().toLowerCase())
          .description("ExternalBookDefinition status writes by result").register(registry));
    }
    Gauge.builder("bdk.xds.status.writes.pending", pending, Map::size)
        .description("ExternalBookDefinitions waiting for a status write (including those backing off after a failure)")
        .register(registry);
    runner.scheduleEvery(retry.resync(), this::resync);
  }

  /**
   * The desired status of every live book (a book not listed is gone). Cheap and non-blocking:
   * an in-memory check per book, then the books that may need a write are queued.
   */
  public void offer(List<BookTranslation> books) {
    if (closed) {
      return;
    }
    Set<BookKey> live = new HashSet<>();
    for (BookTranslation t : books) {
      live.add(check(t));
    }
    pending.keySet().retainAll(live);
    gaveUp.keySet().retainAll(live);
  }

  /**
   * Only some books changed since the last offer: {@code changed} holds their desired statuses,
   * {@code gone} the keys ({@code namespace/name}) of books that no longer exist (their waiting work
   * is dropped); every other book keeps what it has. What a rebuild that changed a few books offers,
   * instead of every live book. Same thread as {@link #offer}.
   */
  public void offerChanged(Collection<BookTranslation> changed, Collection<String> gone) {
    if (closed) {
      return;
    }
    for (BookTranslation t : changed) {
      check(t);
    }
    for (String key : gone) {
      int slash = key.indexOf('/');
      BookKey book = new BookKey(key.substring(0, slash), key.substring(slash + 1));
      pending.remove(book);
      gaveUp.remove(book);
    }
  }

  /**
   * One book's desired status again, from the last translation, when only the book's status or
   * metadata changed (no rebuild needed): a status another writer replaced is written back. Same
   * thread as {@link #offer}.
   */
  public void recheck(BookTranslation book) {
    if (!closed) {
      check(book);
    }
  }

  private BookKey check(BookTranslation t) {
    BookKey key = BookKey.of(t);
    if (!writer.mayNeedWrite(t, lookup)) {
      pending.remove(key);
      gaveUp.remove(key);
      return key;
    }
    if (t.equals(gaveUp.get(key))) {
      return key;
    }
    gaveUp.remove(key);
    Pending now = pending.compute(key, (k, old) -> old != null && old.translation().equals(t) ? old : new Pending(t, 0, false));
    if (!now.backingOff()) {
      enqueue(key);
    }
    return key;
  }

  /** Books waiting for a write, including those backing off. */
  public int pending() {
    return pending.size();
  }

  private void enqueue(BookKey key) {
    if (closed || !queued.add(key)) {
      return;
    }
    ready.add(key);
    if (drainScheduled.compareAndSet(false, true)) {
      runner.execute(this::drain);
    }
  }

  /** Resets the flag first, so a key queued while draining is either seen here or schedules another drain. */
  private void drain() {
    drainScheduled.set(false);
    BookKey key;
    while (!closed && (key = ready.poll()) != null) {
      queued.remove(key);
      Pending p = pending.get(key);
      if (p != null && !p.backingOff()) {
        writeOne(key, p);
      }
    }
  }

  private void writeOne(BookKey key, Pending p) {
    StatusWriter.Result result;
    try {
      result = writer.write(p.translation(), lookup);
    } catch (RuntimeException | Error e) {
      log.warn("event=status_write_failed book={} error=\"{}\"", key, String.valueOf(e).replace('"', '\''));
      result = StatusWriter.Result.FAILED;
    }
    if (closed) {
      return;
    }
    writes.get(result).increment();
    if (result != StatusWriter.Result.FAILED) {
      pending.remove(key, p);
      return;
    }
    int failures = p.failures() + 1;
    if (failures >= retry.maxAttempts()) {
      if (pending.remove(key, p)) {
        gaveUp.put(key, p.translation());
        log.warn("event=status_write_gave_up book={} attempts={} next=\"on change or resync in {}s\"", key, failures,
            retry.resync().toSeconds());
      }
      return;
    }
    Pending waiting = new Pending(p.translation(), failures, true);
    if (pending.replace(key, p, waiting)) {
      Duration delay = retry.backoffAfter(failures);
      log.info("event=status_write_retry book={} attempt={} delay_ms={}", key, failures + 1, delay.toMillis());
      runner.schedule(delay, () -> retryDue(key, waiting));
    }
  }

  /** Only if nothing newer replaced it meanwhile (a newer translation is written at once instead). */
  private void retryDue(BookKey key, Pending waiting) {
    if (pending.replace(key, waiting, new Pending(waiting.translation(), waiting.failures(), false))) {
      enqueue(key);
    }
  }

  /** Gives every book that ran out of attempts a fresh round. */
  private void resync() {
    if (closed || gaveUp.isEmpty()) {
      return;
    }
    log.info("event=status_write_resync books={}", gaveUp.size());
    for (BookKey key : Set.copyOf(gaveUp.keySet())) {
      BookTranslation t = gaveUp.remove(key);
      if (t != null && pending.putIfAbsent(key, new Pending(t, 0, false)) == null) {
        enqueue(key);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    runner.close();
    pending.clear();
    ready.clear();
    queued.clear();
    gaveUp.clear();
  }

  /** One daemon thread; closing interrupts a write in flight and waits up to 5 s for the thread to end. */
  public static final class SingleThreadRunner implements Runner {
    private final ScheduledThreadPoolExecutor executor;

    SingleThreadRunner(String threadName) {
      executor = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, threadName);
        t.setDaemon(true);
        return t;
      });
      executor.setRemoveOnCancelPolicy(true);
    }

    /** After {@link #close()} tasks are dropped: the queue is closing too. */
    @Override
    public void execute(Runnable task) {
      try {
        executor.execute(task);
      } catch (RejectedExecutionException e) {
        log.debug("event=status_task_dropped reason=closed");
      }
    }

    @Override
    public void schedule(Duration delay, Runnable task) {
      try {
        executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        log.debug("event=status_task_dropped reason=closed");
      }
    }

    @Override
    public void scheduleEvery(Duration period, Runnable task) {
      executor.scheduleWithFixedDelay(task, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
      executor.shutdownNow();
      try {
        if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
          log.warn("event=status_writer_not_stopped wait_s=5");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    public boolean isTerminated() {
      return executor.isTerminated();
    }
  }
}
