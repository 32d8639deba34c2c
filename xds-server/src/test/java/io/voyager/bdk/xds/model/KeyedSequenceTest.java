package io.voyager.bdk.xds.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The translator's output lists: head, a sorted map's values, tail — and their diff by identity. */
class KeyedSequenceTest {
  @Test
  void readsAsHeadThenTheValuesInKeyOrderThenTail() {
    PersistentSortedMap<String> middle = PersistentSortedMap.<String>empty().with("b", "B").with("a", "A").with("c", "C");
    KeyedSequence<String> sequence = KeyedSequence.of(List.of("h1", "h2"), middle, List.of("t"));
    List<String> expected = List.of("h1", "h2", "A", "B", "C", "t");
    assertThat(sequence).containsExactlyElementsOf(expected);
    assertThat(sequence).isEqualTo(expected).hasSameHashCodeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      assertThat(sequence.get(i)).isEqualTo(expected.get(i));
    }
    assertThat(sequence.stream().toList()).isEqualTo(expected);
    assertThatThrownBy(() -> sequence.get(6)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> sequence.get(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> sequence.add("x")).isInstanceOf(UnsupportedOperationException.class);
    assertThat(KeyedSequence.immutable(sequence)).isSameAs(sequence);
    List<String> plain = new ArrayList<>(expected);
    List<String> copy = KeyedSequence.immutable(plain);
    plain.clear();
    assertThat(copy).isEqualTo(expected);
  }

  /**
   * Random sequences one from another (middle values added, replaced, removed, moved to another
   * key; head and tail elements replaced): the diff gives exactly the identity-set differences.
   */
  @Test
  void diffGivesTheElementsNotHeldAsTheIdenticalObject() {
    Random random = new Random(17);
    PersistentSortedMap<Object> middle = PersistentSortedMap.empty();
    for (int i = 0; i < 1000; i++) {
      middle = middle.with("k" + random.nextInt(3000), new Object());
    }
    Object head = new Object();
    Object tail = new Object();
    KeyedSequence<Object> sequence = KeyedSequence.of(List.of(head), middle, List.of(tail));
    for (int round = 0; round < 200; round++) {
      KeyedSequence<Object> before = sequence;
      for (int e = random.nextInt(8); e > 0; e--) {
        String key = "k" + random.nextInt(3000);
        Object old = middle.get(key);
        switch (random.nextInt(4)) {
          case 0 -> middle = middle.without(key);
          case 1 -> middle = middle.with(key, new Object());
          case 2 -> middle = old == null ? middle : middle.without(key).with("k" + random.nextInt(3000), old); // moved
          default -> head = new Object();
        }
      }
      if (random.nextInt(5) == 0) {
        tail = new Object();
      }
      sequence = KeyedSequence.of(List.of(head), middle, random.nextInt(7) == 0 ? List.of() : List.of(tail));
      Set<Object> was = identitySet(before);
      Set<Object> now = identitySet(sequence);
      Set<Object> expectedGone = identitySet(before);
      expectedGone.removeAll(now);
      Set<Object> expectedAdded = identitySet(sequence);
      expectedAdded.removeAll(was);
      List<Object> gone = new ArrayList<>();
      List<Object> added = new ArrayList<>();
      KeyedSequence.diff(before, sequence, gone::add, added::add);
      // an element moved to another key counts as gone and added: drop those pairs, then compare as sets
      Set<Object> goneSet = identitySet(gone);
      Set<Object> addedSet = identitySet(added);
      Set<Object> moved = identitySet(gone);
      moved.retainAll(addedSet);
      goneSet.removeAll(moved);
      addedSet.removeAll(moved);
      assertThat(goneSet).containsExactlyInAnyOrderElementsOf(expectedGone);
      assertThat(addedSet).containsExactlyInAnyOrderElementsOf(expectedAdded);
      assertThat(moved).allSatisfy(element -> assertThat(now).contains(element));
    }
  }

  private static Set<Object> identitySet(List<Object> elements) {
    Set<Object> set = Collections.newSetFromMap(new IdentityHashMap<>());
    set.addAll(elements);
    return set;
  }
}
