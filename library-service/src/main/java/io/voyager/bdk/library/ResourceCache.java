package io.voyager.bdk.library;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An informer's view of one resource kind, for reads: lookups by index (e.g. book id) and a
 * sorted index for stable pagination, both holding only live objects (not being deleted).
 * Writers call {@link #await} to wait until their own write shows here (read-your-writes).
 *
 * <p>The sorted index is kept by this class's event handler, which runs after the informer has
 * stored the object, so once a waiter sees a change both indexes show it.
 */
final class ResourceCache<T extends HasMetadata, K> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ResourceCache.class);

  private final SharedIndexInformer<T> informer;
  private final Function<T, K> sortKey;
  private final ConcurrentSkipListMap<K, T> sorted;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  ResourceCache(
      SharedIndexInformer<T> informer,
      Map<String, Function<T, List<String>>> indexers,
      Function<T, K> sortKey,
      Comparator<K> order) {
    this.informer = informer;
    this.sortKey = sortKey;
    this.sorted = new ConcurrentSkipListMap<>(order);
    informer.addIndexers(indexers);
    informer.addEventHandler(new SortedIndexUpdater());
  }

  /** Starts the informer and waits until it and the sorted index hold the initial list. */
  void start(Duration timeout) {
    try {
      informer.start().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("informer did not sync: " + e, e);
    }
    long live = informer.getStore().list().stream().filter(ResourceCache::isLive).count();
    if (!await(() -> sorted.size() >= live, timeout)) {
      throw new IllegalStateException("sorted index did not fill within " + timeout);
    }
  }

  boolean hasSynced() {
    return informer.hasSynced();
  }

  /** Live objects whose {@code index} holds {@code key}. */
  List<T> byIndex(String index, String key) {
    return informer.getIndexer().byIndex(index, key).stream().filter(ResourceCache::isLive).toList();
  }

  Optional<T> first(String index, String key) {
    return byIndex(index, key).stream().findFirst();
  }

  /** Live objects in sort order (a read-only, weakly consistent view). */
  NavigableMap<K, T> sorted() {
    return Collections.unmodifiableNavigableMap(sorted);
  }

  /**
   * Whether lists serve {@code obj}: the sorted index holds its key. The informer updates its
   * indexer before it runs the handlers that fill the sorted index, so a write is visible to reads
   * by id a moment before lists show it: read-your-writes waits for both.
   */
  boolean listed(T obj) {
    return sorted.containsKey(sortKey.apply(obj));
  }

  /**
   * Read-your-writes: waits until reads by {@code index}/{@code key} and lists both show {@code
   * written} ({@code present}) or both no longer do, at most {@code timeout}; a wait that runs out
   * is logged as {@code cache_lag} (the write itself succeeded).
   */
  void awaitWrite(T written, String index, String key, boolean present, Duration timeout) {
    if (!await(() -> first(index, key).isPresent() == present && listed(written) == present, timeout)) {
      log.warn("event=cache_lag kind={} {}={} waited_ms={}", written.getKind(), index, key, timeout.toMillis());
    }
  }

  int size() {
    return sorted.size();
  }

  /**
   * Waits until {@code condition} holds, re-checking after each change this cache sees, at most
   * {@code timeout}. Returns whether it held.
   */
  boolean await(BooleanSupplier condition, Duration timeout) {
    long remaining = timeout.toNanos();
    lock.lock();
    try {
      while (!condition.getAsBoolean()) {
        if (remaining <= 0) {
          return false;
        }
        remaining = changed.awaitNanos(remaining);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return condition.getAsBoolean();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    informer.close();
  }

  static boolean isLive(HasMetadata o) {
    return o.getMetadata().getDeletionTimestamp() == null;
  }

  private void signal() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private final class SortedIndexUpdater implements ResourceEventHandler<T> {
    @Override
    public void onAdd(T obj) {
      if (isLive(obj)) {
        sorted.put(sortKey.apply(obj), obj);
      }
      signal();
    }

    @Override
    public void onUpdate(T oldObj, T newObj) {
      sorted.remove(sortKey.apply(oldObj));
      if (isLive(newObj)) {
        sorted.put(sortKey.apply(newObj), newObj);
      }
      signal();
    }

    @Override
    public void onDelete(T obj, boolean deletedFinalStateUnknown) {
      sorted.remove(sortKey.apply(obj));
      signal();
    }
  }
}
