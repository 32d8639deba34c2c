package io.voyager.bdk.library;

import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.model.Quantities;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Whether an Organization has room for what a request adds, quota by quota. Pure. A quota left out
 * of the Organization is unlimited. An answer names each quota exceeded, its limit, the use and what
 * was asked, e.g. {@code quota max_instances of organization 'acme' exceeded: limit 2, in use 2,
 * requested 1}.
 */
final class QuotaCheck {
  private QuotaCheck() {}

  private static final BigDecimal MILLI = new BigDecimal("0.001");
  private static final long KI = 1024;

  /**
   * The quotas {@code requested} would exceed on top of {@code inUse} (empty: room for it).
   *
   * @throws ApiException FAILED_PRECONDITION when a CPU or memory quota of the Organization is not a
   *     quantity (it cannot be enforced, so nothing is admitted until an operator fixes it)
   */
  static List<ApiException.QuotaViolation> exceeded(Organization org, InstanceCharge inUse, InstanceCharge requested) {
    String id = org.getSpec().organizationId();
    OrganizationSpec.Quotas q = org.getSpec().quotas();
    List<ApiException.QuotaViolation> over = new ArrayList<>();
    if (q == null) {
      return over;
    }
    count(id, "max_instances", q.maxInstances(), inUse.instances(), requested.instances(), over);
    if (q.maxReplicasPerInstance() != null && requested.replicas() > 0 && requested.replicas() > q.maxReplicasPerInstance()) {
      over.add(violation(id, "max_replicas_per_instance", "limit " + q.maxReplicasPerInstance() + ", requested "
          + requested.replicas() + " (deployment.replicas, or deployment.scaling.max_replicas when it autoscales)"));
    }
    count(id, "max_total_replicas", q.maxTotalReplicas(), inUse.replicas(), requested.replicas(), over);
    amount(org, "requests_cpu", q.requestsCpu(), inUse.cpu(), requested.cpu(), QuotaCheck::cpu, over);
    amount(org, "requests_memory", q.requestsMemory(), inUse.memory(), requested.memory(), QuotaCheck::memory, over);
    count(id, "max_webhook_integrations", q.maxWebhookIntegrations(), inUse.webhooks(), requested.webhooks(), over);
    return over;
  }

  /**
   * The quotas an update from {@code before} to {@code after} would exceed on top of {@code others}
   * (the use of the Organization's other instances). Only what grows is checked — replicas, CPU,
   * memory, webhooks — so a decrease always passes, even when a lowered quota leaves the
   * Organization over it; an update never adds an instance. The message's "requested" is the
   * instance's new amount.
   *
   * @throws ApiException FAILED_PRECONDITION as {@link #exceeded}
   */
  static List<ApiException.QuotaViolation> exceededByIncrease(Organization org, InstanceCharge others,
      InstanceCharge before, InstanceCharge after) {
    InstanceCharge grown = new InstanceCharge(0,
        after.replicas() > before.replicas() ? after.replicas() : 0,
        after.cpu().compareTo(before.cpu()) > 0 ? after.cpu() : BigDecimal.ZERO,
        after.memory().compareTo(before.memory()) > 0 ? after.memory() : BigDecimal.ZERO,
        after.webhooks() > before.webhooks() ? after.webhooks() : 0);
    return exceeded(org, others, grown);
  }

  static boolean grows(InstanceCharge before, InstanceCharge after) {
    return after.replicas() > before.replicas() || after.cpu().compareTo(before.cpu()) > 0
        || after.memory().compareTo(before.memory()) > 0 || after.webhooks() > before.webhooks();
  }

  private static void count(String id, String quota, Integer limit, int inUse, int requested,
      List<ApiException.QuotaViolation> over) {
    if (limit != null && requested > 0 && (long) inUse + requested > limit) {
      over.add(violation(id, quota, "limit " + limit + ", in use " + inUse + ", requested " + requested));
    }
  }

  private static void amount(Organization org, String quota, String limit, BigDecimal inUse, BigDecimal requested,
      Function<BigDecimal, String> format, List<ApiException.QuotaViolation> over) {
    if (limit == null) {
      return;
    }
    Optional<String> problem = Quantities.problem(limit);
    if (problem.isPresent()) {
      throw ApiException.failedPrecondition("organization_id", "quota " + quota + " of organization "
          + RequestValidator.quoted(org.getSpec().organizationId()) + " " + problem.get()
          + "; nothing is admitted until an operator fixes the Organization");
    }
    BigDecimal max = Quantities.parse(limit);
    if (requested.signum() > 0 && inUse.add(requested).compareTo(max) > 0) {
      over.add(violation(org.getSpec().organizationId(), quota,
          "limit " + limit + ", in use " + format.apply(inUse) + ", requested " + format.apply(requested)));
    }
  }

  private static ApiException.QuotaViolation violation(String id, String quota, String numbers) {
    return new ApiException.QuotaViolation("organization:" + id,
        "quota " + quota + " of organization " + RequestValidator.quoted(id) + " exceeded: " + numbers);
  }

  /** Cores as Kubernetes writes them: whole cores plainly, else millicores ({@code 1500m}). */
  static String cpu(BigDecimal cores) {
    BigDecimal c = cores.stripTrailingZeros();
    if (c.scale() <= 0) {
      return c.toPlainString();
    }
    return cores.divide(MILLI).setScale(0, RoundingMode.CEILING).toPlainString() + "m";
  }

  /** Bytes in the largest binary unit that divides them ({@code 768Mi}), else bytes. */
  static String memory(BigDecimal bytes) {
    BigDecimal b = bytes.setScale(0, RoundingMode.CEILING);
    String[] units = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
    for (int i = 0; i < units.length; i++) {
      BigDecimal unit = BigDecimal.valueOf(KI).pow(units.length - i);
      if (b.signum() > 0 && b.remainder(unit).signum() == 0) {
        return b.divide(unit).toPlainString() + units[i];
      }
    }
    return b.toPlainString();
  }
}
