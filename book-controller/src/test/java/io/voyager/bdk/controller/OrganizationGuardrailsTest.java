package io.voyager.bdk.controller;

import io.voyager.bdk.controller.apply.ResourceApplier;
import io.voyager.bdk.controller.desired.NamespaceGuardrails;
import io.voyager.bdk.controller.desired.WorkloadFactory;
import static io.voyager.bdk.controller.ControllerHarness.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.model.OrganizationSpec.Quotas;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An Organization's namespaces on a real kube-apiserver: the controller's ResourceQuota,
 * LimitRange, default-deny NetworkPolicy and Pod Security labels appear, hand edits are put back,
 * a namespace that leaves the Organization (or an Organization deleted) loses them; conflicts and
 * invalid quotas are named in the status while everything else is applied. Then the API server's
 * own admission — not our code — enforces them: PodSecurity refuses a privileged pod, ResourceQuota
 * a pod over the quota, while a pod made from the controller's book Deployment is admitted (a
 * server-side dry run: no controller-manager runs here to make pods from Deployments).
 */
class OrganizationGuardrailsTest extends ControllerOnRealApiTest {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  static final Quotas QUOTAS = new Quotas(10, 5, 20, "4", "8Gi", 20);
  @AfterEach
  void deleteOrganizations() {
    ControllerHarness.deleteAllInstances(client); // first: an Organization's namespaces may hold instances
    var organizations = client.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE);
    organizations.delete();
    await().atMost(WAIT).until(() -> organizations.list().getItems().isEmpty());
  }

  @Test
  void anOrganizationsNamespaceGetsItsGuardrails_andEveryHandEditIsPutBack() {
    String ns = namespace(Map.of("team", "ops"));
    createOrganization("acme", QUOTAS, ns);

    ResourceQuota quota = await().atMost(WAIT).until(() -> quota(ns), q -> q != null);
    assertThat(quota.getSpec().getHard()).containsEntry("requests.cpu", new Quantity("4"))
        .containsEntry("requests.memory", new Quantity("8Gi")).containsEntry("pods", new Quantity("33"))
        .containsEntry("services.loadbalancers", new Quantity("0"));
    LimitRange limits = await().atMost(WAIT).until(() -> limitRange(ns), l -> l != null);
    assertThat(limits.getSpec().getLimits().get(0).getDefaultRequest())
        .containsEntry("cpu", new Quantity("100m")).containsEntry("memory", new Quantity("256Mi"));
    NetworkPolicy deny = await().atMost(WAIT).until(() -> defaultDeny(ns), p -> p != null);
    assertThat(deny.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
    assertThat(deny.getSpec().getIngress()).isNullOrEmpty();
    await().atMost(WAIT).until(() -> labels(ns).entrySet().containsAll(pssLabels("acme").entrySet()));
    assertThat(labels(ns)).containsEntry("team", "ops");
    Condition ready = awaitReady("acme", "True");
    assertThat(ready.message()).isEqualTo("guardrails applied to 1 namespace(s): " + ns);
    assertThat(organization("acme").getStatus().namespaces()).containsExactly(ns);
    assertThat(organization("acme").getStatus().observedGeneration()).isEqualTo(organization("acme").getMetadata().getGeneration());
    double drift = controller.count(ResourceApplier.WRITES, "reason", "drift");

    // The quota loosened by hand, the LimitRange deleted, an allow-all ingress rule added, the
    // namespace's Pod Security level lowered and a version label removed: all put back.
    client.resourceQuotas().inNamespace(ns).withName(NamespaceGuardrails.QUOTA).edit(q -> {
      q.getSpec().getHard().put("requests.cpu", new Quantity("400"));
      q.getSpec().getHard().remove("pods");
      return q;
    });
    await().atMost(WAIT).until(() -> new Quantity("4").equals(quota(ns).getSpec().getHard().get("requests.cpu"))
        && quota(ns).getSpec().getHard().containsKey("pods"));

    client.limitRanges().inNamespace(ns).withName(NamespaceGuardrails.LIMITS).delete();
    await().atMost(WAIT).until(() -> limitRange(ns) != null);

    client.network().v1().networkPolicies().inNamespace(ns).withName(NamespaceGuardrails.DEFAULT_DENY).edit(p -> {
      p.getSpec().setIngress(List.of(new NetworkPolicyIngressRule()));
      return p;
    });
    await().atMost(WAIT).until(() -> defaultDeny(ns).getSpec().getIngress().isEmpty());

    client.namespaces().withName(ns).edit(n -> {
      n.getMetadata().getLabels().put("pod-security.kubernetes.io/enforce", "privileged");
      n.getMetadata().getLabels().remove("pod-security.kubernetes.io/warn-version");
      n.getMetadata().getLabels().put("cost-center", "42");
      return n;
    });
    await().atMost(WAIT).until(() -> labels(ns).entrySet().containsAll(pssLabels("acme").entrySet()));
    assertThat(labels(ns)).containsEntry("team", "ops").containsEntry("cost-center", "42");
    assertThat(controller.count(ResourceApplier.WRITES, "reason", "drift")).isGreaterThanOrEqualTo(drift + 3);
  }

  @Test
  void aNamespaceThatLeavesTheOrganizationLosesItsGuardrails_andDeletingTheOrganizationCleansUp() {
    String kept = namespace(Map.of());
    String left = namespace(Map.of("team", "ops"));
    createOrganization("acme", QUOTAS, kept, left);
    awaitGuardrails(kept, "acme");
    awaitGuardrails(left, "acme");

    updateNamespaces("acme", List.of(kept));
    await().atMost(WAIT).until(() -> noGuardrails(left));
    assertThat(labels(left)).containsEntry("team", "ops"); // others' labels stay
    await().atMost(WAIT).until(() -> List.of(kept).equals(organization("acme").getStatus().namespaces()));
    assertThat(quota(kept)).isNotNull();

    client.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName("acme").delete();
    await().atMost(WAIT).until(() -> organization("acme") == null);
    assertThat(noGuardrails(kept)).isTrue();
    assertThat(labels(kept)).doesNotContainKeys(NamespaceGuardrails.NAMESPACE_LABELS.toArray(String[]::new));
  }

  @Test
  void missingAndAlreadyListedNamespacesAreNamed_theOthersApplied_andTheOlderOrganizationsNamespacePassesOnWhenItGoes() {
    String shared = namespace(Map.of());
    String own = namespace(Map.of());
    String later = "customer-org-later-" + SEQUENCE.incrementAndGet();
    createOrganization("a-older", QUOTAS, shared);
    awaitGuardrails(shared, "a-older");
    createOrganization("b-younger", new Quotas(2, 2, 4, "1", "1Gi", 2), shared, own, later);

    Condition ready = awaitReady("b-younger", "False");
    assertThat(ready.reason()).isEqualTo("NamespaceUnavailable");
    assertThat(ready.message()).contains(
        "namespace '" + shared + "' is already listed by Organization 'a-older', which is older and keeps it",
        "namespace '" + later + "' does not exist");
    awaitGuardrails(own, "b-younger");
    assertThat(labels(shared)).containsEntry(BdkLabels.ORGANIZATION, "a-older");
    assertThat(quota(shared).getSpec().getHard()).containsEntry("requests.cpu", new Quantity("4"));

    // The older one goes: the younger takes the namespace over; the missing namespace appears: Ready.
    client.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName("a-older").delete();
    await().atMost(WAIT).until(() -> "b-younger".equals(labels(shared).get(BdkLabels.ORGANIZATION))
        && quota(shared) != null && new Quantity("1").equals(quota(shared).getSpec().getHard().get("requests.cpu")));
    Fixtures.namespace(client, later);
    awaitReady("b-younger", "True");
    awaitGuardrails(later, "b-younger");
    assertThat(organization("b-younger").getStatus().namespaces()).containsExactly(shared, own, later);
  }

  /**
   * The CRD schema carries the quantity rule (bdk-model's Quantities.PATTERN, CrdSchemaAgreementTest),
   * so the API server refuses an invalid quota naming the field and the Organization keeps what it
   * had. (One stored before the schema had the pattern is still named in the status by the
   * controller: NamespaceGuardrailsTest, OrganizationStatusesTest.)
   */
  @Test
  void anInvalidQuantityIsRefusedNamingTheField_nothingOfThatOrganizationChanges_othersAreUnaffected() {
    String ns = namespace(Map.of());
    String added = namespace(Map.of());
    String other = namespace(Map.of());
    createOrganization("acme", QUOTAS, ns);
    awaitGuardrails(ns, "acme");
    awaitReady("acme", "True");

    OrganizationSpec spec = organization("acme").getSpec();
    KubernetesClientException refused = org.junit.jupiter.api.Assertions.assertThrows(KubernetesClientException.class,
        () -> client.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName("acme").edit(o -> {
          o.setSpec(new OrganizationSpec(spec.organizationId(), null, List.of(ns, added),
              new Quotas(10, 5, 20, "four cores", "8Gi", 20)));
          return o;
        }));
    assertThat(refused.getCode()).isEqualTo(422);
    assertThat(refused.getMessage()).contains("spec.quotas.requests_cpu").contains("four cores");
    createOrganization("globex", QUOTAS, other);

    awaitGuardrails(other, "globex");
    awaitReady("globex", "True");
    // Nothing of acme changed: its spec, its namespace's quota; the namespace it tried to add got nothing.
    assertThat(organization("acme").getSpec()).isEqualTo(spec);
    assertThat(readyCondition("acme")).hasValueSatisfying(c -> assertThat(c.status()).isEqualTo("True"));
    assertThat(quota(ns).getSpec().getHard()).containsEntry("requests.cpu", new Quantity("4"));
    assertThat(noGuardrails(added)).isTrue();
  }

  @Test
  void theApiServersAdmissionEnforcesThem_whileTheControllersBookPodsAreAdmitted() {
    String ns = namespace(Map.of());
    createOrganization("acme", new Quotas(4, 4, 8, "2", "4Gi", 4), ns);
    awaitGuardrails(ns, "acme");
    reportQuotaStatusAsTheQuotaControllerWould(ns);

    // A book instance without resources (LimitRange defaults) and one with resources and Tailscale.
    var base = Fixtures.spec(ns, "primary");
    var plain = new BookInstanceDefinitionSpec(base.bookRef(), base.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", 1, null, null), null,
        base.credentials(), base.configuration(), base.webhooks());
    var withTailscale = Fixtures.withTailscale(base, new BookInstanceDefinitionSpec.Tailscale(true, "acme", List.of("book"), null));
    ControllerHarness.create(client, Fixtures.instance("plain", plain));
    ControllerHarness.create(client, Fixtures.instance("tailnet", withTailscale));
    for (String name : List.of("plain", "tailnet")) {
      Deployment deployment = ControllerHarness.awaitDeployment(client, ns, name);
      Pod admitted = client.pods().inNamespace(ns).resource(podFrom(deployment)).dryRun().create();
      assertThat(admitted.getSpec().getContainers()).allSatisfy(c -> assertThat(c.getResources().getRequests())
          .containsKeys("cpu", "memory"));
    }
    Pod plainPod = client.pods().inNamespace(ns).resource(podFrom(ControllerHarness.awaitDeployment(client, ns, "plain")))
        .dryRun().create();
    assertThat(plainPod.getSpec().getContainers().get(0).getResources().getRequests())
        .containsEntry("cpu", new Quantity("100m")).containsEntry("memory", new Quantity("256Mi"));

    // PodSecurity "restricted" refuses a privileged pod.
    Pod privileged = pod(ns, "privileged", new ContainerBuilder().withName("c").withImage("busybox")
        .withNewSecurityContext().withPrivileged(true).endSecurityContext().build());
    KubernetesClientException pss = await().atMost(WAIT).until(() -> refusal(privileged), Optional::isPresent).orElseThrow();
    assertThat(pss.getCode()).isEqualTo(403);
    assertThat(pss.getMessage()).contains("violates PodSecurity \"restricted:latest\"");

    // ResourceQuota: 1500m admitted, then 1 more CPU is over the 2 CPU quota.
    client.pods().inNamespace(ns).resource(pod(ns, "first", restrictedContainer("1500m"))).create();
    Pod over = pod(ns, "over", restrictedContainer("1"));
    KubernetesClientException quota = await().atMost(WAIT).until(() -> refusal(over), Optional::isPresent).orElseThrow();
    assertThat(quota.getCode()).isEqualTo(403);
    assertThat(quota.getMessage()).contains("exceeded quota: " + NamespaceGuardrails.QUOTA).contains("requests.cpu");
  }

  // ---- helpers ----

  /** A fresh customer namespace (a real API server never finishes deleting one). */
  private String namespace(Map<String, String> labels) {
    String name = "customer-org-" + SEQUENCE.incrementAndGet();
    client.resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName(name)
        .withLabels(labels).endMetadata().build()).create();
    return name;
  }

  private void createOrganization(String name, Quotas quotas, String... namespaces) {
    client.resource(Fixtures.organization(name, quotas, namespaces)).create();
  }

  private void updateNamespaces(String name, List<String> namespaces) {
    OrganizationSpec s = organization(name).getSpec();
    replaceSpec(name, new OrganizationSpec(s.organizationId(), s.displayName(), namespaces, s.quotas()));
  }

  /** Replaces the spec; the controller writes status concurrently, so retry on 409 as any client would. */
  private void replaceSpec(String name, OrganizationSpec spec) {
    await().atMost(WAIT).ignoreExceptions().until(() -> client.resources(Organization.class)
        .inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).edit(o -> {
          o.setSpec(spec);
          return o;
        }) != null);
  }

  private Organization organization(String name) {
    return client.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).get();
  }

  private Optional<Condition> readyCondition(String name) {
    Organization o = organization(name);
    if (o == null || o.getStatus() == null || o.getStatus().conditions() == null
        || !o.getMetadata().getGeneration().equals(o.getStatus().observedGeneration())) {
      return Optional.empty();
    }
    return o.getStatus().conditions().stream().filter(c -> "Ready".equals(c.type())).findFirst();
  }

  private Condition awaitReady(String name, String status) {
    return await().atMost(WAIT).until(() -> readyCondition(name), c -> c.isPresent() && status.equals(c.get().status()))
        .orElseThrow();
  }

  private void awaitGuardrails(String ns, String organization) {
    Predicate<io.fabric8.kubernetes.api.model.HasMetadata> forIt =
        o -> o != null && organization.equals(o.getMetadata().getLabels().get(BdkLabels.ORGANIZATION));
    await().atMost(WAIT).until(() -> forIt.test(quota(ns)) && forIt.test(limitRange(ns)) && forIt.test(defaultDeny(ns))
        && labels(ns).entrySet().containsAll(pssLabels(organization).entrySet()));
  }

  private boolean noGuardrails(String ns) {
    return quota(ns) == null && limitRange(ns) == null && defaultDeny(ns) == null
        && labels(ns).keySet().stream().noneMatch(NamespaceGuardrails.NAMESPACE_LABELS::contains);
  }

  private static Map<String, String> pssLabels(String organization) {
    Organization o = new Organization();
    o.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(organization).build());
    return NamespaceGuardrails.namespaceLabels(o);
  }

  private ResourceQuota quota(String ns) {
    return client.resourceQuotas().inNamespace(ns).withName(NamespaceGuardrails.QUOTA).get();
  }

  private LimitRange limitRange(String ns) {
    return client.limitRanges().inNamespace(ns).withName(NamespaceGuardrails.LIMITS).get();
  }

  private NetworkPolicy defaultDeny(String ns) {
    return client.network().v1().networkPolicies().inNamespace(ns).withName(NamespaceGuardrails.DEFAULT_DENY).get();
  }

  private Map<String, String> labels(String ns) {
    Namespace n = client.namespaces().withName(ns).get();
    return n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
  }

  /**
   * ResourceQuota admission checks {@code status.hard} and {@code status.used}, which the quota
   * controller in kube-controller-manager fills in; none runs beside this API server, so report
   * them as it would for an empty namespace (admission then keeps {@code used} up to date itself).
   */
  private void reportQuotaStatusAsTheQuotaControllerWould(String ns) {
    await().atMost(WAIT).ignoreExceptions().until(() -> {
      ResourceQuota q = quota(ns);
      Map<String, Quantity> used = new HashMap<>();
      q.getSpec().getHard().keySet().forEach(k -> used.put(k, new Quantity("0")));
      q.setStatus(new ResourceQuotaStatusBuilder().withHard(q.getSpec().getHard()).withUsed(used).build());
      return client.resource(q).updateStatus() != null;
    });
  }

  /** A pod as the ReplicaSet controller would make it from the Deployment's template. */
  private static Pod podFrom(Deployment deployment) {
    var template = deployment.getSpec().getTemplate();
    return new PodBuilder()
        .withNewMetadata()
        .withName(deployment.getMetadata().getName() + "-dry-run")
        .withNamespace(deployment.getMetadata().getNamespace())
        .withLabels(template.getMetadata().getLabels())
        .withAnnotations(template.getMetadata().getAnnotations())
        .endMetadata()
        .withSpec(template.getSpec())
        .build();
  }

  private static Pod pod(String ns, String name, Container container) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
        .withNewSpec().withContainers(container).withAutomountServiceAccountToken(false).endSpec().build();
  }

  /** A container that meets the restricted Pod Security Standard, requesting {@code cpu}. */
  private static Container restrictedContainer(String cpu) {
    return new ContainerBuilder().withName("c").withImage("busybox")
        .withNewResources().addToRequests("cpu", new Quantity(cpu)).endResources()
        .withSecurityContext(WorkloadFactory.restricted(1000L))
        .build();
  }

  /** The API server's refusal of {@code pod} (a server-side dry run: nothing is stored), if it refuses. */
  private Optional<KubernetesClientException> refusal(Pod pod) {
    try {
      client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).dryRun().create();
      return Optional.empty();
    } catch (KubernetesClientException e) {
      return Optional.of(e);
    }
  }
}
