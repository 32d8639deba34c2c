package io.voyager.bdk.controller;

import io.voyager.bdk.controller.apply.LiveQuantities;
import io.voyager.bdk.controller.apply.NamespaceLabeler;
import io.voyager.bdk.controller.apply.ResourceApplier;
import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.InstanceValidator;
import io.voyager.bdk.controller.desired.NamespaceClaims;
import io.voyager.bdk.controller.desired.NamespaceGuardrails;
import io.voyager.bdk.controller.status.OrganizationStatusWriter;
import io.voyager.bdk.controller.status.OrganizationStatuses;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationStatus;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles one Organization into the customer namespaces it lists: for each namespace it manages
 * ({@link NamespaceClaims}), the ResourceQuota, LimitRange and default-deny NetworkPolicy of
 * {@link NamespaceGuardrails} (written and drift-corrected by {@link ResourceApplier}) and the Pod
 * Security and Organization labels on the namespace ({@link NamespaceLabeler}: only those keys).
 * What it made in a namespace it no longer manages is deleted and the labels taken off; the same on
 * delete, behind JOSDK's finalizer (owner references cannot cross namespaces: everything carries
 * the Organization's label). Invalid quotas change nothing and say so. One namespace's failure does
 * not stop the others: the status names it and JOSDK retries with backoff. Queueing, retries, rate
 * limits and leader election are JOSDK's, as for {@link BookInstanceReconciler}.
 */
public final class OrganizationReconciler implements Reconciler<Organization>, Cleaner<Organization> {
  private static final Logger log = LoggerFactory.getLogger(OrganizationReconciler.class);
  private static final int MAX_ERROR = 300;

  private final NamespaceGuardrails guardrails;
  private final Clock clock;
  private final MeterRegistry registry;

  private volatile OrganizationCaches caches;
  private volatile ResourceApplier applier;
  private volatile NamespaceLabeler labeler;
  private volatile OrganizationStatusWriter statuses;
  private volatile KubernetesClient client;

  public OrganizationReconciler(ControllerSettings settings, Clock clock, MeterRegistry registry) {
    this.guardrails = new NamespaceGuardrails(settings);
    this.clock = clock;
    this.registry = registry;
  }

  /** Guardrails of some namespaces could not be written; the status already says which. */
  static final class GuardrailsNotApplied extends RuntimeException {
    GuardrailsNotApplied(String message) {
      super(message);
    }
  }

  @Override
  public List<EventSource<?, Organization>> prepareEventSources(EventSourceContext<Organization> context) {
    this.client = context.getClient();
    this.caches = OrganizationCaches.create(context);
    this.applier = new ResourceApplier(client, caches, registry);
    this.labeler = new NamespaceLabeler(client, caches.namespaces(), registry);
    this.statuses = new OrganizationStatusWriter(client);
    return caches.all();
  }

  @Override
  public UpdateControl<Organization> reconcile(Organization org, Context<Organization> context) {
    String name = org.getMetadata().getName();
    Long generation = org.getMetadata().getGeneration();
    OrganizationStatus previous = org.getStatus();

    List<String> invalid = NamespaceGuardrails.problems(org);
    if (!invalid.isEmpty()) {
      log.warn("event=organization_invalid organization={} problems=\"{}\"", name, String.join("; ", invalid));
      statuses.write(org, OrganizationStatuses.invalid(previous, generation, invalid, clock.instant()), context);
      return UpdateControl.noUpdate();
    }

    NamespaceClaims claims = NamespaceClaims.of(org, caches::listing, caches::namespaceState);
    List<String> applied = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (String namespace : claims.managed()) {
      try {
        applier.apply(guardrails.resourceQuota(org, namespace), LiveQuantities::inQuota);
        applier.apply(guardrails.limitRange(org, namespace), LiveQuantities::inLimitRange);
        applier.apply(guardrails.defaultDeny(org, namespace));
        labeler.ensure(namespace, NamespaceGuardrails.namespaceLabels(org));
        applied.add(namespace);
      } catch (RuntimeException e) {
        log.warn("event=guardrails_failed organization={} namespace={} error=\"{}\"", name, namespace, brief(e));
        failures.add("namespace '" + namespace + "': could not apply its guardrails: " + brief(e));
      }
    }
    failures.addAll(release(name, Set.copyOf(claims.managed())));

    OrganizationStatus next = OrganizationStatuses.observed(
        previous, generation, applied, claims.problems(), failures, clock.instant());
    if (OrganizationStatuses.differs(previous, next)) {
      log.info("event=organization_status organization={} namespaces={} problems=\"{}\"", name, applied,
          String.join("; ", claims.problems()));
    }
    statuses.write(org, next, context);
    if (!failures.isEmpty()) {
      throw new GuardrailsNotApplied(String.join("; ", failures)); // JOSDK retries with backoff
    }
    return UpdateControl.noUpdate();
  }

