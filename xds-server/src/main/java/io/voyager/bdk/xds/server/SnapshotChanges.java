package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.VersionedResource;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What differs between two snapshots, per resource type: the names whose content version is new
 * or changed, and the names that are gone. Taken from the next snapshot when it was built on the
 * previous one ({@link ContentVersionedSnapshot#next}: what the build found changed), else by
 * comparing both; once per published snapshot, shared by every delta stream, so a stream's work
 * for one change follows the size of the change, not of the snapshot.
 */
public final class SnapshotChanges {
  private final Map<XdsType, List<String>> changed = new EnumMap<>(XdsType.class);
  private final Map<XdsType, List<String>> removed = new EnumMap<>(XdsType.class);

  private SnapshotChanges() {}

  /** Changes from {@code previous} (null: nothing, every resource is new) to {@code next}. */
  public static SnapshotChanges between(ContentVersionedSnapshot previous, ContentVersionedSnapshot next) {
    SnapshotChanges changes = new SnapshotChanges();
    if (next.builtOn(previous)) {
      // Known from building next on previous: no pass over the resources.
      for (XdsType type : XdsType.values()) {
        changes.changed.put(type, next.changes(type).changed());
        changes.removed.put(type, next.changes(type).removed());
      }
      return changes;
    }
    for (XdsType type : XdsType.values()) {
      Map<String, VersionedResource<?>> before = previous == null ? Map.of() : resources(previous, type);
      Map<String, VersionedResource<?>> after = resources(next, type);
      List<String> changedNames = new ArrayList<>();
      after.forEach((name, resource) -> {
        VersionedResource<?> old = before.get(name);
        if (old == null || !old.version().equals(resource.version())) {
          changedNames.add(name);
        }
      });
      List<String> removedNames = new ArrayList<>();
      before.keySet().forEach(name -> {
        if (!after.containsKey(name)) {
          removedNames.add(name);
        }
      });
      changes.changed.put(type, List.copyOf(changedNames));
      changes.removed.put(type, List.copyOf(removedNames));
    }
    return changes;
  }

  /** Names of {@code type} that are new or whose content changed. */
  public List<String> changed(XdsType type) {
    return changed.get(type);
  }

  /** Names of {@code type} that are gone. */
  public List<String> removed(XdsType type) {
    return removed.get(type);
  }

  /** The versioned resources of {@code type} in {@code snapshot}, by name. */
  static Map<String, VersionedResource<?>> resources(ContentVersionedSnapshot snapshot, XdsType type) {
    return snapshot.resources(type);
  }
}
