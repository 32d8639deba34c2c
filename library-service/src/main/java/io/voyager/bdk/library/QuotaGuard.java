package io.voyager.bdk.library;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import java.net.HttpURLConnection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates an instance only within its Organization's quotas, even when several library replicas
 * create for the same Organization at once — with no lock service, only the API server's
 * compare-and-swap on one object per Organization: the Lease {@code bdk-quota-<organization>} in
 * the library's namespace, whose resourceVersion changes with every confirmed create (its {@code
 * leaseTransitions} counts them, {@code holderIdentity} names the last). It is a version counter,
 * not a lock: nobody waits on it.
 *
 * <p>A create: (S) reads the Lease from the API server; (L) lists the Organization's live instances
 * from the API server (a quorum read, by the customer-namespace label) and sums their charges,
 * leaving out its own instance if written; (C) checks the quotas, and refuses with
 * RESOURCE_EXHAUSTED (deleting its own instance if written); (W) writes the instance, once; (X)
 * replaces the Lease conditioned on the resourceVersion S read. If X fails, another create was
 * confirmed meanwhile: back to S, at most {@link #ATTEMPTS} times, then ABORTED (its instance deleted).
 *
 * <p>Why two confirmed creates never overrun a quota together: confirmations are successful
 * compare-and-swaps of one object, so they are totally ordered; take two, A's before B's. B's X
 * succeeded on what its last S read, so nothing replaced the Lease between that S and B's X — and
 * A's X did, so A's X came before B's last S. A wrote its instance before its X, so before B's last
 * L, which therefore counted it. So every confirmed create was checked against all the creates
 * confirmed before it (and, conservatively, against unconfirmed ones it saw). Deletes only lower the
 * use and need no step. {@link QuotaGuardRaceTest} drives the interleavings.
 *
 * <p>Limit: a replica that dies between W and X leaves its instance unconfirmed but in place; a
 * concurrent create may then have been confirmed without counting it, overrunning by that one
 * instance (the namespace's ResourceQuota from the book-controller still caps CPU, memory and pods).
 */
final class QuotaGuard {
  private static final Logger log = LoggerFactory.getLogger(QuotaGuard.class);
  static final int ATTEMPTS = 5;

  private final KubernetesClient client;
  private final String namespace;
  private final InstanceRepository instances;
  private final QuotaCheckpoints checkpoints;

  QuotaGuard(KubernetesClient client, String namespace, InstanceRepository instances, QuotaCheckpoints checkpoints) {
    this.client = client;
    this.namespace = namespace;
    this.instances = instances;
    this.checkpoints = checkpoints;
  }

  /**
   * Writes (with {@code write}) an instance charging {@code requested} to {@code org}, whose
   * namespaces are {@code namespaces}, if its quotas have room.
   */
  BookInstanceDefinition create(Organization org, List<String> namespaces, InstanceCharge requested,
      Supplier<BookInstanceDefinition> write) {
    if (!hasQuotas(org.getSpec().quotas())) {
      return write.get();
    }
    String organizationId = org.getSpec().organizationId();
    String leaseName = ResourceNames.quotaLease(org.getMetadata().getName());
    BookInstanceDefinition written = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Lease lease = readOrCreateLease(leaseName, organizationId);
      InstanceCharge inUse = usage(namespaces, written);
      checkpoints.afterUsageCounted(organizationId);
      List<ApiException.QuotaViolation> over;
      try {
        over = QuotaCheck.exceeded(org, inUse, requested);
      } catch (ApiException e) {
        throw rolledBack(written, e);
      }
      if (!over.isEmpty()) {
        log.info("event=quota_exceeded organization={} attempt={} quotas={}", LogValues.of(organizationId), attempt,
            over.size());
        throw rolledBack(written, ApiException.resourceExhausted(over));
      }
      if (written == null) {
        written = write.get();
        checkpoints.beforeConfirm(organizationId);
      }
      if (confirm(lease, written.getMetadata().getName())) {
        return written;
      }
      log.info("event=quota_confirm_retry organization={} attempt={}", LogValues.of(organizationId), attempt);
    }
    throw rolledBack(written, ApiException.aborted("organization_id", "organization "
        + RequestValidator.quoted(organizationId) + " had too many concurrent creates to confirm this one; try again"));
  }

  /**
   * Writes (with {@code write}) an update of the instance named {@code instanceName}, whose charge
   * goes from {@code before} to {@code after}, in the same protocol as {@link #create}: when the
   * charge grows anywhere it is checked against the use of the Organization's other instances and
   * confirmed on the Lease after the write; {@code undo} puts the instance back as it was when the
   * check fails after the write, or the confirmation keeps losing. A charge that does not grow is
   * written directly. {@code write} may throw (e.g. the instance changed meanwhile): nothing was
   * written then, and the exception is the caller's.
   */
  BookInstanceDefinition update(Organization org, List<String> namespaces, String instanceName, InstanceCharge before,
      InstanceCharge after, Supplier<BookInstanceDefinition> write, Consumer<BookInstanceDefinition> undo) {
    if (!QuotaCheck.grows(before, after) || !hasQuotas(org.getSpec().quotas())) {
      return write.get();
    }
    String organizationId = org.getSpec().organizationId();
    String leaseName = ResourceNames.quotaLease(org.getMetadata().getName());
    BookInstanceDefinition written = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Lease lease = readOrCreateLease(leaseName, organizationId);
      InstanceCharge others = usage(namespaces, instanceName);
      checkpoints.afterUsageCounted(organizationId);
      List<ApiException.QuotaViolation> over;
      try {
        over = QuotaCheck.exceededByIncrease(org, others, before, after);
      } catch (ApiException e) {
        throw undone(written, undo, e);
      }
      if (!over.isEmpty()) {
        log.info("event=quota_exceeded organization={} attempt={} quotas={} method=update", LogValues.of(organizationId),
            attempt, over.size());
        throw undone(written, undo, ApiException.resourceExhausted(over));
      }
      if (written == null) {
        written = write.get();
        checkpoints.beforeConfirm(organizationId);
      }
      if (confirm(lease, written.getMetadata().getName())) {
        return written;
      }
      log.info("event=quota_confirm_retry organization={} attempt={} method=update", LogValues.of(organizationId), attempt);
    }
    throw undone(written, undo, ApiException.aborted("organization_id", "organization "
        + RequestValidator.quoted(organizationId) + " had too many concurrent changes to confirm this one; try again"));
  }

  private static ApiException undone(BookInstanceDefinition written, Consumer<BookInstanceDefinition> undo,
      ApiException answer) {
    if (written != null) {
      undo.accept(written);
    }
    return answer;
  }

  /** The use of {@code namespaces}' live instances, without {@code own} (this create's, once written). */
  private InstanceCharge usage(List<String> namespaces, BookInstanceDefinition own) {
    return usage(namespaces, own == null ? null : own.getMetadata().getName());
  }

  /** The use of {@code namespaces}' live instances, without the one named {@code ownName} (when not null). */
  private InstanceCharge usage(List<String> namespaces, String ownName) {
    Map<String, BookInstanceDefinition> live = instances.liveInNamespaces(namespaces);
    if (ownName != null) {
      live.remove(ownName);
    }
    InstanceCharge sum = InstanceCharge.NONE;
    for (BookInstanceDefinition i : live.values()) {
      if (i.getSpec() != null) {
        sum = sum.plus(InstanceCharge.of(i.getSpec()));
      }
    }
    return sum;
  }

  private Lease readOrCreateLease(String name, String organizationId) {
    Lease current = client.leases().inNamespace(namespace).withName(name).get();
    if (current != null) {
      return current;
    }
    Lease fresh = new LeaseBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace)
        .addToLabels(BdkLabels.MANAGED_BY, ResourceMapper.MANAGER)
        .addToAnnotations(BdkLabels.ORGANIZATION_ID, organizationId)
        .endMetadata()
        .withNewSpec().withLeaseTransitions(0).endSpec()
        .build();
    try {
      return client.leases().inNamespace(namespace).resource(fresh).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return Optional.ofNullable(client.leases().inNamespace(namespace).withName(name).get())
            .orElseThrow(() -> e);
      }
      throw e;
    }
  }

  /** Replaces the Lease read earlier, only if it is unchanged since (its resourceVersion); false otherwise. */
  private boolean confirm(Lease read, String instanceName) {
    int transitions = read.getSpec() == null || read.getSpec().getLeaseTransitions() == null
        ? 0 : read.getSpec().getLeaseTransitions();
    Lease next = new LeaseBuilder(read)
        .editOrNewSpec().withHolderIdentity(instanceName).withLeaseTransitions(transitions + 1).endSpec()
        .build();
    try {
      client.leases().inNamespace(namespace).resource(next).update();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT || e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  private ApiException rolledBack(BookInstanceDefinition written, ApiException answer) {
    if (written != null) {
      instances.delete(written);
      log.info("event=instance_rolled_back resource={} reason=\"{}\"", written.getMetadata().getName(), answer.getMessage());
    }
    return answer;
  }

  private static boolean hasQuotas(OrganizationSpec.Quotas q) {
    return q != null && (q.maxInstances() != null || q.maxReplicasPerInstance() != null || q.maxTotalReplicas() != null
        || q.requestsCpu() != null || q.requestsMemory() != null || q.maxWebhookIntegrations() != null);
  }
}
