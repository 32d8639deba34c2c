package io.voyager.bdk.xds.translate;

import io.voyager.bdk.xds.model.PersistentSortedMap;

/**
 * One of {@link IncrementalTranslator}'s ordered outputs: values by key in a
 * {@link PersistentSortedMap}, replaced per key between translations (O(log n), and not at all when
 * the value put is the identical object), or, during a full walk ({@link #beginBulk} to
 * {@link #endBulk}), collected and built in one pass. Not thread-safe.
 */
final class KeyedOutput<V> {
  private PersistentSortedMap<V> map = PersistentSortedMap.empty();
  private PersistentSortedMap.Builder<V> bulk;

  /** Emptied; puts are collected (each key once) until {@link #endBulk}. */
  void beginBulk() {
    map = PersistentSortedMap.empty();
    bulk = PersistentSortedMap.builder();
  }

  void endBulk() {
    map = bulk.build();
    bulk = null;
  }

  void put(String key, V value) {
    if (bulk != null) {
      bulk.put(key, value);
    } else if (map.get(key) != value) {
      map = map.with(key, value);
    }
  }

  void remove(String key) {
    if (bulk != null) {
      throw new IllegalStateException("remove during a bulk build");
    }
    map = map.without(key);
  }

  /** The values by key (as of the last {@link #endBulk} during a bulk build). */
  PersistentSortedMap<V> map() {
    return map;
  }
}
