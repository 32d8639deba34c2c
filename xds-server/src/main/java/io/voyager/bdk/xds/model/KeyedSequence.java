package io.voyager.bdk.xds.model;

import java.util.AbstractList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.RandomAccess;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;

/**
 * An immutable list made of a few {@code head} elements, the values of a {@link PersistentSortedMap}
 * in key order, and a few {@code tail} elements: the incremental translator's output lists (e.g. the
 * main route configuration, then one per webhook route in path order, then the internal one). Making
 * one costs nothing per element — the map is shared, not copied — and {@link #diff} tells two of
 * them apart by the elements that are not the identical objects, skipping what their maps share, so
 * a snapshot built on the previous one costs the changed elements, not a walk of the list.
 * {@code get} costs O(log n) in the middle part; iteration O(1) per element. Thread-safe (immutable).
 */
public final class KeyedSequence<T> extends AbstractList<T> implements RandomAccess {
  private final List<T> head;
  private final PersistentSortedMap<T> middle;
  private final List<T> tail;

  private KeyedSequence(List<T> head, PersistentSortedMap<T> middle, List<T> tail) {
    this.head = List.copyOf(head);
    this.middle = middle;
    this.tail = List.copyOf(tail);
  }

  /** The values of {@code middle} in key order. */
  public static <T> KeyedSequence<T> of(PersistentSortedMap<T> middle) {
    return new KeyedSequence<>(List.of(), middle, List.of());
  }

  /** {@code head}, the values of {@code middle} in key order, then {@code tail}. */
  public static <T> KeyedSequence<T> of(List<T> head, PersistentSortedMap<T> middle, List<T> tail) {
    return new KeyedSequence<>(head, middle, tail);
  }

  /**
   * {@code list} if it is a {@link KeyedSequence} (already immutable: kept, not copied), else
   * {@link List#copyOf}: for records that hold lists and must not copy one of these per change.
   */
  public static <T> List<T> immutable(List<T> list) {
    return list instanceof KeyedSequence<T> sequence ? sequence : List.copyOf(list);
  }

  @Override
  public T get(int index) {
    int h = head.size();
    int m = middle.size();
    if (index >= 0 && index < h) {
      return head.get(index);
    }
    if (index >= h && index < h + m) {
      return middle.valueAt(index - h);
    }
    return tail.get(index - h - m); // throws for anything out of range
  }

  @Override
  public int size() {
    return head.size() + middle.size() + tail.size();
  }

  @Override
  public Iterator<T> iterator() {
    return new Iterator<>() {
      private final Iterator<T> headValues = head.iterator();
      private final Iterator<T> middleValues = middle.valueIterator();
      private final Iterator<T> tailValues = tail.iterator();

      @Override
      public boolean hasNext() {
        return headValues.hasNext() || middleValues.hasNext() || tailValues.hasNext();
      }

      @Override
      public T next() {
        if (headValues.hasNext()) {
          return headValues.next();
        }
        if (middleValues.hasNext()) {
          return middleValues.next();
        }
        if (tailValues.hasNext()) {
          return tailValues.next();
        }
        throw new NoSuchElementException();
      }
    };
  }

  @Override
  public Spliterator<T> spliterator() { // by the iterator: AbstractList's would call get per element
    return Spliterators.spliterator(iterator(), size(), Spliterator.ORDERED | Spliterator.IMMUTABLE | Spliterator.NONNULL);
  }

  /**
   * Calls {@code gone} for each element of {@code before} that {@code after} does not hold as the
   * identical object, and {@code added} for each element of {@code after} that {@code before} does
   * not hold. Head and tail elements are compared as sets by identity, the middles by key with
   * {@link PersistentSortedMap#diff} (an element that moved to another key counts as gone and added).
   */
  public static <T> void diff(KeyedSequence<T> before, KeyedSequence<T> after, Consumer<T> gone, Consumer<T> added) {
    Set<T> beforeEnds = identitySet(before.head, before.tail);
    Set<T> afterEnds = identitySet(after.head, after.tail);
    for (T element : beforeEnds) {
      if (!afterEnds.contains(element)) {
        gone.accept(element);
      }
    }
    for (T element : afterEnds) {
      if (!beforeEnds.contains(element)) {
        added.accept(element);
      }
    }
    PersistentSortedMap.diff(before.middle, after.middle, (was, now) -> {
      if (was != null) {
        gone.accept(was);
      }
      if (now != null) {
        added.accept(now);
      }
    });
  }

  private static <T> Set<T> identitySet(List<T> a, List<T> b) {
    Set<T> set = Collections.newSetFromMap(new IdentityHashMap<>());
    set.addAll(a);
    set.addAll(b);
    return set;
  }
}
