package io.voyager.bdk.xds.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.voyager.bdk.xds.model.KeyedSequence;
import io.voyager.bdk.xds.model.PersistentSortedMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Building one type's resources on the previous ones: changes found by identity, then by content. */
class VersionedResourcesTest {
  static Cluster cluster(String name, int timeoutSeconds) {
    return Cluster.newBuilder().setName(name)
        .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(timeoutSeconds)).build();
  }

  @Test
  void anEqualButNewObjectIsNoChangeAndTheTypeVersionIsOrderIndependent() {
    List<Cluster> first = List.of(cluster("a", 1), cluster("b", 1), cluster("c", 1));
    var built = VersionedResources.next(VersionedResources.<Cluster>empty(), first);
    assertThat(built.changed()).containsExactly("a", "b", "c");

    List<Cluster> same = List.of(cluster("c", 1), cluster("a", 1), cluster("b", 1)); // new objects, other order
    var again = VersionedResources.next(built.resources(), same);
    assertThat(again.changed()).isEmpty();
    assertThat(again.removed()).isEmpty();
    assertThat(again.resources().version()).isEqualTo(built.resources().version());
  }

  @Test
  void changedAddedAndRemovedResourcesAreNamedAndTheVersionFollowsContent() {
    List<Cluster> first = new ArrayList<>(List.of(cluster("a", 1), cluster("b", 1), cluster("c", 1), cluster("d", 1)));
    var built = VersionedResources.next(VersionedResources.<Cluster>empty(), first);
    List<Cluster> next = new ArrayList<>(first);
    next.remove(1); // b gone
    next.set(1, cluster("c", 2)); // c changed in place
    next.add(0, cluster("0", 1)); // added in front
    var changed = VersionedResources.next(built.resources(), next);
    assertThat(changed.changed()).containsExactly("0", "c");
    assertThat(changed.removed()).containsExactly("b");
    assertThat(changed.resources().version())
        .isEqualTo(VersionedResources.next(VersionedResources.<Cluster>empty(), next).resources().version())
        .isNotEqualTo(built.resources().version());
    assertThat(changed.resources().resources().keySet()).containsExactly("0", "a", "c", "d");
  }

  @Test
  void twoResourcesWithOneNameAreRefusedAlsoWhenOneIsUnchanged() {
    List<Cluster> first = List.of(cluster("a", 1), cluster("b", 1));
    var built = VersionedResources.next(VersionedResources.<Cluster>empty(), first);
    List<Cluster> next = new ArrayList<>(first);
    next.add(cluster("a", 2));
    assertThatThrownBy(() -> VersionedResources.next(built.resources(), next))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("named 'a'");
    assertThatThrownBy(() -> VersionedResources.next(VersionedResources.<Cluster>empty(), next))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("named 'a'");
  }

  /**
   * Random add/change/remove sequences (fixed seed) on keyed clusters, as the incremental translator
   * hands them over ({@link KeyedSequence}s sharing a map, a few head elements) and as plain lists:
   * each step's changed and removed names, type version and resources are those of a comparison
   * with a full rebuild.
   */
  @Test
  void keyedSequencesAndPlainListsGiveTheChangesAndVersionOfAFullRebuild() {
    Random random = new Random(23);
    PersistentSortedMap<Cluster> middle = PersistentSortedMap.empty();
    for (int i = 0; i < 300; i++) {
      String name = "c" + random.nextInt(1000);
      middle = middle.with(name, cluster(name, 1));
    }
    Cluster shared = cluster("shared", 1);
    List<Cluster> current = KeyedSequence.of(List.of(shared), middle, List.of());
    var keyed = VersionedResources.next(VersionedResources.<Cluster>empty(), current);
    var plain = VersionedResources.next(VersionedResources.<Cluster>empty(), List.copyOf(current));
    for (int step = 0; step < 300; step++) {
      for (int e = random.nextInt(step % 25 == 0 ? 60 : 4); e >= 0; e--) {
        String name = "c" + random.nextInt(1000);
        switch (random.nextInt(5)) {
          case 0 -> middle = middle.without(name);
          case 1 -> middle = middle.with(name, cluster(name, 1 + random.nextInt(3))); // new object, maybe same content
          case 2 -> middle = middle.get(name) == null ? middle : middle.without(name).with(name, middle.get(name));
          case 3 -> shared = cluster("shared", 1 + random.nextInt(2));
          default -> { } // nothing
        }
      }
      current = KeyedSequence.of(List.of(shared), middle, List.of());
      var keyedNext = VersionedResources.next(keyed.resources(), current);
      var plainNext = VersionedResources.next(plain.resources(), List.copyOf(current));
      var rebuilt = VersionedResources.next(VersionedResources.<Cluster>empty(), List.copyOf(current));

      Map<String, String> was = versions(keyed.resources());
      Map<String, String> now = versions(rebuilt.resources());
      List<String> changed = now.keySet().stream().filter(n -> !now.get(n).equals(was.get(n))).sorted().toList();
      List<String> removed = was.keySet().stream().filter(n -> !now.containsKey(n)).sorted().toList();
      assertThat(keyedNext.changed()).as("step %d changed", step).isEqualTo(changed).isEqualTo(plainNext.changed());
      assertThat(keyedNext.removed()).as("step %d removed", step).isEqualTo(removed).isEqualTo(plainNext.removed());
      assertThat(keyedNext.resources().version()).isEqualTo(rebuilt.resources().version())
          .isEqualTo(plainNext.resources().version());
      assertThat(versions(keyedNext.resources())).isEqualTo(now);
      assertThat(keyedNext.resources().resources()).isEqualTo(rebuilt.resources().resources());
      Map<String, Cluster> listed = new TreeMap<>();
      current.forEach(c -> listed.put(c.getName(), c));
      keyedNext.resources().resources().forEach((name, resource) -> assertThat(resource).isSameAs(listed.get(name)));
      keyed = keyedNext;
      plain = plainNext;
    }
  }

  /**
   * Random sequences (fixed seeds) where resources move between the fixed head and tail and the
   * keyed middle, change key (keys are not their names), and the middle is now and then built
   * afresh (no shared structure) or handed over as a plain list: the changes, version and
   * resources are still those of a full rebuild.
   */
  @Test
  void resourcesMovingBetweenTheEndsAndTheMiddleOrToAnotherKeyGiveTheChangesOfAFullRebuild() {
    for (long seed = 0; seed < 10; seed++) {
      Random random = new Random(seed);
      Map<String, String> location = new HashMap<>(); // name: "head", "tail" or the middle key
      Map<String, Cluster> listedAs = new HashMap<>();
      PersistentSortedMap<Cluster> middle = PersistentSortedMap.empty();
      List<Cluster> head = new ArrayList<>();
      List<Cluster> tail = new ArrayList<>();
      VersionedResources<Cluster> previous = VersionedResources.empty();
      for (int step = 0; step < 300; step++) {
        for (int e = random.nextInt(6); e > 0; e--) {
          String name = "n" + random.nextInt(40);
          String at = location.remove(name);
          Cluster resource = listedAs.remove(name);
          if (at != null) { // taken out, then removed, replaced in place or moved
            switch (at) {
              case "head" -> head.remove(resource);
              case "tail" -> tail.remove(resource);
              default -> middle = middle.without(at);
            }
          }
          int kind = random.nextInt(4);
          if (at != null && kind == 0) {
            continue;
          }
          if (at == null || kind == 1) {
            resource = cluster(name, 1 + random.nextInt(3)); // new object, maybe same content
          }
          String to = at != null && kind <= 2 ? at
              : List.of("head", "tail", "k" + random.nextInt(60), "k" + random.nextInt(60)).get(random.nextInt(4));
          if (middle.containsKey(to)) {
            to = "head";
          }
          location.put(name, to);
          listedAs.put(name, resource);
          switch (to) {
            case "head" -> head.add(random.nextInt(head.size() + 1), resource);
            case "tail" -> tail.add(resource);
            default -> middle = middle.with(to, resource);
          }
        }
        if (random.nextInt(20) == 0) {
          PersistentSortedMap.Builder<Cluster> afresh = PersistentSortedMap.builder();
          middle.forEach(afresh::put);
          middle = afresh.build();
        }
        List<Cluster> current = KeyedSequence.of(head, middle, tail);
        if (random.nextInt(8) == 0) {
          current = List.copyOf(current);
        }
        var next = VersionedResources.next(previous, current);
        var rebuilt = VersionedResources.next(VersionedResources.<Cluster>empty(), List.copyOf(current));

        Map<String, String> was = versions(previous);
        Map<String, String> now = versions(rebuilt.resources());
        List<String> changed = now.keySet().stream().filter(n -> !now.get(n).equals(was.get(n))).sorted().toList();
        List<String> removed = was.keySet().stream().filter(n -> !now.containsKey(n)).sorted().toList();
        String at = "seed " + seed + " step " + step;
        assertThat(next.changed()).as(at).isEqualTo(changed);
        assertThat(next.removed()).as(at).isEqualTo(removed);
        assertThat(next.resources().version()).as(at).isEqualTo(rebuilt.resources().version());
        assertThat(versions(next.resources())).as(at).isEqualTo(now);
        next.resources().resources().forEach((name, resource) -> assertThat(resource).as(at).isSameAs(listedAs.get(name)));
        previous = next.resources();
      }
    }
  }

  private static Map<String, String> versions(VersionedResources<Cluster> resources) {
    Map<String, String> versions = new TreeMap<>();
    resources.versionedResources().forEach((name, resource) -> versions.put(name, resource.version()));
    return versions;
  }
}
