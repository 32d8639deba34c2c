package io.voyager.bdk.controller;

import io.voyager.bdk.controller.apply.CredentialsSecrets;
import io.voyager.bdk.controller.apply.RevisionHistory;
import io.voyager.bdk.controller.desired.Rollout;
import io.voyager.bdk.controller.desired.SleepSchedule;
import io.voyager.bdk.controller.desired.WorkloadNames;
import io.voyager.bdk.controller.apply.ResourceApplier;
import io.voyager.bdk.controller.apply.WorkloadApplier;
import io.voyager.bdk.controller.apply.WorkloadLocks;
import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.ExternalBookDefinitionFactory;
import io.voyager.bdk.controller.desired.InstanceValidator;
import io.voyager.bdk.controller.desired.ValidInstance;
import io.voyager.bdk.controller.desired.Workload;
import io.voyager.bdk.controller.status.ExternalBookStatusWriter;
import io.voyager.bdk.controller.status.GatewayVerdict;
import io.voyager.bdk.controller.status.InstancePhaseGauge;
import io.voyager.bdk.controller.status.InstanceStatusWriter;
import io.voyager.bdk.controller.status.StatusCalculator;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.Conditions;
import io.voyager.bdk.model.DeploymentType;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.ExternalBookDefinition;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles one BookInstanceDefinition into its customer namespace: validates it, applies its
 * workload (or joins its shared workload), its ExternalBookDefinition and credentials Secret,
 * deletes what it no longer needs, and writes status from the Deployment's real state — the
 * instance's own (through JOSDK) and the phase and replica counts on its ExternalBookDefinition
 * ({@link ExternalBookStatusWriter}; the rest of that status is the xds-server's, and its verdict on
 * the webhooks is mirrored back into the instance's status: {@link GatewayVerdict}). Cleanup on
 * delete goes by labels (owner references cannot cross namespaces) behind JOSDK's finalizer.
 * Queueing, retries with backoff, rate limits and leader election are JOSDK's.
 */
public final class BookInstanceReconciler implements Reconciler<BookInstanceDefinition>, Cleaner<BookInstanceDefinition> {
  private static final Logger log = LoggerFactory.getLogger(BookInstanceReconciler.class);

  private final ControllerSettings settings;
  private final InstanceValidator validator;
  private final ExternalBookDefinitionFactory externalBooks = new ExternalBookDefinitionFactory();
  private final Clock clock;
  private final WorkloadLocks locks = new WorkloadLocks();

  private volatile SecondaryCaches caches;
  private volatile ResourceApplier applier;
  private volatile CredentialsSecrets credentials;
  private volatile WorkloadApplier workloads;
  private volatile WorkloadRunner runner;
  private volatile ExternalBookStatusWriter externalBookStatus;
  private volatile InstanceStatusWriter statusWriter;
  private volatile KubernetesClient client;

  private final MeterRegistry registry;
  private final InstancePhaseGauge phases;

  public BookInstanceReconciler(ControllerSettings settings, Clock clock, MeterRegistry registry) {
    this.settings = settings;
    this.registry = registry;
    this.phases = new InstancePhaseGauge(registry);
    this.validator = new InstanceValidator(settings);
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, BookInstanceDefinition>> prepareEventSources(
      EventSourceContext<BookInstanceDefinition> context) {
    this.client = context.getClient();
    this.caches = SecondaryCaches.create(context);
    phases.countFrom(context.getPrimaryCache());
    this.applier = new ResourceApplier(client, caches, registry);
    this.credentials = new CredentialsSecrets(client, caches);
    this.workloads = new WorkloadApplier(settings, applier, credentials);
    this.runner = new WorkloadRunner(settings, caches, workloads, new RevisionHistory(client), clock);
    this.externalBookStatus = new ExternalBookStatusWriter(client, caches, clock);
    this.statusWriter = new InstanceStatusWriter(client);
    return caches.all();
  }

  @Override
  public UpdateControl<BookInstanceDefinition> reconcile(
      BookInstanceDefinition instance, Context<BookInstanceDefinition> context) {
    String name = instance.getMetadata().getName();
    Long generation = instance.getMetadata().getGeneration();
    BookInstanceDefinitionStatus previous = instance.getStatus();

    InstanceValidator.Result result = validate(instance);
    if (result.valid().isEmpty()) {
      log.warn("event=instance_invalid instance={} problems=\"{}\"", name, result.message());
      resyncSharedWorkloadsLeftBy(name, Optional.empty());
      List<ExternalBookDefinition> books = externalBooksOf(name);
      BookInstanceDefinitionStatus failed = StatusCalculator.failed(previous, generation, "InvalidSpec",
          result.message(), GatewayVerdict.of(books.stream().findFirst()), clock.instant());
      books.forEach(book -> externalBookStatus.show(book, failed));
      return withStatus(instance, failed, context);
    }
    ValidInstance valid = result.valid().get();
    credentials.ensure(valid);

    List<String> missing = missingExternalCredentials(valid);
    if (!missing.isEmpty()) {
      // Nothing new is deployed until the external credentials exist; what runs already stays.
      log.info("event=instance_waiting_for_credentials instance={} keys={}", name, missing);
      List<ExternalBookDefinition> books = externalBooksOf(name);
      StatusCalculator.Observed waiting = new StatusCalculator.Observed(
          caches.of(Deployment.class).get(new ResourceID(valid.workloadName(), valid.customerNamespace())), List.of(),
          new Rollout(Rollout.Kind.WANTED, "", null, null, null), SleepSchedule.ALWAYS_AWAKE, missing,
          valid.customerNamespace() + "/" + valid.credentialsSecretName(), Optional.empty());
      BookInstanceDefinitionStatus next = StatusCalculator.observed(
          previous, generation, waiting, GatewayVerdict.of(books.stream().findFirst()), clock.instant());
      books.forEach(book -> externalBookStatus.show(book, next));
      return withStatus(instance, next, context);
    }

    Set<String> wanted = new HashSet<>();
    Workload workload;
    WorkloadRunner.Run run;
    if (valid.type() == DeploymentType.SHARED) {
      // Derive and write the shared workload under its lock, so its tenants' reconciles take turns.
      var shared = locks.withLock(valid.customerNamespace(), valid.workloadName(), () -> {
        Workload w = sharedWorkload(valid.customerNamespace(), valid.workloadName()).orElseThrow();
        WorkloadRunner.Run r = runner.run(w);
        pruneSharedWorkload(w.namespace(), w.name(), r.keys());
        return Map.entry(w, r);
      });
      workload = shared.getKey();
      run = shared.getValue();
    } else {
      workload = Workload.of(valid);
      run = runner.run(workload);
      wanted.addAll(run.keys());
    }
    Optional<String> wakeLease = valid.type() == DeploymentType.WEBHOOK_TRIGGERED && settings.sleepEnabled()
        ? Optional.of(WorkloadNames.wakeLease(workload.name())) : Optional.empty();
    ExternalBookDefinition externalBook = applier.apply(externalBooks.externalBook(valid, workload, wakeLease)).object();
    wanted.add(WorkloadApplier.key(externalBook));
    wanted.add("Secret/" + valid.customerNamespace() + "/" + valid.credentialsSecretName());
    for (HasMetadata made : caches.madeForInstance(name)) {
      if (!wanted.contains(WorkloadApplier.key(made))) {
        applier.delete(made);
      }
    }
    resyncSharedWorkloadsLeftBy(name, workload.shared() ? Optional.of(workload) : Optional.empty());

    // The gateway's verdict as the xds-server last wrote it (a change of it reconciles this instance).
    BookInstanceDefinitionStatus next = StatusCalculator.observed(
        previous, generation, run.observed(valid), GatewayVerdict.of(Optional.of(externalBook)), clock.instant());
    if (StatusCalculator.differs(previous, next)) {
      log.info("event=instance_status instance={} phase={} ready={}/{} reason={}", name, next.phase(),
          next.deploymentStatus().readyReplicas(), next.deploymentStatus().totalReplicas(), reasonOf(next));
    }
    externalBookStatus.show(externalBook, next);
    UpdateControl<BookInstanceDefinition> control = withStatus(instance, next, context);
    return run.recheckIn().map(control::rescheduleAfter).orElse(control);
  }

  /** External credentials the instance declares whose key its credentials Secret does not hold yet. */
  private List<String> missingExternalCredentials(ValidInstance valid) {
    List<String> external = valid.externalCredentials();
    if (external.isEmpty()) {
      return List.of();
    }
    Set<String> present = credentials.presentKeys(valid);
    return external.stream().filter(k -> !present.contains(k)).toList();
  }

  private static String reasonOf(BookInstanceDefinitionStatus status) {
    return status.conditions() == null ? "" : status.conditions().stream()
        .filter(c -> StatusCalculator.DEPLOYMENT_READY.equals(c.type())).map(Condition::reason)
        .findFirst().orElse("");
  }

  @Override
  public DeleteControl cleanup(BookInstanceDefinition instance, Context<BookInstanceDefinition> context) {
    String name = instance.getMetadata().getName();
    List<HasMetadata> made = caches.madeForInstance(name);
    made.forEach(applier::delete);
    // The cache may lag behind our own creates: find by label in the instance's namespace as well.
    // One by one: a labelled collection delete needs the deletecollection verb, which the
    // controller's RBAC (k8s/deploy) does not grant.
    String namespace = instance.getSpec() == null || instance.getSpec().customer() == null
        ? null : instance.getSpec().customer().namespace();
    if (namespace != null && caches.namespaceExists(namespace)) {
      for (Class<? extends HasMetadata> kind : SecondaryCaches.MANAGED_KINDS) {
        client.resources(kind).inNamespace(namespace)
            .withLabel(BdkLabels.INSTANCE_NAME, name).list().getItems()
            .forEach(applier::delete);
      }
    }
    resyncSharedWorkloadsLeftBy(name, Optional.empty());
    log.info("event=instance_cleaned_up instance={} deleted={}", name, made.size());
    return DeleteControl.defaultDelete();
  }

  @Override
  public ErrorStatusUpdateControl<BookInstanceDefinition> updateErrorStatus(
      BookInstanceDefinition instance, Context<BookInstanceDefinition> context, Exception e) {
    boolean lastAttempt = context.getRetryInfo().map(RetryInfo::isLastAttempt).orElse(true);
    int attempt = context.getRetryInfo().map(RetryInfo::getAttemptCount).orElse(1);
    log.warn("event=reconcile_failed instance={} attempt={} last={} error=\"{}\"",
        instance.getMetadata().getName(), attempt, lastAttempt, brief(e));
    if (!lastAttempt) {
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    BookInstanceDefinitionStatus failed = StatusCalculator.failed(instance.getStatus(),
        instance.getMetadata().getGeneration(), "ApplyFailed",
        "could not apply the instance's resources after " + attempt + " attempts: " + brief(e),
        cachedVerdict(instance.getMetadata().getName()), clock.instant());
    showOnExternalBooksIfPossible(instance.getMetadata().getName(), failed);
    writeStatus(instance, failed, context);
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  /** The ExternalBookDefinition(s) made for {@code instance}, as cached (usually one; none before the first apply). */
  private List<ExternalBookDefinition> externalBooksOf(String instance) {
    return caches.of(ExternalBookDefinition.class).byIndex(SecondaryCaches.BY_INSTANCE, instance);
  }

  /** The gateway's verdict as the cached ExternalBookDefinition shows it. */
  private GatewayVerdict cachedVerdict(String instance) {
    return GatewayVerdict.of(externalBooksOf(instance).stream().findFirst());
  }

  /** Best effort: the API may be what failed; the instance's own status still says Failed. */
  private void showOnExternalBooksIfPossible(String instance, BookInstanceDefinitionStatus failed) {
    try {
      externalBooksOf(instance).forEach(book -> externalBookStatus.show(book, failed));
    } catch (RuntimeException e) {
      log.warn("event=external_book_status_failed instance={} error=\"{}\"", instance, brief(e));
    }
  }

  private InstanceValidator.Result validate(BookInstanceDefinition instance) {
    var spec = instance.getSpec();
    String bookName = spec == null || spec.bookRef() == null ? null : spec.bookRef().name();
    String namespace = spec == null || spec.customer() == null ? null : spec.customer().namespace();
    return validator.validate(
        instance,
        bookName == null ? Optional.empty() : caches.book(bookName),
        caches.namespaceState(namespace),
        caches.podSecurityLevel(namespace));
  }

  /** The shared workload {@code namespace/name} with its live, valid tenants; empty when it has none. */
  private Optional<Workload> sharedWorkload(String namespace, String name) {
    List<ValidInstance> tenants = caches.sharedTenants(namespace, name).stream()
        .filter(t -> !t.isMarkedForDeletion())
        .map(this::validate)
        .flatMap(r -> r.valid().stream())
        .filter(t -> t.type() == DeploymentType.SHARED && name.equals(t.workloadName()))
        .toList();
    return tenants.isEmpty() ? Optional.empty() : Optional.of(new Workload(namespace, name, DeploymentType.SHARED, tenants));
  }

  /**
   * Shared workloads that still list {@code instance} as a tenant but are not {@code current}
   * (it left, changed type or book, was deleted or became invalid): re-derive them from their
   * remaining tenants, or delete them when none is left.
   */
  private void resyncSharedWorkloadsLeftBy(String instance, Optional<Workload> current) {
    for (Deployment d : caches.sharedDeploymentsServing(instance)) {
      String namespace = d.getMetadata().getNamespace();
      String name = d.getMetadata().getName();
      if (current.isPresent() && current.get().namespace().equals(namespace) && current.get().name().equals(name)) {
        continue;
      }
      Optional<Workload> remaining = locks.withLock(namespace, name, () -> {
        Optional<Workload> left = sharedWorkload(namespace, name);
        pruneSharedWorkload(namespace, name, left.map(w -> runner.run(w).keys()).orElse(Set.of()));
        return left;
      });
      log.info("event=shared_workload_resynced namespace={} workload={} tenants={}", namespace, name,
          remaining.map(Workload::tenantNames).orElse(""));
    }
  }

  private void pruneSharedWorkload(String namespace, String name, Set<String> wanted) {
    for (HasMetadata made : caches.madeForSharedWorkload(namespace, name)) {
      if (!wanted.contains(WorkloadApplier.key(made))) {
        applier.delete(made);
      }
    }
  }

  /** Writes {@code next} unless the instance already shows it (see {@link #writeStatus}). */
  private UpdateControl<BookInstanceDefinition> withStatus(
      BookInstanceDefinition instance, BookInstanceDefinitionStatus next, Context<BookInstanceDefinition> context) {
    writeStatus(instance, next, context);
    return UpdateControl.noUpdate();
  }

  /**
   * Writes {@code next} as the instance's status unless it already shows it: an update carrying the
   * resourceVersion, re-read and retried on conflict ({@link InstanceStatusWriter}; JOSDK's
   * patchStatus from a stale cache added the gateway's condition twice). The written object goes
   * into JOSDK's primary cache at once, so the next reconcile starts from it and our own write does
   * not reconcile again.
   */
  private void writeStatus(
      BookInstanceDefinition instance, BookInstanceDefinitionStatus next, Context<BookInstanceDefinition> context) {
    if (!StatusCalculator.differs(instance.getStatus(), next)) {
      return;
    }
    BookInstanceDefinition written = statusWriter.write(instance, next);
    if (written != null) {
      context.eventSourceRetriever().getControllerEventSource()
          .handleRecentResourceUpdate(ResourceID.fromResource(written), written, instance);
    }
  }

  private static String brief(Exception e) {
    String message = Objects.toString(e.getMessage(), e.getClass().getSimpleName());
    return Conditions.truncated(message);
  }
}
