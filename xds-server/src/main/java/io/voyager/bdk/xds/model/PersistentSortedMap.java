package io.voyager.bdk.xds.model;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * An immutable map from names to values, iterated in name order, whose {@link #with} and
 * {@link #without} return a new map sharing all but O(log n) nodes with this one (a treap with
 * path copying; random priorities, so the expected depth is O(log n) whatever the names). A
 * snapshot's per-type resource map is the previous snapshot's plus what changed: with this, that
 * costs the changed names, not a copy of every entry. The incremental translator keeps its
 * ordered outputs (routes, scopes, backends, clusters, per-book results) this way too: a changed
 * book costs its own keys, the values by position ({@link #valueAt}) are a {@link KeyedSequence}'s
 * middle, and {@link #diff} finds what differs between two versions without visiting the subtrees
 * they share.
 *
 * <p>Read-only as a {@link Map} (mutators throw); safe to share between threads once published.
 */
public final class PersistentSortedMap<V> extends AbstractMap<String, V> {
  private static final PersistentSortedMap<?> EMPTY = new PersistentSortedMap<>(null);

  private static final class Node<V> {
    final String key;
    final V value;
    final int priority;
    final Node<V> left;
    final Node<V> right;
    final int size;

    Node(String key, V value, int priority, Node<V> left, Node<V> right) {
      this.key = key;
      this.value = value;
      this.priority = priority;
      this.left = left;
      this.right = right;
      this.size = 1 + size(left) + size(right);
    }

    /** Every value of this subtree, in key order. */
    void forEach(Consumer<V> action) {
      for (Iterator<V> it = new PersistentSortedMap<>(this).valueIterator(); it.hasNext(); ) {
        action.accept(it.next());
      }
    }

    Node<V> withChildren(Node<V> newLeft, Node<V> newRight) {
      return newLeft == left && newRight == right ? this : new Node<>(key, value, priority, newLeft, newRight);
    }
  }

  private final Node<V> root;

  private PersistentSortedMap(Node<V> root) {
    this.root = root;
  }

  @SuppressWarnings("unchecked")
  public static <V> PersistentSortedMap<V> empty() {
    return (PersistentSortedMap<V>) EMPTY;
  }

  private static int size(Node<?> node) {
    return node == null ? 0 : node.size;
  }

  private Node<V> find(Object key) {
    if (!(key instanceof String name)) {
      return null;
    }
    Node<V> node = root;
    while (node != null) {
      int c = name.compareTo(node.key);
      if (c == 0) {
        return node;
      }
      node = c < 0 ? node.left : node.right;
    }
    return null;
  }

  @Override
  public V get(Object key) {
    Node<V> node = find(key);
    return node == null ? null : node.value;
  }

  @Override
  public boolean containsKey(Object key) {
    return find(key) != null;
  }

  @Override
  public int size() {
    return size(root);
  }

  @Override
  public boolean isEmpty() {
    return root == null;
  }

  /** This map with {@code key} mapped to {@code value} (added or replaced). */
  public PersistentSortedMap<V> with(String key, V value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Node<V> existing = find(key);
    Node<V> next = existing != null
        ? replace(root, key, value)
        : insert(root, key, value, ThreadLocalRandom.current().nextInt());
    return new PersistentSortedMap<>(next);
  }

  /** This map without {@code key} (this map if absent). */
  public PersistentSortedMap<V> without(String key) {
    if (find(key) == null) {
      return this;
    }
    return new PersistentSortedMap<>(remove(root, key));
  }

  /** A builder that takes entries in any order and builds the map in one pass (no path copies). */
  public static <V> Builder<V> builder() {
    return new Builder<>();
  }

  /** Entries collected unsorted, then sorted once and built bottom-up: a full rebuild's cost, not n insertions'. */
  public static final class Builder<V> {
    private final ArrayList<String> keys = new ArrayList<>();
    private final ArrayList<V> values = new ArrayList<>();

    private Builder() {}

    public Builder<V> put(String key, V value) {
      keys.add(Objects.requireNonNull(key, "key"));
      values.add(Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * The map of the entries put: the treap their keys and fresh random priorities define, built
     * with a stack in O(n) after the sort.
     *
     * @throws IllegalStateException if a key was put twice
     */
    public PersistentSortedMap<V> build() {
      int n = keys.size();
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(order, Comparator.comparing(keys::get));
      int[] priorities = new int[n];
      int[] left = new int[n];
      int[] right = new int[n];
      int[] stack = new int[n];
      int top = -1;
      for (int i = 0; i < n; i++) {
        if (i > 0 && keys.get(order[i]).equals(keys.get(order[i - 1]))) {
          throw new IllegalStateException("key '" + keys.get(order[i]) + "' put twice");
        }
        priorities[i] = ThreadLocalRandom.current().nextInt();
        left[i] = -1;
        right[i] = -1;
        int last = -1;
        while (top >= 0 && priorities[stack[top]] < priorities[i]) {
          last = stack[top--];
        }
        left[i] = last;
        if (top >= 0) {
          right[stack[top]] = i;
        }
        stack[++top] = i;
      }
      return new PersistentSortedMap<>(top < 0 ? null : node(stack[0], order, priorities, left, right));
    }

    private Node<V> node(int i, Integer[] order, int[] priorities, int[] left, int[] right) {
      return i < 0 ? null : new Node<>(keys.get(order[i]), values.get(order[i]), priorities[i],
          node(left[i], order, priorities, left, right), node(right[i], order, priorities, left, right));
    }
  }

  /**
   * The value at {@code index} in key order (0: the smallest key's), in O(log n).
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= index < size()}
   */
  public V valueAt(int index) {
    Objects.checkIndex(index, size());
    Node<V> node = root;
    int i = index;
    while (true) {
      int left = size(node.left);
      if (i < left) {
        node = node.left;
      } else if (i == left) {
        return node.value;
      } else {
        i -= left + 1;
        node = node.right;
      }
    }
  }

  /** The values in key order. */
  public Iterator<V> valueIterator() {
    InOrder<V> entries = new InOrder<>(root);
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return entries.hasNext();
      }

      @Override
      public V next() {
        return entries.nextNode().value;
      }
    };
  }

  /**
   * Calls {@code changed} with (value in {@code before}, value in {@code after}) for each key whose
   * values are not the identical object (null where the key is absent), in no particular order.
   * Subtrees the two maps share are skipped, so for maps made one from the other by a few
   * {@link #with}/{@link #without} the cost follows those changes, not the size.
   */
  public static <V> void diff(PersistentSortedMap<V> before, PersistentSortedMap<V> after, BiConsumer<V, V> changed) {
    diff(before.root, after.root, changed);
  }

  private static <V> void diff(Node<V> a, Node<V> b, BiConsumer<V, V> changed) {
    if (a == b) {
      return;
    }
    if (a == null) {
      b.forEach(v -> changed.accept(null, v));
      return;
    }
    if (b == null) {
      a.forEach(v -> changed.accept(v, null));
      return;
    }
    Node<V> left;
    Node<V> right;
    V other;
    if (a.key.equals(b.key)) {
      left = b.left;
      right = b.right;
      other = b.value;
    } else { // b's nodes around a's key: the path to it is new, every other subtree still shared
      @SuppressWarnings("unchecked")
      Node<V>[] parts = new Node[2];
      Node<V> same = splitAround(b, a.key, parts);
      left = parts[0];
      right = parts[1];
      other = same == null ? null : same.value;
    }
    if (a.value != other) {
      changed.accept(a.value, other);
    }
    diff(a.left, left, changed);
    diff(a.right, right, changed);
  }

  /** Splits {@code node} into the keys below and above {@code key}; returns the node holding {@code key} (null: none). */
  private static <V> Node<V> splitAround(Node<V> node, String key, Node<V>[] parts) {
    if (node == null) {
      parts[0] = null;
      parts[1] = null;
      return null;
    }
    int c = key.compareTo(node.key);
    if (c == 0) {
      parts[0] = node.left;
      parts[1] = node.right;
      return node;
    }
    Node<V> found;
    if (c < 0) {
      found = splitAround(node.left, key, parts);
      parts[1] = node.withChildren(parts[1], node.right);
    } else {
      found = splitAround(node.right, key, parts);
      parts[0] = node.withChildren(node.left, parts[0]);
    }
    return found;
  }

  private static <V> Node<V> replace(Node<V> node, String key, V value) {
    int c = key.compareTo(node.key);
    if (c == 0) {
      return new Node<>(key, value, node.priority, node.left, node.right);
    }
    return c < 0 ? node.withChildren(replace(node.left, key, value), node.right)
        : node.withChildren(node.left, replace(node.right, key, value));
  }

  private static <V> Node<V> insert(Node<V> node, String key, V value, int priority) {
    if (node == null) {
      return new Node<>(key, value, priority, null, null);
    }
    if (priority > node.priority) {
      @SuppressWarnings("unchecked")
      Node<V>[] parts = new Node[2];
      split(node, key, parts);
      return new Node<>(key, value, priority, parts[0], parts[1]);
    }
    return key.compareTo(node.key) < 0 ? node.withChildren(insert(node.left, key, value, priority), node.right)
        : node.withChildren(node.left, insert(node.right, key, value, priority));
  }

  /** Splits {@code node} (which does not hold {@code key}) into the names below and above {@code key}. */
  private static <V> void split(Node<V> node, String key, Node<V>[] parts) {
    if (node == null) {
      parts[0] = null;
      parts[1] = null;
      return;
    }
    if (key.compareTo(node.key) < 0) {
      split(node.left, key, parts);
      parts[1] = node.withChildren(parts[1], node.right);
    } else {
      split(node.right, key, parts);
      parts[0] = node.withChildren(node.left, parts[0]);
    }
  }

  private static <V> Node<V> remove(Node<V> node, String key) {
    int c = key.compareTo(node.key);
    if (c == 0) {
      return merge(node.left, node.right);
    }
    return c < 0 ? node.withChildren(remove(node.left, key), node.right)
        : node.withChildren(node.left, remove(node.right, key));
  }

  /** Joins two treaps, every name of {@code a} below every name of {@code b}. */
  private static <V> Node<V> merge(Node<V> a, Node<V> b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return a.priority > b.priority ? a.withChildren(a.left, merge(a.right, b))
        : b.withChildren(merge(a, b.left), b.right);
  }

  @Override
  public Set<Entry<String, V>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public Iterator<Entry<String, V>> iterator() {
        return new InOrder<>(root);
      }

      @Override
      public int size() {
        return PersistentSortedMap.this.size();
      }
    };
  }

  /** In name order, with a stack of the left spine still to visit. */
  private static final class InOrder<V> implements Iterator<Entry<String, V>> {
    private final ArrayDeque<Node<V>> stack = new ArrayDeque<>();

    InOrder(Node<V> root) {
      pushLeft(root);
    }

    private void pushLeft(Node<V> node) {
      for (Node<V> n = node; n != null; n = n.left) {
        stack.push(n);
      }
    }

    @Override
    public boolean hasNext() {
      return !stack.isEmpty();
    }

    @Override
    public Entry<String, V> next() {
      Node<V> node = nextNode();
      return Map.entry(node.key, node.value);
    }

    Node<V> nextNode() {
      if (stack.isEmpty()) {
        throw new NoSuchElementException();
      }
      Node<V> node = stack.pop();
      pushLeft(node.right);
      return node;
    }
  }
}
