package io.voyager.bdk.xds.model;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable map that a change of a few keys copies cheaply: the entries live in {@value #BUCKETS}
 * buckets by key hash, each an immutable pair of small arrays, so {@link Editor editing} k keys
 * copies the bucket table (one array of {@value #BUCKETS} references) and the k buckets touched —
 * at 10,000 entries about ten entries each — and shares every other bucket with the map it came
 * from. The watcher keeps its books and slices this way: a change costs the changed keys, not a
 * copy of every book, and every translation's input stays the immutable value it was (the NACK
 * attribution reads inputs of earlier pushes). Lookups cost a hash and a scan of one bucket;
 * iteration walks the buckets (order: by hash, not insertion; nothing may depend on it). Keys and
 * values are never null. Thread-safe (immutable).
 */
public final class PersistentMap<K, V> extends AbstractMap<K, V> {
  static final int BUCKETS = 1024;
  private static final Object[] NONE = new Object[0];
  private static final PersistentMap<?, ?> EMPTY = new PersistentMap<>(new Object[BUCKETS][], new Object[BUCKETS][], 0);

  /** Per bucket: keys and values at the same positions; null = empty bucket. */
  private final Object[][] keys;
  private final Object[][] values;
  private final int size;
  private EntrySet entrySet;

  private PersistentMap(Object[][] keys, Object[][] values, int size) {
    this.keys = keys;
    this.values = values;
    this.size = size;
  }

  @SuppressWarnings("unchecked")
  public static <K, V> PersistentMap<K, V> empty() {
    return (PersistentMap<K, V>) EMPTY;
  }

  /** {@code map} itself when it is one, else its entries copied (null keys or values refused). */
  @SuppressWarnings("unchecked")
  public static <K, V> PersistentMap<K, V> copyOf(Map<? extends K, ? extends V> map) {
    if (map instanceof PersistentMap<?, ?> persistent) {
      return (PersistentMap<K, V>) persistent;
    }
    Editor<K, V> editor = PersistentMap.<K, V>empty().edit();
    map.forEach(editor::put);
    return editor.done();
  }

  private static int bucket(Object key) {
    int h = key.hashCode();
    h ^= h >>> 16;
    return h & (BUCKETS - 1);
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  @SuppressWarnings("unchecked")
  public V get(Object key) {
    if (key == null) {
      return null;
    }
    int b = bucket(key);
    Object[] k = keys[b];
    if (k != null) {
      for (int i = 0; i < k.length; i++) {
        if (k[i].equals(key)) {
          return (V) values[b][i];
        }
      }
    }
    return null;
  }

  @Override
  public boolean containsKey(Object key) {
    return get(key) != null;
  }

  /** This map with {@code key} → {@code value}. */
  public PersistentMap<K, V> with(K key, V value) {
    return edit().put(key, value).done();
  }

  /** This map without {@code key}. */
  public PersistentMap<K, V> without(K key) {
    return edit().remove(key).done();
  }

  /** Changes on a copy that shares every bucket it does not touch; {@link Editor#done} gives the new map. */
  public Editor<K, V> edit() {
    return new Editor<>(this);
  }

  /** Puts and removes on a new map; this map is never changed. Not thread-safe; use once. */
  public static final class Editor<K, V> {
    private final PersistentMap<K, V> from;
    private Object[][] keys;
    private Object[][] values;
    private boolean[] owned;
    private int size;

    private Editor(PersistentMap<K, V> from) {
      this.from = from;
      this.size = from.size;
    }

    private void own(int b) {
      if (keys == null) {
        keys = from.keys.clone();
        values = from.values.clone();
        owned = new boolean[BUCKETS];
      }
      if (!owned[b]) {
        owned[b] = true;
        keys[b] = keys[b] == null ? NONE : keys[b].clone();
        values[b] = values[b] == null ? NONE : values[b].clone();
      }
    }

    public Editor<K, V> put(K key, V value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      int b = bucket(key);
      Object[] k = keys != null ? keys[b] : from.keys[b];
      if (k != null) {
        for (int i = 0; i < k.length; i++) {
          if (k[i].equals(key)) {
            Object[] v = keys != null ? values[b] : from.values[b];
            if (v[i] != value) {
              own(b);
              values[b][i] = value;
            }
            return this;
          }
        }
      }
      own(b);
      int n = keys[b].length;
      keys[b] = Arrays.copyOf(keys[b], n + 1);
      values[b] = Arrays.copyOf(values[b], n + 1);
      keys[b][n] = key;
      values[b][n] = value;
      size++;
      return this;
    }

    public Editor<K, V> remove(Object key) {
      if (key == null) {
        return this;
      }
      int b = bucket(key);
      Object[] k = keys != null ? keys[b] : from.keys[b];
      if (k == null) {
        return this;
      }
      for (int i = 0; i < k.length; i++) {
        if (k[i].equals(key)) {
          own(b);
          int n = keys[b].length;
          Object[] nk = new Object[n - 1];
          Object[] nv = new Object[n - 1];
          System.arraycopy(keys[b], 0, nk, 0, i);
          System.arraycopy(keys[b], i + 1, nk, i, n - 1 - i);
          System.arraycopy(values[b], 0, nv, 0, i);
          System.arraycopy(values[b], i + 1, nv, i, n - 1 - i);
          keys[b] = nk.length == 0 ? null : nk;
          values[b] = nv.length == 0 ? null : nv;
          owned[b] = nk.length != 0;
          size--;
          return this;
        }
      }
      return this;
    }

    /** The edited map ({@code from} itself when nothing changed). */
    public PersistentMap<K, V> done() {
      if (keys == null) {
        return from;
      }
      PersistentMap<K, V> result = size == 0 ? empty() : new PersistentMap<>(keys, values, size);
      keys = null; // the editor is spent: later edits start from the original map again
      values = null;
      owned = null;
      return result;
    }
  }

  @Override
  public Set<Entry<K, V>> entrySet() {
    EntrySet set = entrySet;
    if (set == null) {
      set = new EntrySet();
      entrySet = set;
    }
    return set;
  }

  private final class EntrySet extends AbstractSet<Entry<K, V>> {
    @Override
    public int size() {
      return size;
    }

    @Override
    public Iterator<Entry<K, V>> iterator() {
      return new Iterator<>() {
        private int bucket;
        private int index;
        private int seen;

        @Override
        public boolean hasNext() {
          return seen < size;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Entry<K, V> next() {
          if (seen >= size) {
            throw new NoSuchElementException();
          }
          while (keys[bucket] == null || index >= keys[bucket].length) {
            bucket++;
            index = 0;
          }
          Entry<K, V> entry = new SimpleImmutableEntry<>((K) keys[bucket][index], (V) values[bucket][index]);
          index++;
          seen++;
          return entry;
        }
      };
    }
  }
}
