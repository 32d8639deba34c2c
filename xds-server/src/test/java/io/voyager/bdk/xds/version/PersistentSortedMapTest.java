package io.voyager.bdk.xds.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
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
}
