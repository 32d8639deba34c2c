package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.voyager.bdk.xds.version.XdsType;
import java.util.AbstractMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A snapshot's resources of one type as one Envoy under the held-books bound is served them
 * ({@link HeldBooks}): a route scope this Envoy's copy of which names its alternate route
 * configuration is rewritten to name it (version suffixed, so the change is sent); a route
 * configuration asked for by its alternate name is the base one's content under that name (same
 * version); a book's cluster held back is absent. Other types, and everything else, as the snapshot
 * has them. A read-only view: lookups by name are O(1), iteration rewrites on the way.
 */
final class HeldBooksView extends AbstractMap<String, VersionedResource<?>> {
  private final Map<String, VersionedResource<?>> base;
  private final XdsType type;
  private final HeldBooks held;

  private HeldBooksView(Map<String, VersionedResource<?>> base, XdsType type, HeldBooks held) {
    this.base = base;
    this.type = type;
    this.held = held;
  }

  /** {@code base} (a snapshot's resources of {@code type}) as the Envoy {@code held} describes is served them. */
  static Map<String, VersionedResource<?>> of(Map<String, VersionedResource<?>> base, XdsType type, HeldBooks held) {
    return switch (type) {
      case SCOPED_ROUTE, ROUTE, CLUSTER -> new HeldBooksView(base, type, held);
      default -> base;
    };
  }

  @Override
  public VersionedResource<?> get(Object key) {
    if (!(key instanceof String name)) {
      return null;
    }
    VersionedResource<?> resource = base.get(name);
    if (resource == null) {
      return type == XdsType.ROUTE ? alternateRouteConfiguration(name) : null;
    }
    return served(name, resource);
  }

  @Override
  public boolean containsKey(Object key) {
    return get(key) != null;
  }

  @Override
  public Set<Entry<String, VersionedResource<?>>> entrySet() {
    Set<Entry<String, VersionedResource<?>>> entries = new HashSet<>();
    base.forEach((name, resource) -> {
      VersionedResource<?> served = served(name, resource);
      if (served != null) {
        entries.add(new SimpleImmutableEntry<>(name, served));
      }
    });
    return entries;
  }

  private VersionedResource<?> served(String name, VersionedResource<?> resource) {
    if (type == XdsType.CLUSTER) {
      return held.heldBack(name) ? null : resource;
    }
    if (type == XdsType.SCOPED_ROUTE && held.alternate(name)
        && resource.resource() instanceof ScopedRouteConfiguration scope) {
      return VersionedResource.create(scope.toBuilder()
          .setRouteConfigurationName(HeldBooks.alternateName(scope.getRouteConfigurationName())).build(),
          resource.version() + HeldBooks.ALTERNATE_SUFFIX);
    }
    return resource;
  }

  private VersionedResource<?> alternateRouteConfiguration(String name) {
    String baseName = HeldBooks.baseName(name);
    if (baseName.equals(name)) {
      return null;
    }
    VersionedResource<?> resource = base.get(baseName);
    if (resource != null && resource.resource() instanceof RouteConfiguration config) {
      return VersionedResource.create(config.toBuilder().setName(name).build(), resource.version());
    }
    return null;
  }
}
