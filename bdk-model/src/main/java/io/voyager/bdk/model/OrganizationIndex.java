package io.voyager.bdk.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Who is which Organization, and which Organization keeps which customer namespace: an immutable
 * index over a set of Organizations (e.g. an informer's), deterministic whatever their order, so
 * every library replica decides the same way. Pure.
 *
 * <p>Rules, oldest first ({@link #OLDEST_FIRST}: {@code metadata.creationTimestamp}, then name):
 * <ul>
 *   <li>An Organization being deleted, or without an {@code organization_id}, counts for nothing.
 *   <li>Two Organizations with the same {@code organization_id}: the older one is it; the younger
 *       grants nothing (neither the id nor its namespaces).
 *   <li>A namespace two Organizations list belongs to the older one (the book-controller's
 *       guardrails follow the same rule, and the younger one's status says so); only customer
 *       namespaces ({@link CustomerNamespaces}) are ever kept.
 * </ul>
 */
public final class OrganizationIndex {

  /** Oldest first: by creation time (none sorts last), then by name. */
  public static final Comparator<Organization> OLDEST_FIRST = Comparator
      .comparing((Organization o) -> Optional.ofNullable(o.getMetadata().getCreationTimestamp()).orElse("~"))
      .thenComparing(o -> o.getMetadata().getName());

  public static final OrganizationIndex EMPTY = of(List.of());

  private final Map<String, Organization> byId;
  private final Map<String, Organization> byNamespace;
  private final Map<String, List<String>> namespacesById;

  private OrganizationIndex(
      Map<String, Organization> byId, Map<String, Organization> byNamespace, Map<String, List<String>> namespacesById) {
    this.byId = Map.copyOf(byId);
    this.byNamespace = Map.copyOf(byNamespace);
    this.namespacesById = Map.copyOf(namespacesById);
  }

  public static OrganizationIndex of(Collection<Organization> organizations) {
    List<Organization> ordered = organizations.stream()
        .filter(o -> o.getMetadata().getDeletionTimestamp() == null)
        .filter(o -> o.getSpec() != null && o.getSpec().organizationId() != null && !o.getSpec().organizationId().isBlank())
        .sorted(OLDEST_FIRST)
        .toList();
    Map<String, Organization> byId = new HashMap<>();
    Map<String, Organization> byNamespace = new HashMap<>();
    Map<String, List<String>> namespacesById = new HashMap<>();
    for (Organization o : ordered) {
      String id = o.getSpec().organizationId();
      if (byId.putIfAbsent(id, o) != null) {
        continue;
      }
      List<String> kept = new ArrayList<>();
      for (String namespace : o.getSpec().namespaces() == null ? List.<String>of() : o.getSpec().namespaces()) {
        if (CustomerNamespaces.isCustomerNamespace(namespace) && byNamespace.putIfAbsent(namespace, o) == null) {
          kept.add(namespace);
        }
      }
      namespacesById.put(id, kept.stream().sorted().toList());
    }
    return new OrganizationIndex(byId, byNamespace, namespacesById);
  }

  /** The Organization whose {@code organization_id} is {@code organizationId}. */
  public Optional<Organization> byOrganizationId(String organizationId) {
    return Optional.ofNullable(organizationId == null ? null : byId.get(organizationId));
  }

  /** The Organization that keeps {@code namespace}. */
  public Optional<Organization> ownerOf(String namespace) {
    return Optional.ofNullable(namespace == null ? null : byNamespace.get(namespace));
  }

  /** The {@code organization_id} of the Organization keeping {@code namespace}. */
  public Optional<String> organizationIdOf(String namespace) {
    return ownerOf(namespace).map(o -> o.getSpec().organizationId());
  }

  /** The namespaces the Organization {@code organizationId} keeps, sorted; empty when it is none. */
  public List<String> namespacesOf(String organizationId) {
    return namespacesById.getOrDefault(organizationId, List.of());
  }

  /** Organizations that count, by id (sorted). */
  public Map<String, Organization> organizations() {
    return new TreeMap<>(byId);
  }
}
