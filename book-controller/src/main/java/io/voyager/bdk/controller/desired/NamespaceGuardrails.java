package io.voyager.bdk.controller.desired;

import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.LimitRangeBuilder;
import io.fabric8.kubernetes.api.model.LimitRangeItem;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookPodDefaults;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.model.Quantities;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What an Organization puts on each customer namespace it lists — pure: the same Organization and
 * settings always give the same objects.
 *
 * <ul>
 *   <li><b>ResourceQuota {@value #QUOTA}</b> — from the Organization's quotas; a quota left out
 *       sets no key (no limit for that resource):
 *       <ul>
 *         <li>{@code requests.cpu} / {@code requests.memory} = {@code requests_cpu} /
 *             {@code requests_memory};</li>
 *         <li>{@code pods} = {@code max_total_replicas} plus room for rolling updates
 *             ({@link #podHeadroom}): a Deployment rolls out with up to 25 % (rounded up) more pods
 *             than its replicas. Tailscale runs as a sidecar in the book's pod, so it adds no pods;</li>
 *         <li>{@code count/deployments.apps} and {@code services} = {@code max_instances} (each
 *             instance has at most one Deployment and one Service; shared instances share them);</li>
 *         <li>always {@code services.loadbalancers}, {@code services.nodeports} and
 *             {@code persistentvolumeclaims} = 0: a book is reached only through the gateway and
 *             keeps no volumes, so these could only bypass the gateway or take the cluster's
 *             storage.</li>
 *       </ul>
 *       The library enforces each quota over all the Organization's namespaces together; each
 *       namespace's ResourceQuota is the cluster's own backstop, so it carries the whole value (an
 *       Organization with k namespaces is bounded by k times its quota in the cluster, and by its
 *       quota through the API).</li>
 *   <li><b>LimitRange {@value #LIMITS}</b> — for containers: default requests and limits
 *       ({@link BookPodDefaults}) for a container that sets none, since a ResourceQuota on requests
 *       refuses pods whose containers have none; and a per-container maximum of the Organization's
 *       {@code requests_cpu} / {@code requests_memory} (no container may exceed its whole
 *       organization), which is also the default CPU limit (the API server would default it to the
 *       maximum anyway). Defaults above that maximum are cut to it.</li>
 *   <li><b>NetworkPolicy {@value #DEFAULT_DENY}</b> — every pod of the namespace: no ingress, egress
 *       only to the cluster DNS pods on port 53. Each book's own policies
 *       ({@link WorkloadFactory#networkPolicy}, {@link WorkloadFactory#egressPolicy}) add what
 *       that book needs.</li>
 *   <li><b>Namespace labels</b> — Pod Security Admission {@code restricted} for enforce, audit and
 *       warn ({@link #POD_SECURITY_VERSION} versions), and {@link BdkLabels#ORGANIZATION}.</li>
 * </ul>
 * Each object carries {@link BdkLabels#ORGANIZATION} (owner references cannot cross namespaces).
 * The names are the same for every Organization, so a namespace that changes hands keeps one set.
 */
public final class NamespaceGuardrails {
  public static final String QUOTA = "bdk-quota";
  public static final String LIMITS = "bdk-limits";
  public static final String DEFAULT_DENY = "bdk-default-deny";
  public static final String COMPONENT = "guardrails";

  public static final String POD_SECURITY_LEVEL = "restricted";
  /** The Pod Security Standards version checked: the API server's own, so a cluster upgrade keeps it current. */
  public static final String POD_SECURITY_VERSION = "latest";
  public static final String PSS = "pod-security.kubernetes.io/";
  /** The namespace labels the controller owns there (and only these: others' labels stay). */
  public static final Set<String> NAMESPACE_LABELS = Set.of(
      PSS + "enforce", PSS + "enforce-version", PSS + "audit", PSS + "audit-version", PSS + "warn", PSS + "warn-version",
      BdkLabels.ORGANIZATION);

  private final ControllerSettings settings;

  public NamespaceGuardrails(ControllerSettings settings) {
    this.settings = settings;
  }

  /** What is wrong with the Organization's quotas, each naming its field; empty when they can be applied. */
  public static List<String> problems(Organization org) {
    List<String> problems = new ArrayList<>();
    OrganizationSpec.Quotas q = quotas(org);
    quantityProblem("spec.quotas.requests_cpu", q.requestsCpu()).ifPresent(problems::add);
    quantityProblem("spec.quotas.requests_memory", q.requestsMemory()).ifPresent(problems::add);
    negative("spec.quotas.max_instances", q.maxInstances()).ifPresent(problems::add);
    negative("spec.quotas.max_total_replicas", q.maxTotalReplicas()).ifPresent(problems::add);
    return problems;
  }

  /** The ResourceQuota for {@code namespace}; the Organization's quotas must be valid ({@link #problems}). */
  public ResourceQuota resourceQuota(Organization org, String namespace) {
    OrganizationSpec.Quotas q = quotas(org);
    Map<String, Quantity> hard = new LinkedHashMap<>();
    if (q.requestsCpu() != null) {
      hard.put("requests.cpu", new Quantity(q.requestsCpu()));
    }
    if (q.requestsMemory() != null) {
      hard.put("requests.memory", new Quantity(q.requestsMemory()));
    }
    if (q.maxTotalReplicas() != null) {
      hard.put("pods", count(q.maxTotalReplicas() + podHeadroom(q.maxTotalReplicas(), q.maxInstances())));
    }
    if (q.maxInstances() != null) {
      hard.put("count/deployments.apps", count(q.maxInstances()));
      hard.put("services", count(q.maxInstances()));
    }
    hard.put("services.loadbalancers", count(0));
    hard.put("services.nodeports", count(0));
    hard.put("persistentvolumeclaims", count(0));
    return new ResourceQuotaBuilder()
        .withMetadata(metadata(org, namespace, QUOTA))
        .withNewSpec().withHard(hard).endSpec()
        .build();
  }

  /**
   * Extra pods a rollout may need beyond {@code totalReplicas}: each Deployment surges by
   * ceil(25 % of its replicas), at most (r + 3) / 4 for r replicas; summed over at most
   * min(instances, totalReplicas) Deployments with replicas that is (total + 3 × deployments) / 4,
   * rounded up.
   */
  static long podHeadroom(int totalReplicas, Integer maxInstances) {
    long deployments = Math.min(maxInstances == null ? totalReplicas : maxInstances, totalReplicas);
    return (totalReplicas + 3L * deployments + 3) / 4;
  }

  /** The LimitRange for {@code namespace}; the Organization's quotas must be valid. */
  public LimitRange limitRange(Organization org, String namespace) {
    OrganizationSpec.Quotas q = quotas(org);
    Optional<String> maxCpu = positive(q.requestsCpu());
    Optional<String> maxMemory = positive(q.requestsMemory());
    Map<String, Quantity> max = new LinkedHashMap<>();
    Map<String, Quantity> defaultLimit = new LinkedHashMap<>();
    Map<String, Quantity> defaultRequest = new LinkedHashMap<>();
    maxCpu.ifPresent(cpu -> {
      max.put("cpu", new Quantity(cpu));
      defaultLimit.put("cpu", new Quantity(cpu));
    });
    maxMemory.ifPresent(memory -> max.put("memory", new Quantity(memory)));
    defaultLimit.put("memory", new Quantity(atMost(BookPodDefaults.MEMORY_LIMIT, maxMemory)));
    defaultRequest.put("cpu", new Quantity(atMost(BookPodDefaults.CPU_REQUEST, maxCpu)));
    defaultRequest.put("memory", new Quantity(atMost(BookPodDefaults.MEMORY_REQUEST, maxMemory)));
    LimitRangeItem container = new LimitRangeItem();
    container.setType("Container");
    container.setMax(max.isEmpty() ? null : max);
    container.setDefault(defaultLimit);
    container.setDefaultRequest(defaultRequest);
    return new LimitRangeBuilder()
        .withMetadata(metadata(org, namespace, LIMITS))
        .withNewSpec().withLimits(container).endSpec()
        .build();
  }

  /** Every pod of {@code namespace}: no ingress; egress only to the cluster DNS. */
  public NetworkPolicy defaultDeny(Organization org, String namespace) {
    return new NetworkPolicyBuilder()
        .withMetadata(metadata(org, namespace, DEFAULT_DENY))
        .withNewSpec()
        .withNewPodSelector().endPodSelector()
        .withPolicyTypes("Ingress", "Egress")
        .withEgress(WorkloadFactory.dnsEgress(settings))
        .endSpec()
        .build();
  }

  /** The labels {@code org} puts on each namespace it manages (a subset of {@link #NAMESPACE_LABELS}). */
  public static Map<String, String> namespaceLabels(Organization org) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (String mode : List.of("enforce", "audit", "warn")) {
      labels.put(PSS + mode, POD_SECURITY_LEVEL);
      labels.put(PSS + mode + "-version", POD_SECURITY_VERSION);
    }
    labels.put(BdkLabels.ORGANIZATION, org.getMetadata().getName());
    return labels;
  }

  /** Labels of every guardrail object made for {@code org}. */
  static Map<String, String> labels(Organization org) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(BdkLabels.MANAGED_BY, ManagedLabels.MANAGER);
    labels.put(ManagedLabels.COMPONENT, COMPONENT);
    labels.put(BdkLabels.ORGANIZATION, org.getMetadata().getName());
    return labels;
  }

  private static ObjectMeta metadata(Organization org, String namespace, String name) {
    ObjectMetaBuilder meta = new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels(org));
    if (org.getSpec() != null && org.getSpec().organizationId() != null) {
      meta.withAnnotations(Map.of(BdkLabels.ORGANIZATION_ID, org.getSpec().organizationId()));
    }
    return meta.build();
  }

  private static OrganizationSpec.Quotas quotas(Organization org) {
    OrganizationSpec spec = org.getSpec();
    return spec == null || spec.quotas() == null
        ? new OrganizationSpec.Quotas(null, null, null, null, null, null)
        : spec.quotas();
  }

  private static Optional<String> quantityProblem(String field, String value) {
    return value == null ? Optional.empty() : Quantities.problem(value).map(p -> field + ": " + p);
  }

  private static Optional<String> negative(String field, Integer value) {
    return value != null && value < 0 ? Optional.of(field + ": must not be negative; got " + value) : Optional.empty();
  }

  /** The quantity when it is above zero (a zero total leaves the maximum to the ResourceQuota, which then refuses every pod). */
  private static Optional<String> positive(String quantity) {
    return quantity != null && Quantities.parse(quantity).signum() > 0 ? Optional.of(quantity) : Optional.empty();
  }

  /** {@code value}, or {@code max} when that is smaller. */
  private static String atMost(String value, Optional<String> max) {
    if (max.isEmpty()) {
      return value;
    }
    BigDecimal limit = Quantities.parse(max.get());
    return Quantities.parse(value).compareTo(limit) > 0 ? max.get() : value;
  }

  private static Quantity count(long n) {
    return new Quantity(Long.toString(n));
  }
}
