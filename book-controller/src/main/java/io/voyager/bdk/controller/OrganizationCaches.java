package io.voyager.bdk.controller;

import io.voyager.bdk.controller.apply.ManagedCache;
import io.voyager.bdk.controller.desired.InstanceValidator;
import io.voyager.bdk.controller.desired.ManagedLabels;
import io.voyager.bdk.controller.desired.NamespaceClaims;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.Organization;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The informers the Organization reconciler reads instead of asking the API server: the guardrails
 * it makes (ResourceQuotas, LimitRanges, NetworkPolicies labelled with an Organization, in all
 * namespaces), Namespaces, and the Organizations themselves. Each event maps to the Organizations
 * concerned: the one its label names, and every Organization listing its namespace — so when one
 * Organization lets a namespace go (its guardrails and labels removed), the next in line takes it.
 * An Organization's change also reconciles the others listing any of its namespaces (an older one
 * claiming a namespace, or being deleted).
 */
final class OrganizationCaches implements ManagedCache {
  /** Secondary index: the Organization a guardrail or namespace is labelled for. */
  static final String BY_ORGANIZATION = "by-organization";
  /** Primary index: the namespaces an Organization lists. */
  static final String PRIMARY_BY_NAMESPACE = "by-listed-namespace";

  /** Every kind made in an Organization's namespaces. */
  static final List<Class<? extends HasMetadata>> MANAGED_KINDS =
      List.of(ResourceQuota.class, LimitRange.class, NetworkPolicy.class);

  private final Map<Class<?>, InformerEventSource<?, Organization>> managed;
  private final InformerEventSource<Namespace, Organization> namespaces;
  private final InformerEventSource<Organization, Organization> peers;
  private final IndexerResourceCache<Organization> primaries;

  private OrganizationCaches(
      Map<Class<?>, InformerEventSource<?, Organization>> managed,
      InformerEventSource<Namespace, Organization> namespaces,
      InformerEventSource<Organization, Organization> peers,
      IndexerResourceCache<Organization> primaries) {
    this.managed = managed;
    this.namespaces = namespaces;
    this.peers = peers;
    this.primaries = primaries;
  }

  static OrganizationCaches create(EventSourceContext<Organization> context) {
    IndexerResourceCache<Organization> primaries = context.getPrimaryCache();
    primaries.addIndexer(PRIMARY_BY_NAMESPACE, o -> List.copyOf(NamespaceClaims.listed(o)));

    Map<Class<?>, InformerEventSource<?, Organization>> managed = new LinkedHashMap<>();
    for (Class<? extends HasMetadata> kind : MANAGED_KINDS) {
      managed.put(kind, managedInformer(kind, context, primaries));
    }
    InformerEventSource<Namespace, Organization> namespaces = new InformerEventSource<>(
        InformerEventSourceConfiguration.from(Namespace.class, Organization.class)
            .withName("organization-namespaces")
            .withWatchAllNamespaces()
            .withSecondaryToPrimaryMapper((Namespace n) -> concerned(n.getMetadata().getName(), n, primaries))
            .build(),
        context);
    namespaces.addIndexer(BY_ORGANIZATION, OrganizationCaches::organizationLabel);
    InformerEventSource<Organization, Organization> peers = new InformerEventSource<>(
        InformerEventSourceConfiguration.from(Organization.class, Organization.class)
            .withName("organization-peers")
            .withNamespaces(BdkLabels.BDK_NAMESPACE)
            .withSecondaryToPrimaryMapper((Organization o) -> peersOf(o, primaries))
            .build(),
        context);
    return new OrganizationCaches(managed, namespaces, peers, primaries);
  }

  private static <R extends HasMetadata> InformerEventSource<R, Organization> managedInformer(
      Class<R> kind, EventSourceContext<Organization> context, IndexerResourceCache<Organization> primaries) {
    InformerEventSource<R, Organization> source = new InformerEventSource<>(
        InformerEventSourceConfiguration.from(kind, Organization.class)
            .withName("guardrail-" + HasMetadata.getPlural(kind) + "." + HasMetadata.getGroup(kind))
            .withWatchAllNamespaces()
            .withLabelSelector(BdkLabels.MANAGED_BY + "=" + ManagedLabels.MANAGER + "," + BdkLabels.ORGANIZATION)
            .withSecondaryToPrimaryMapper((R r) -> concerned(r.getMetadata().getNamespace(), r, primaries))
            .build(),
        context);
    source.addIndexer(BY_ORGANIZATION, OrganizationCaches::organizationLabel);
    return source;
  }

  /** The Organization {@code labelled} names, and every Organization listing {@code namespace}. */
  private static Set<ResourceID> concerned(String namespace, HasMetadata labelled, IndexerResourceCache<Organization> primaries) {
    Set<ResourceID> ids = new HashSet<>();
    organizationLabel(labelled).forEach(name -> ids.add(new ResourceID(name, BdkLabels.BDK_NAMESPACE)));
    if (namespace != null) {
      primaries.byIndex(PRIMARY_BY_NAMESPACE, namespace).forEach(o -> ids.add(ResourceID.fromResource(o)));
    }
    return ids;
  }

  /** The other Organizations listing any namespace {@code org} lists. */
  private static Set<ResourceID> peersOf(Organization org, IndexerResourceCache<Organization> primaries) {
    Set<ResourceID> ids = new HashSet<>();
    for (String namespace : NamespaceClaims.listed(org)) {
      primaries.byIndex(PRIMARY_BY_NAMESPACE, namespace).forEach(o -> ids.add(ResourceID.fromResource(o)));
    }
    ids.remove(ResourceID.fromResource(org));
    return ids;
  }

  private static List<String> organizationLabel(HasMetadata r) {
    String org = SecondaryCaches.label(r, BdkLabels.ORGANIZATION);
    return org == null ? List.of() : List.of(org);
  }

  List<EventSource<?, Organization>> all() {
    List<EventSource<?, Organization>> all = new ArrayList<>(managed.values());
    all.add(namespaces);
    all.add(peers);
    return all;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <R extends HasMetadata> InformerEventSource<R, Organization> of(Class<R> kind) {
    return (InformerEventSource<R, Organization>) managed.get(kind);
  }

  InformerEventSource<Namespace, Organization> namespaces() {
    return namespaces;
  }

  Optional<Namespace> namespace(String name) {
    return namespaces.get(new ResourceID(name));
  }

  InstanceValidator.NamespaceState namespaceState(String name) {
    return SecondaryCaches.stateOf(namespace(name));
  }

  /** Organizations (from JOSDK's primary cache) whose spec lists {@code namespace}. */
  List<Organization> listing(String namespace) {
    return primaries.byIndex(PRIMARY_BY_NAMESPACE, namespace);
  }

  /** Every guardrail object, of every kind, labelled for the Organization {@code name}. */
  List<HasMetadata> madeFor(String name) {
    List<HasMetadata> found = new ArrayList<>();
    for (var source : managed.values()) {
      found.addAll(source.byIndex(BY_ORGANIZATION, name));
    }
    return found;
  }

  /** Namespaces labelled as managed by the Organization {@code name}. */
  List<Namespace> namespacesLabelledFor(String name) {
    return namespaces.byIndex(BY_ORGANIZATION, name);
  }
}
