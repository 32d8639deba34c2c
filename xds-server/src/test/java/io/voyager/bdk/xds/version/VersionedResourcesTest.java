package io.voyager.bdk.xds.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.util.ArrayList;
import java.util.List;
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
}
