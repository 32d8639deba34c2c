package io.voyager.bdk.controller.desired;

import io.voyager.bdk.model.CustomerNamespaces;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationIndex;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Which of the namespaces an Organization lists it manages, and why not the others. Pure: the caller
 * hands in the Organizations listing a namespace and each namespace's state.
 *
 * <p>A listed namespace is managed when it is a customer namespace ({@link CustomerNamespaces}:
 * never {@code kube-system}, {@code default} or {@code bdk}), exists and is not being deleted, and
 * no older Organization lists it too. <b>The older Organization keeps a namespace two list</b>:
 * older by {@code metadata.creationTimestamp}, then by name — a rule every controller replica
 * derives the same way from its cache, that never moves a namespace from a working Organization to
 * one created later, and that hands it over once the older one drops it or is deleted (an
 * Organization being deleted claims nothing). The younger Organization says so in its status.
 */
public record NamespaceClaims(List<String> managed, List<String> problems) {

  public NamespaceClaims {
    managed = List.copyOf(managed);
    problems = List.copyOf(problems);
  }

  /**
   * Orders Organizations oldest first: by creation time, then name — the one rule, shared with the
   * library's authorization ({@link OrganizationIndex}), so both agree which Organization keeps a namespace.
   */
  static final Comparator<Organization> OLDEST_FIRST = OrganizationIndex.OLDEST_FIRST;

  /**
   * @param listing the Organizations whose spec lists a namespace (this one included or not)
   * @param state what the cluster says about a namespace
   */
  public static NamespaceClaims of(
      Organization org,
      Function<String, List<Organization>> listing,
      Function<String, InstanceValidator.NamespaceState> state) {
    List<String> managed = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (String namespace : listed(org)) {
      Optional<String> notCustomer = CustomerNamespaces.problem(namespace);
      if (notCustomer.isPresent()) {
        problems.add("namespace '" + namespace + "' " + notCustomer.get());
        continue;
      }
      InstanceValidator.NamespaceState s = state.apply(namespace);
      if (s == InstanceValidator.NamespaceState.MISSING) {
        problems.add("namespace '" + namespace + "' does not exist");
        continue;
      }
      if (s == InstanceValidator.NamespaceState.TERMINATING) {
        problems.add("namespace '" + namespace + "' is being deleted");
        continue;
      }
      Optional<Organization> holder = holder(namespace, listing.apply(namespace));
      if (holder.isPresent() && !sameObject(holder.get(), org)) {
        problems.add("namespace '" + namespace + "' is already listed by Organization '"
            + holder.get().getMetadata().getName() + "', which is older and keeps it");
        continue;
      }
      managed.add(namespace);
    }
    return new NamespaceClaims(managed, problems);
  }

  /** The Organization that keeps {@code namespace}: the oldest of those listing it that are not being deleted. */
  static Optional<Organization> holder(String namespace, List<Organization> listing) {
    return listing.stream()
        .filter(o -> o.getMetadata().getDeletionTimestamp() == null)
      .filter(o -> listed(o).contains(namespace))
        .min(OLDEST_FIRST);
  }

  /** The namespaces {@code org} lists, each once, in its order. */
  public static Set<String> listed(Organization org) {
    Set<String> namespaces = new LinkedHashSet<>();
    if (org.getSpec() != null && org.getSpec().namespaces() != null) {
      for (String n : org.getSpec().namespaces()) {
        if (n != null) {
          namespaces.add(n);
        }
      }
    }
    return namespaces;
  }

  private static boolean sameObject(Organization a, Organization b) {
    return a.getMetadata().getName().equals(b.getMetadata().getName())
        && Objects.equals(a.getMetadata().getNamespace(), b.getMetadata().getNamespace());
  }
}
