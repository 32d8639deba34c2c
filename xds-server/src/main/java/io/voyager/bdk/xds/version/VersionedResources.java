package io.voyager.bdk.xds.version;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.ResourceVersionResolver;
import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.voyager.bdk.xds.model.KeyedSequence;
import io.voyager.bdk.xds.model.PersistentSortedMap;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The resources of one type in one snapshot, by name, with their content versions and the type's
 * version ({@link TypeDigest}), built from the previous snapshot's resources of the type plus what
 * changed: a resource whose message object is the one the previous snapshot held (an incremental
 * translation reuses the identical objects for unchanged books) is neither hashed nor looked up
 * again, so building costs a walk of the resource list by identity plus work for the changed
 * resources only — and not even the walk when both lists are {@link KeyedSequence}s (the
 * incremental translator's), whose diff skips the parts they share: the by-name map is a {@link PersistentSortedMap} updated per changed name
 * (O(log n) each), never copied whole. Immutable; the map java-control-plane's {@code SimpleCache}
 * reads is a read-only view (no copy per read).
 */
public final class VersionedResources<T extends Message> extends SnapshotResources<T> {
  private static final VersionedResources<?> EMPTY =
      new VersionedResources<>(List.of(), PersistentSortedMap.empty(), TypeDigest.EMPTY);

  /** The resources in the order the translation listed them (the identity walk's reference). */
  private final List<T> list;
  /** By name, in name order; shares all but the changed names' paths with the previous resources' map. */
  private final PersistentSortedMap<VersionedResource<T>> byName;
  private final Map<String, T> resources;
  private final TypeDigest digest;
  private final ResourceVersionResolver resolver;

  private VersionedResources(List<T> list, PersistentSortedMap<VersionedResource<T>> byName, TypeDigest digest) {
    this(list, byName, new ResourceView<>(byName), digest);
  }

  /** {@code byName} (immutable) and {@code resources} (a read-only view of it): shared with a successor whose resources are the same. */
  private VersionedResources(List<T> list, PersistentSortedMap<VersionedResource<T>> byName, Map<String, T> resources,
      TypeDigest digest) {
    this.list = list;
    this.byName = byName;
    this.resources = resources;
    this.digest = digest;
    String version = digest.version();
    this.resolver = names -> version;
  }

  @SuppressWarnings("unchecked")
  static <T extends Message> VersionedResources<T> empty() {
    return (VersionedResources<T>) EMPTY;
  }

  /** These resources and what differs from the previous ones: names new or changed, names gone. */
  record Next<T extends Message>(VersionedResources<T> resources, List<String> changed, List<String> removed) {}

  /**
   * The resources {@code list}, built on {@code previous} (the same type's resources of the
   * snapshot before; {@link #empty()} for none).
   *
   * @throws IllegalArgumentException if two resources in {@code list} have the same name
   */
  static <T extends Message> Next<T> next(VersionedResources<T> previous, List<T> list) {
    if (list == previous.list) {
      return new Next<>(previous, List.of(), List.of());
    }
    List<T> touched = new ArrayList<>();
    Set<String> skipped = new HashSet<>(); // names of previous resources not matched by identity
    if (list instanceof KeyedSequence<T> now && previous.list instanceof KeyedSequence<T> was) {
      KeyedSequence.diff(was, now, gone -> skipped.add(ContentVersions.name(gone)), touched::add);
    } else {
      walkByIdentity(previous.list, list, touched, skipped);
    }
    if (touched.isEmpty() && skipped.isEmpty()) {
      return new Next<>(new VersionedResources<>(list, previous.byName, previous.resources, previous.digest), List.of(), List.of());
    }
    PersistentSortedMap<VersionedResource<T>> byName = previous.byName; // updated per changed name, never copied whole
    TypeDigest.Builder digest = previous.digest.toBuilder();
    Set<String> touchedNames = new HashSet<>();
    List<String> changed = new ArrayList<>();
    for (T resource : touched) {
      String name = ContentVersions.name(resource);
      VersionedResource<T> old = previous.byName.get(name);
      if (!touchedNames.add(name) || (old != null && !skipped.contains(name))) {
        throw new IllegalArgumentException(
            "two " + resource.getDescriptorForType().getName() + " resources are named '" + name + "'");
      }
      String version = ContentVersions.ofResource(resource);
      if (old != null && old.version().equals(version)) {
        byName = byName.with(name, VersionedResource.create(resource, version)); // same content, the object now listed
        continue;
      }
      if (old != null) {
        digest.remove(name, old.version());
      }
      digest.add(name, version);
      byName = byName.with(name, VersionedResource.create(resource, version));
      changed.add(name);
    }
    List<String> removed = new ArrayList<>();
    for (String name : skipped) {
      if (!touchedNames.contains(name)) {
        VersionedResource<T> old = byName.get(name);
        byName = byName.without(name);
        digest.remove(name, old.version());
        removed.add(name);
      }
    }
    Collections.sort(changed);
    Collections.sort(removed);
    return new Next<>(new VersionedResources<>(list, byName, digest.build()), List.copyOf(changed), List.copyOf(removed));
  }

  /**
   * {@code list} against {@code before} in step, by identity: {@code touched} gets each resource of
   * {@code list} not matched (new, replaced or moved), {@code skipped} the names of {@code before}'s
   * resources not matched.
   */
  private static <T extends Message> void walkByIdentity(List<T> before, List<T> list, List<T> touched,
      Set<String> skipped) {
    if (list instanceof KeyedSequence<T>) { // against a list of another kind: walked by index, so as an array
      list = List.copyOf(new ArrayList<>(list));
    }
    if (before instanceof KeyedSequence<T>) {
      before = List.copyOf(new ArrayList<>(before));
    }
    int n = list.size();
    int m = before.size();
    int i = 0;
    int j = 0;
    while (i < n) {
      T resource = list.get(i);
      if (j < m && before.get(j) == resource) {
        i++;
        j++;
      } else if (j + 1 < m && before.get(j + 1) == resource) {
        skipped.add(ContentVersions.name(before.get(j))); // gone or moved
        j++;
      } else {
        touched.add(resource);
        if (j < m && (i + 1 >= n || list.get(i + 1) != before.get(j))) {
          skipped.add(ContentVersions.name(before.get(j))); // replaced in place
          j++;
        }
        i++;
      }
    }
    while (j < m) {
      skipped.add(ContentVersions.name(before.get(j++)));
    }
  }

  /** The messages of a name → versioned resource map, as a read-only view. */
  private static final class ResourceView<T extends Message> extends AbstractMap<String, T> {
    private final Map<String, VersionedResource<T>> byName;

    ResourceView(Map<String, VersionedResource<T>> byName) {
      this.byName = byName;
    }

    @Override
    public T get(Object key) {
      VersionedResource<T> resource = byName.get(key);
      return resource == null ? null : resource.resource();
    }

    @Override
    public boolean containsKey(Object key) {
      return byName.containsKey(key);
    }

    @Override
    public int size() {
      return byName.size();
    }

    @Override
    public Set<String> keySet() {
      return byName.keySet();
    }

    @Override
    public Set<Entry<String, T>> entrySet() {
      return new AbstractSet<>() {
        @Override
        public java.util.Iterator<Entry<String, T>> iterator() {
          java.util.Iterator<Entry<String, VersionedResource<T>>> entries = byName.entrySet().iterator();
          return new java.util.Iterator<>() {
            @Override
            public boolean hasNext() {
              return entries.hasNext();
            }

            @Override
            public Entry<String, T> next() {
              Entry<String, VersionedResource<T>> e = entries.next();
              return Map.entry(e.getKey(), e.getValue().resource());
            }
          };
        }

        @Override
        public int size() {
          return byName.size();
        }
      };
    }
  }

  @Override
  public Map<String, VersionedResource<T>> versionedResources() {
    return byName;
  }

  @Override
  public Map<String, T> resources() {
    return resources;
  }

  @Override
  public ResourceVersionResolver resourceVersionResolver() {
    return resolver;
  }

  @Override
  public String version() {
    return digest.version();
  }

  @Override
  public String version(List<String> resourceNames) {
    return digest.version();
  }
}
