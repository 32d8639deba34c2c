package io.voyager.bdk.xds.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The structurally shared name map: the same contents and order as a TreeMap, every version intact. */
class PersistentSortedMapTest {
  @Test
  void randomAddsReplacesAndRemovesMatchATreeMapAndLeaveEarlierVersionsUnchanged() {
    Random random = new Random(7);
    PersistentSortedMap<Integer> map = PersistentSortedMap.empty();
    TreeMap<String, Integer> expected = new TreeMap<>();
    List<PersistentSortedMap<Integer>> versions = new ArrayList<>();
    List<TreeMap<String, Integer>> expectedVersions = new ArrayList<>();
    for (int step = 0; step < 3000; step++) {
      String key = "k" + random.nextInt(400);
      if (random.nextInt(3) == 0) {
        map = map.without(key);
        expected.remove(key);
      } else {
        map = map.with(key, step);
        expected.put(key, step);
      }
      if (step % 100 == 0) {
        versions.add(map);
        expectedVersions.add(new TreeMap<>(expected));
      }
      assertThat(map.size()).isEqualTo(expected.size());
      assertThat(map.get(key)).isEqualTo(expected.get(key));
      assertThat(map.containsKey(key)).isEqualTo(expected.containsKey(key));
    }
    assertThat(List.copyOf(map.entrySet())).containsExactlyElementsOf(List.copyOf(expected.entrySet()));
    assertThat(map).isEqualTo(expected);
    for (int i = 0; i < versions.size(); i++) { // structural sharing never changed an earlier map
      assertThat(List.copyOf(versions.get(i).entrySet())).containsExactlyElementsOf(List.copyOf(expectedVersions.get(i).entrySet()));
    }
  }

  @Test
  void removingAnAbsentNameReturnsTheSameMapAndTheMapIsReadOnly() {
    PersistentSortedMap<String> map = PersistentSortedMap.<String>empty().with("b", "2").with("a", "1");
    assertThat(map.without("c")).isSameAs(map);
    assertThat(map.get(3)).isNull();
    assertThat(map.keySet()).containsExactly("a", "b");
    assertThatThrownBy(() -> map.put("c", "3")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> map.entrySet().iterator().next().setValue("x")).isInstanceOf(UnsupportedOperationException.class);
    assertThat(Map.copyOf(map)).isEqualTo(Map.of("a", "1", "b", "2"));
  }

  @Test
  void valuesByPositionFollowKeyOrder() {
    Random random = new Random(11);
    PersistentSortedMap<String> map = PersistentSortedMap.empty();
    TreeMap<String, String> expected = new TreeMap<>();
    for (int i = 0; i < 500; i++) {
      String key = "k" + random.nextInt(300);
      map = map.with(key, key + i);
      expected.put(key, key + i);
    }
    List<String> values = new ArrayList<>(expected.values());
    for (int i = 0; i < values.size(); i++) {
      assertThat(map.valueAt(i)).isEqualTo(values.get(i));
    }
    List<String> iterated = new ArrayList<>();
    map.valueIterator().forEachRemaining(iterated::add);
    assertThat(iterated).isEqualTo(values);
    PersistentSortedMap<String> full = map;
    assertThatThrownBy(() -> full.valueAt(values.size())).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> full.valueAt(-1)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  /**
   * Random versions one from another (adds, replacements, removals, removal and re-insertion of the
   * same object, replacement by the same object): the diff names exactly the keys whose values are
   * not the identical object, as a comparison of every key would.
   */
  @Test
  void diffNamesExactlyTheKeysWhoseValuesAreNotTheIdenticalObject() {
    Random random = new Random(13);
    PersistentSortedMap<Object> map = PersistentSortedMap.empty();
    for (int i = 0; i < 2000; i++) {
      map = map.with("k" + random.nextInt(5000), new Object());
    }
    for (int round = 0; round < 300; round++) {
      PersistentSortedMap<Object> before = map;
      int edits = random.nextInt(round % 10 == 0 ? 400 : 6);
      for (int e = 0; e < edits; e++) {
        String key = "k" + random.nextInt(5000);
        Object old = map.get(key);
        switch (random.nextInt(4)) {
          case 0 -> map = map.without(key);
          case 1 -> map = map.with(key, new Object());
          case 2 -> map = old == null ? map : map.without(key).with(key, old); // back with a new priority
          default -> map = old == null ? map : map.with(key, old); // the same object again
        }
      }
      Map<String, Object[]> expected = new TreeMap<>();
      Set<String> keys = new TreeSet<>(before.keySet());
      keys.addAll(map.keySet());
      for (String key : keys) {
        if (before.get(key) != map.get(key)) {
          expected.put(key, new Object[] {before.get(key), map.get(key)});
        }
      }
      Map<Object, Object> found = new IdentityHashMap<>();
      List<Object[]> calls = new ArrayList<>();
      PersistentSortedMap.diff(before, map, (was, now) -> calls.add(new Object[] {was, now}));
      assertThat(calls).hasSize(expected.size());
      for (Object[] call : calls) {
        found.put(call[0] != null ? call[0] : call[1], call);
      }
      for (Object[] pair : expected.values()) {
        Object[] call = (Object[]) found.get(pair[0] != null ? pair[0] : pair[1]);
        assertThat(call).isNotNull();
        assertThat(call[0]).isSameAs(pair[0]);
        assertThat(call[1]).isSameAs(pair[1]);
      }
    }
  }

  @Test
  void aBuiltMapEqualsOneMadeByInsertionsAndTakesFurtherChanges() {
    Random random = new Random(19);
    PersistentSortedMap.Builder<Integer> builder = PersistentSortedMap.builder();
    TreeMap<String, Integer> expected = new TreeMap<>();
    for (int i = 0; i < 1000; i++) {
      String key = "k" + random.nextInt(100_000);
      if (expected.putIfAbsent(key, i) == null) {
        builder.put(key, i);
      }
    }
    PersistentSortedMap<Integer> built = builder.build();
    assertThat(List.copyOf(built.entrySet())).containsExactlyElementsOf(List.copyOf(expected.entrySet()));
    String first = expected.firstKey();
    PersistentSortedMap<Integer> changed = built.with("k-new", -1).without(first);
    expected.put("k-new", -1);
    expected.remove(first);
    assertThat(List.copyOf(changed.entrySet())).containsExactlyElementsOf(List.copyOf(expected.entrySet()));
    assertThat(PersistentSortedMap.<Integer>builder().build()).isEmpty();
    assertThatThrownBy(() -> PersistentSortedMap.<Integer>builder().put("a", 1).put("b", 2).put("a", 3).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("'a'");
  }
}
