package io.voyager.bdk.xds.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PersistentMapTest {
  @Test
  void editsGiveTheSameMapAsAHashMapAndNeverChangeTheOriginal() {
    Random random = new Random(12);
    Map<String, Integer> expected = new HashMap<>();
    PersistentMap<String, Integer> map = PersistentMap.empty();
    for (int round = 0; round < 300; round++) {
      PersistentMap<String, Integer> before = map;
      Map<String, Integer> expectedBefore = new HashMap<>(expected);
      PersistentMap.Editor<String, Integer> editor = map.edit();
      for (int i = random.nextInt(40); i > 0; i--) {
        String key = "ns-" + random.nextInt(50) + "/book-" + random.nextInt(60);
        if (random.nextInt(3) == 0) {
          editor.remove(key);
          expected.remove(key);
        } else {
          int value = random.nextInt(5);
          editor.put(key, value);
          expected.put(key, value);
        }
      }
      map = editor.done();
      assertThat(map).isEqualTo(expected);
      assertThat(map.size()).isEqualTo(expected.size());
      assertThat(map.entrySet()).hasSize(expected.size());
      PersistentMap<String, Integer> now = map;
      expected.forEach((k, v) -> assertThat(now.get(k)).isEqualTo(v));
      assertThat(before).as("the map edited is unchanged").isEqualTo(expectedBefore);
    }
  }

  @Test
  void anEditThatChangesNothingGivesTheSameMap() {
    PersistentMap<String, String> map = PersistentMap.<String, String>empty().with("a/b", "x");
    assertThat(map.edit().put("a/b", "x").remove("c/d").done()).isSameAs(map);
    assertThat(map.without("a/b")).isEmpty();
    assertThat(map.without("a/b")).isSameAs(PersistentMap.empty());
    assertThat(PersistentMap.copyOf(map)).isSameAs(map);
    assertThat(PersistentMap.copyOf(Map.of("k", "v"))).isEqualTo(Map.of("k", "v"));
  }

  @Test
  void refusesNullsAndWrites() {
    PersistentMap<String, String> map = PersistentMap.empty();
    assertThatThrownBy(() -> map.with(null, "v")).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> map.with("k", null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> map.with("k", "v").put("k", "w")).isInstanceOf(UnsupportedOperationException.class);
    assertThat(map.get(null)).isNull();
  }
}
