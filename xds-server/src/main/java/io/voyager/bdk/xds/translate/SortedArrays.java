package io.voyager.bdk.xds.translate;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * Values kept in the order of their string keys, in two arrays: a put or remove costs a binary
 * search and a move of the tail (one memory move, no allocation per entry), and the values as an
 * immutable list cost one array copy — where a {@code TreeMap} makes each of those a walk over
 * every node. A full rebuild appends unsorted between {@link #beginBulk} and {@link #endBulk}, then
 * sorts once. Not thread-safe.
 */
final class SortedArrays<V> {
  private String[] keys = new String[16];
  private Object[] values = new Object[16];
  private int size;
  private boolean bulk;

  int size() {
    return size;
  }

  void clear() {
    Arrays.fill(keys, 0, size, null);
    Arrays.fill(values, 0, size, null);
    size = 0;
  }

  /** Cleared; puts append until {@link #endBulk} (keys must then be unique). */
  void beginBulk() {
    clear();
    bulk = true;
  }

  void endBulk() {
    bulk = false;
    Integer[] order = new Integer[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    String[] k = keys;
    Arrays.sort(order, Comparator.comparing(i -> k[i]));
    String[] sortedKeys = new String[keys.length];
    Object[] sortedValues = new Object[values.length];
    for (int i = 0; i < size; i++) {
      sortedKeys[i] = keys[order[i]];
      sortedValues[i] = values[order[i]];
      if (i > 0 && sortedKeys[i].equals(sortedKeys[i - 1])) {
        throw new IllegalStateException("key '" + sortedKeys[i] + "' put twice");
      }
    }
    keys = sortedKeys;
    values = sortedValues;
  }

  @SuppressWarnings("unchecked")
  V get(String key) {
    int i = Arrays.binarySearch(keys, 0, size, key);
    return i >= 0 ? (V) values[i] : null;
  }

  void put(String key, V value) {
    if (bulk) {
      grow();
      keys[size] = key;
      values[size] = value;
      size++;
      return;
    }
    int i = Arrays.binarySearch(keys, 0, size, key);
    if (i >= 0) {
      values[i] = value;
      return;
    }
    i = -i - 1;
    grow();
    System.arraycopy(keys, i, keys, i + 1, size - i);
    System.arraycopy(values, i, values, i + 1, size - i);
    keys[i] = key;
    values[i] = value;
    size++;
  }

  @SuppressWarnings("unchecked")
  V remove(String key) {
    int i = Arrays.binarySearch(keys, 0, size, key);
    if (i < 0) {
      return null;
    }
    V old = (V) values[i];
    System.arraycopy(keys, i + 1, keys, i, size - i - 1);
    System.arraycopy(values, i + 1, values, i, size - i - 1);
    size--;
    keys[size] = null;
    values[size] = null;
    return old;
  }

  private void grow() {
    if (size == keys.length) {
      keys = Arrays.copyOf(keys, size * 2);
      values = Arrays.copyOf(values, size * 2);
    }
  }

  /** The values in key order, as an immutable list. */
  @SuppressWarnings("unchecked")
  List<V> list() {
    return (List<V>) List.of(Arrays.copyOf(values, size));
  }

  /** Each value mapped, in key order, as an immutable list. */
  @SuppressWarnings("unchecked")
  <T> List<T> mapped(Function<V, T> map) {
    Object[] out = new Object[size];
    for (int i = 0; i < size; i++) {
      out[i] = map.apply((V) values[i]);
    }
    return (List<T>) List.of(out);
  }

  /** {@code first}, then each value mapped, then {@code last} if not null, as an immutable list. */
  @SuppressWarnings("unchecked")
  <T> List<T> list(T first, Function<V, T> map, T last) {
    Object[] out = new Object[size + (last == null ? 1 : 2)];
    out[0] = first;
    for (int i = 0; i < size; i++) {
      out[i + 1] = map.apply((V) values[i]);
    }
    if (last != null) {
      out[size + 1] = last;
    }
    return (List<T>) List.of(out);
  }
}
