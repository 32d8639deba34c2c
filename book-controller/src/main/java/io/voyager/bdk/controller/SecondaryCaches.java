package io.voyager.bdk.controller;

import io.voyager.bdk.controller.apply.ManagedCache;
import io.voyager.bdk.controller.desired.InstanceValidator;
import io.voyager.bdk.controller.desired.ManagedLabels;
import io.voyager.bdk.controller.desired.NamespaceGuardrails;
import io.voyager.bdk.controller.desired.WorkloadNames;
import io.voyager.bdk.model.DeploymentType;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;
import io.voyager.bdk.controller.status.RuntimeFailures;
import io.voyager.bdk.model.BookWake;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.ExternalBookDefinition;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The informers the controller reads instead of asking the API server: every kind it makes (only
 * objects labelled as managed by it, in all namespaces), BookDefinitions in bdk and Namespaces.
 * Each event maps back to the instance(s) concerned — by the {@code INSTANCE_NAME} label, a shared
 * workload's tenant list, the book an instance references, or its customer namespace — so JOSDK
 * reconciles exactly those.
 */
final class SecondaryCaches implements ManagedCache {
  /** Secondary index: instance name (from the INSTANCE_NAME label). */
  static final String BY_INSTANCE = "by-instance";
  /** Secondary index: namespace/shared-group. */
  static final String BY_SHARED_GROUP = "by-shared-group";
  /** Primary indexes. */
  static final String PRIMARY_BY_BOOK = "by-book";
  static final String PRIMARY_BY_NAMESPACE = "by-namespace";
  static final String PRIMARY_BY_SHARED_WORKLOAD = "by-shared-workload";

  /** Every kind the controller makes in customer namespaces. */
  static final List<Class<? extends HasMetadata>> MANAGED_KINDS =
      List.of(
          Deployment.class,
          Service.class,
          ExternalBookDefinition.class,
          NetworkPolicy.class,
          HorizontalPodAutoscaler.class,
          Secret.class,
          ServiceAccount.class,
          Role.class,
          RoleBinding.class,
          Lease.class);

  /** Pod index: namespace/workload (the workload label the pod template carries). */
  static final String BY_WORKLOAD = "by-workload";

  private final Map<Class<?>, InformerEventSource<?, BookInstanceDefinition>> managed;
  private final InformerEventSource<BookDefinition, BookInstanceDefinition> books;
  private final InformerEventSource<Namespace, BookInstanceDefinition> namespaces;
  private final InformerEventSource<Pod, BookInstanceDefinition> pods;
  private final IndexerResourceCache<BookInstanceDefinition> primaries;

  private SecondaryCaches(
      Map<Class<?>, InformerEventSource<?, BookInstanceDefinition>> managed,
      InformerEventSource<BookDefinition, BookInstanceDefinition> books,
      InformerEventSource<Namespace, BookInstanceDefinition> namespaces,
      InformerEventSource<Pod, BookInstanceDefinition> pods,
      IndexerResourceCache<BookInstanceDefinition> primaries) {
    this.managed = managed;
    this.books = books;
    this.namespaces = namespaces;
    this.pods = pods;
    this.primaries = primaries;
  }

  static SecondaryCaches create(EventSourceContext<BookInstanceDefinition> context) {
    IndexerResourceCache<BookInstanceDefinition> primaries = context.getPrimaryCache();
    primaries.addIndexer(PRIMARY_BY_BOOK, i -> i.getSpec() == null || i.getSpec().bookRef() == null
        ? List.of() : List.of(String.valueOf(i.getSpec().bookRef().name())));
    primaries.addIndexer(PRIMARY_BY_NAMESPACE, i -> i.getSpec() == null || i.getSpec().customer() == null
        ? List.of() : List.of(String.valueOf(i.getSpec().customer().namespace())));
    primaries.addIndexer(PRIMARY_BY_SHARED_WORKLOAD, i -> sharedWorkloadKey(i).map(List::of).orElse(List.of()));

    Map<Class<?>, InformerEventSource<?, BookInstanceDefinition>> managed = new LinkedHashMap<>();
    for (Class<? extends HasMetadata> kind : MANAGED_KINDS) {
      managed.put(kind, managedInformer(kind, context));
    }
    InformerEventSource<BookDefinition, BookInstanceDefinition> books = new InformerEventSource<>(
        InformerEventSourceConfiguration.from(BookDefinition.class, BookInstanceDefinition.class)
            .withName("book-definitions")
            .withNamespaces(BdkLabels.BDK_NAMESPACE)
            .withSecondaryToPrimaryMapper(
                (BookDefinition b) -> ids(primaries.byIndex(PRIMARY_BY_BOOK, b.getMetadata().getName())))
            .build(),
        context);
    InformerEventSource<Namespace, BookInstanceDefinition> namespaces = new InformerEventSource<>(
        InformerEventSourceConfiguration.from(Namespace.class, BookInstanceDefinition.class)
            .withName("namespaces")
            .withWatchAllNamespaces()
            .withSecondaryToPrimaryMapper(
                (Namespace n) -> ids(primaries.byIndex(PRIMARY_BY_NAMESPACE, n.getMetadata().getName())))
            .build(),
        context);
    // The books' pods, for their runtime failures: only the controller's own (the labels every
    // pod template carries), trimmed to what the status reads, and an update reconciles only when
    // something the status reads changed (RuntimeFailures.signature) — not on every probe.
    SecondaryToPrimaryMapper<Pod> podsToInstances = SecondaryCaches::instancesOf;
    InformerEventSource<Pod, BookInstanceDefinition> pods = new InformerEventSource<>(
        InformerEventSourceConfiguration.from(Pod.class, BookInstanceDefinition.class)
            .withName("book-pods")
            .withWatchAllNamespaces()
            .withLabelSelector(BdkLabels.MANAGED_BY + "=" + ManagedLabels.MANAGER + "," + ManagedLabels.COMPONENT + "=book")
            .withItemStore(new TransformingItemStore<>(SecondaryCaches::trimmed))
            .withOnUpdateFilter((Pod newer, Pod older) -> !RuntimeFailures.signature(newer).equals(RuntimeFailures.signature(older)))
            .withSecondaryToPrimaryMapper(podsToInstances)
            .build(),
        context);
    pods.addIndexer(BY_WORKLOAD, p -> Optional.ofNullable(label(p, ManagedLabels.WORKLOAD))
        .map(w -> List.of(p.getMetadata().getNamespace() + "/" + w)).orElse(List.of()));
    return new SecondaryCaches(managed, books, namespaces, pods, primaries);
  }