  @Override
  public DeleteControl cleanup(Organization org, Context<Organization> context) {
    String name = org.getMetadata().getName();
    Set<String> namespaces = new LinkedHashSet<>();
    if (org.getStatus() != null && org.getStatus().namespaces() != null) {
      namespaces.addAll(org.getStatus().namespaces());
    }
    namespaces.addAll(NamespaceClaims.listed(org));
    caches.namespacesLabelledFor(name).forEach(n -> namespaces.add(n.getMetadata().getName()));
    List<HasMetadata> made = caches.madeFor(name);
    made.forEach(applier::delete);
    // The cache may lag behind our own creates: find by label in each namespace as well. One by
    // one: a labelled collection delete needs the deletecollection verb, which the RBAC does not grant.
    for (String namespace : namespaces) {
      if (caches.namespaceState(namespace) == InstanceValidator.NamespaceState.MISSING) {
        continue;
      }
      for (Class<? extends HasMetadata> kind : OrganizationCaches.MANAGED_KINDS) {
        client.resources(kind).inNamespace(namespace).withLabel(BdkLabels.ORGANIZATION, name).list().getItems()
            .forEach(applier::delete);
      }
      if (labelledFor(namespace, name)) {
        labeler.release(namespace, NamespaceGuardrails.NAMESPACE_LABELS);
      }
    }
    log.info("event=organization_cleaned_up organization={} namespaces={} deleted={}", name, namespaces, made.size());
    return DeleteControl.defaultDelete();
  }

  @Override
  public ErrorStatusUpdateControl<Organization> updateErrorStatus(
      Organization org, Context<Organization> context, Exception e) {
    int attempt = context.getRetryInfo().map(RetryInfo::getAttemptCount).orElse(1);
    boolean lastAttempt = context.getRetryInfo().map(RetryInfo::isLastAttempt).orElse(true);
    log.warn("event=organization_reconcile_failed organization={} attempt={} last={} error=\"{}\"",
        org.getMetadata().getName(), attempt, lastAttempt, brief(e));
    if (!(e instanceof GuardrailsNotApplied)) {
      // Anything else (an API error before any namespace was tried): say so, keep what is managed.
      List<String> managed = org.getStatus() == null || org.getStatus().namespaces() == null
          ? List.of() : org.getStatus().namespaces();
      try {
        statuses.write(org, OrganizationStatuses.observed(org.getStatus(), org.getMetadata().getGeneration(), managed,
            List.of(), List.of("could not reconcile the organization: " + brief(e)), clock.instant()), context);
      } catch (RuntimeException writeFailed) {
        log.warn("event=organization_status_failed organization={} error=\"{}\"", org.getMetadata().getName(), brief(writeFailed));
      }
    }
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  /**
   * Deletes what was made for Organization {@code name} outside {@code managed} and takes its labels
   * off those namespaces (they left its list, disappeared, or went to an older Organization).
   * Returns the failures.
   */
  private List<String> release(String name, Set<String> managed) {
    List<String> failures = new ArrayList<>();
    for (HasMetadata made : caches.madeFor(name)) {
      if (!managed.contains(made.getMetadata().getNamespace())) {
        try {
          applier.delete(made);
        } catch (RuntimeException e) {
          failures.add("namespace '" + made.getMetadata().getNamespace() + "': could not delete " + made.getKind()
              + " " + made.getMetadata().getName() + ": " + brief(e));
        }
      }
    }
    for (Namespace namespace : caches.namespacesLabelledFor(name)) {
      String n = namespace.getMetadata().getName();
      if (!managed.contains(n)) {
        try {
          labeler.release(n, NamespaceGuardrails.NAMESPACE_LABELS);
          log.info("event=namespace_released organization={} namespace={}", name, n);
        } catch (RuntimeException e) {
          failures.add("namespace '" + n + "': could not take its labels off: " + brief(e));
        }
      }
    }
    return failures;
  }

  private boolean labelledFor(String namespace, String organization) {
    return caches.namespace(namespace)
        .map(n -> n.getMetadata().getLabels())
        .map(labels -> organization.equals(labels.get(BdkLabels.ORGANIZATION)))
        .orElse(false);
  }

  private static String brief(Exception e) {
    String message = Objects.toString(e.getMessage(), e.getClass().getSimpleName());
    return message.length() > MAX_ERROR ? message.substring(0, MAX_ERROR) + "…" : message;
  }
}
