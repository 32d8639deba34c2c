package io.voyager.bdk.xds.model;

import java.util.Set;

/**
 * What changed in the inputs since the previous translation, as the watcher saw it: the keys
 * ({@code namespace/name}) of the ExternalBookDefinitions added, changed or removed, the Services
 * whose EndpointSlices changed, and whether a global input changed (settings, JWKS, edge
 * certificate, the held-out set) or the watcher cannot say (then everything is re-walked). Too
 * broad is harmless (an unchanged key costs one book's lookup); too narrow is a bug: a missed key
 * keeps its old output. Immutable.
 */
public record InputChanges(boolean global, Set<String> books, Set<ServiceKey> services) {
  /** Everything may have changed: the translator walks every book and Service. */
  public static final InputChanges EVERYTHING = new InputChanges(true, Set.of(), Set.of());

  public InputChanges {
    books = Set.copyOf(books);
    services = Set.copyOf(services);
  }

  /** Only the given books and Services changed. */
  public static InputChanges of(Set<String> books, Set<ServiceKey> services) {
    return new InputChanges(false, books, services);
  }

  public boolean isEmpty() {
    return !global && books.isEmpty() && services.isEmpty();
  }
}