  /**
   * A pod as the cache keeps it: its identity, labels, annotations, owners and status — not its
   * spec or managed fields, which the status never reads (a pod's spec is most of its size).
   */
  static Pod trimmed(Pod pod) {
    var meta = pod.getMetadata();
    Pod kept = new Pod();
    kept.setApiVersion(pod.getApiVersion());
    kept.setKind(pod.getKind());
    kept.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
        .withName(meta.getName())
        .withNamespace(meta.getNamespace())
        .withUid(meta.getUid())
        .withResourceVersion(meta.getResourceVersion())
        .withLabels(meta.getLabels())
        .withAnnotations(meta.getAnnotations())
        .withOwnerReferences(meta.getOwnerReferences())
        .withDeletionTimestamp(meta.getDeletionTimestamp())
        .withCreationTimestamp(meta.getCreationTimestamp())
        .build());
    kept.setStatus(pod.getStatus());
    return kept;
  }

  /** {@code namespace/workload} of a shared instance's workload, if it is one. */
  static Optional<String> sharedWorkloadKey(BookInstanceDefinition i) {
    var spec = i.getSpec();
    if (spec == null || spec.deployment() == null || spec.bookRef() == null || spec.customer() == null
        || !DeploymentType.SHARED.wireName().equals(spec.deployment().type())) {
      return Optional.empty();
    }
    return Optional.of(spec.customer().namespace() + "/" + WorkloadNames.shared(spec.bookRef().name()));
  }

  private static <R extends HasMetadata> InformerEventSource<R, BookInstanceDefinition> managedInformer(
      Class<R> kind, EventSourceContext<BookInstanceDefinition> context) {
    SecondaryToPrimaryMapper<R> toInstances = SecondaryCaches::instancesOf;
    var config = InformerEventSourceConfiguration.from(kind, BookInstanceDefinition.class)
        .withName("managed-" + HasMetadata.getPlural(kind) + "." + HasMetadata.getGroup(kind))
        .withWatchAllNamespaces()
        .withLabelSelector(BdkLabels.MANAGED_BY + "=" + ManagedLabels.MANAGER)
        .withSecondaryToPrimaryMapper(toInstances);
    if (kind == Lease.class) {
      // A wake Lease's activity record (ext-authz writes it up to once a minute per busy book)
      // matters only as a wake-up call, while the book is not serving; an idle check of an awake
      // book is scheduled, not driven by these writes.
      config.withOnUpdateFilter((R newer, R older) -> wakeRelevant((Lease) newer, (Lease) older));
    }
    InformerEventSource<R, BookInstanceDefinition> source = new InformerEventSource<>(config.build(), context);
    source.addIndexer(BY_INSTANCE, r -> Optional.ofNullable(label(r, BdkLabels.INSTANCE_NAME)).map(List::of).orElse(List.of()));
    source.addIndexer(BY_SHARED_GROUP, r -> Optional.ofNullable(label(r, ManagedLabels.SHARED_GROUP))
        .map(g -> List.of(r.getMetadata().getNamespace() + "/" + g)).orElse(List.of()));
    return source;
  }

  /** Whether a wake Lease update matters to its instance: anything but an awake book's activity record. */
  static boolean wakeRelevant(Lease newer, Lease older) {
    Map<String, String> a = new HashMap<>(annotations(newer));
    Map<String, String> b = new HashMap<>(annotations(older));
    boolean activityOnly = !Objects.equals(a.remove(BookWake.LAST_WEBHOOK), b.remove(BookWake.LAST_WEBHOOK))
        && a.equals(b)
        && Objects.equals(newer.getMetadata().getLabels(), older.getMetadata().getLabels())
        && Objects.equals(newer.getSpec(), older.getSpec());
    return !activityOnly || !"true".equals(annotations(newer).get(BookWake.READY));
  }

  private static Map<String, String> annotations(HasMetadata r) {
    return r.getMetadata().getAnnotations() == null ? Map.of() : r.getMetadata().getAnnotations();
  }

  /** The instance(s) a managed object was made for. */
  static Set<ResourceID> instancesOf(HasMetadata r) {
    Stream<String> names = Stream.empty();
    String instance = label(r, BdkLabels.INSTANCE_NAME);
    if (instance != null) {
      names = Stream.of(instance);
    }
    var annotations = r.getMetadata().getAnnotations();
    String tenants = annotations == null ? null : annotations.get(ManagedLabels.TENANTS);
    if (tenants != null && !tenants.isEmpty()) {
      names = Stream.concat(names, Arrays.stream(tenants.split(",")));
    }
    return names.map(n -> new ResourceID(n, BdkLabels.BDK_NAMESPACE)).collect(Collectors.toSet());
  }

  private static Set<ResourceID> ids(List<BookInstanceDefinition> instances) {
    return instances.stream().map(ResourceID::fromResource).collect(Collectors.toSet());
  }

  static String label(HasMetadata r, String key) {
    var labels = r.getMetadata().getLabels();
    return labels == null ? null : labels.get(key);
  }

  List<EventSource<?, BookInstanceDefinition>> all() {
    List<EventSource<?, BookInstanceDefinition>> all = new ArrayList<>(managed.values());
    all.add(books);
    all.add(namespaces);
    all.add(pods);
    return all;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <R extends HasMetadata> InformerEventSource<R, BookInstanceDefinition> of(Class<R> kind) {
    return (InformerEventSource<R, BookInstanceDefinition>) managed.get(kind);
  }

  Optional<BookDefinition> book(String name) {
    return books.get(new ResourceID(name, BdkLabels.BDK_NAMESPACE));
  }

  boolean namespaceExists(String name) {
    return namespaceState(name) != InstanceValidator.NamespaceState.MISSING;
  }

  InstanceValidator.NamespaceState namespaceState(String name) {
    return stateOf(name == null ? Optional.empty() : namespaces.get(new ResourceID(name)));
  }

  /** The Pod Security level the namespace enforces ({@code pod-security.kubernetes.io/enforce}), if any. */
  Optional<String> podSecurityLevel(String name) {
    return (name == null ? Optional.<Namespace>empty() : namespaces.get(new ResourceID(name)))
        .map(n -> label(n, NamespaceGuardrails.PSS + "enforce"));
  }

  /** Missing, terminating (deleted, waiting for its contents to go) or active. */
  static InstanceValidator.NamespaceState stateOf(Optional<Namespace> namespace) {
    if (namespace.isEmpty()) {
      return InstanceValidator.NamespaceState.MISSING;
    }
    Namespace n = namespace.get();
    boolean terminating = n.getMetadata().getDeletionTimestamp() != null
        || (n.getStatus() != null && "Terminating".equals(n.getStatus().getPhase()));
    return terminating ? InstanceValidator.NamespaceState.TERMINATING : InstanceValidator.NamespaceState.ACTIVE;
  }

  /** Instances (from JOSDK's primary cache) whose shared workload is {@code namespace/workload}. */
  List<BookInstanceDefinition> sharedTenants(String namespace, String workload) {
    return primaries.byIndex(PRIMARY_BY_SHARED_WORKLOAD, namespace + "/" + workload);
  }

  /** Every managed object, of every kind, labelled for {@code instanceName}. */
  List<HasMetadata> madeForInstance(String instanceName) {
    List<HasMetadata> found = new ArrayList<>();
    for (var source : managed.values()) {
      found.addAll(source.byIndex(BY_INSTANCE, instanceName));
    }
    return found;
  }

  /** Every managed object of the shared workload {@code namespace/workload}. */
  List<HasMetadata> madeForSharedWorkload(String namespace, String workload) {
    List<HasMetadata> found = new ArrayList<>();
    for (var source : managed.values()) {
      found.addAll(source.byIndex(BY_SHARED_GROUP, namespace + "/" + workload));
    }
    return found;
  }

  /** The pods of the workload {@code namespace/workload}, as cached (trimmed to metadata and status). */
  List<Pod> podsOf(String namespace, String workload) {
    return pods.byIndex(BY_WORKLOAD, namespace + "/" + workload);
  }

  /** Shared Deployments whose tenant list names {@code instanceName}. */
  List<Deployment> sharedDeploymentsServing(String instanceName) {
    return of(Deployment.class)
        .list(d -> label(d, ManagedLabels.SHARED_GROUP) != null
            && instancesOf(d).contains(new ResourceID(instanceName, BdkLabels.BDK_NAMESPACE)))
        .toList();
  }
}
