package io.voyager.bdk.controller.desired;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.voyager.bdk.controller.Fixtures;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.model.OrganizationSpec.Quotas;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The desired guardrails of an Organization's namespace, pure (golden files under src/test/resources/golden). */
class NamespaceGuardrailsTest {
  private final NamespaceGuardrails guardrails = new NamespaceGuardrails(ControllerSettings.defaults());

  private static Organization organization(String name, Quotas quotas, String... namespaces) {
    return Fixtures.organization(name, quotas, namespaces);
  }

  private static final Quotas ACME = Fixtures.ACME_QUOTAS;

  @Test
  void aTypicalOrganization_quotaLimitsDefaultDenyAndNamespaceLabels() {
    Organization acme = organization("acme", ACME, "customer-acme");
    Golden.assertMatches("guardrails-acme", List.of(
        guardrails.resourceQuota(acme, "customer-acme"),
        guardrails.limitRange(acme, "customer-acme"),
        guardrails.defaultDeny(acme, "customer-acme"),
        new NamespaceBuilder().withNewMetadata().withName("customer-acme")
            .withLabels(NamespaceGuardrails.namespaceLabels(acme)).endMetadata().build()));
  }

  @Test
  void quotasLeftOutSetNoKey_onlyTheFixedZeros() {
    Organization open = organization("open", null, "customer-open");
    Golden.assertMatches("guardrails-no-quotas", List.of(
        guardrails.resourceQuota(open, "customer-open"), guardrails.limitRange(open, "customer-open")));
    assertThat(guardrails.resourceQuota(open, "customer-open").getSpec().getHard()).containsOnlyKeys(
        "services.loadbalancers", "services.nodeports", "persistentvolumeclaims");
  }

  @Test
  void defaultsAboveTheOrganizationsTotalAreCutToIt_andAZeroTotalSetsNoMaximum() {
    var small = guardrails.limitRange(organization("small", new Quotas(null, null, null, "50m", "128Mi", null)), "customer-small")
        .getSpec().getLimits().get(0);
    assertThat(small.getMax()).isEqualTo(Map.of("cpu", new Quantity("50m"), "memory", new Quantity("128Mi")));
    assertThat(small.getDefault()).isEqualTo(Map.of("cpu", new Quantity("50m"), "memory", new Quantity("128Mi")));
    assertThat(small.getDefaultRequest()).isEqualTo(Map.of("cpu", new Quantity("50m"), "memory", new Quantity("128Mi")));

    var zero = guardrails.limitRange(organization("zero", new Quotas(null, null, null, "0", null, null)), "customer-zero")
        .getSpec().getLimits().get(0);
    assertThat(zero.getMax()).isNull();
    assertThat(zero.getDefault()).containsOnlyKeys("memory");
    assertThat(guardrails.resourceQuota(organization("zero", new Quotas(null, null, null, "0", null, null)), "customer-zero")
        .getSpec().getHard()).containsEntry("requests.cpu", new Quantity("0"));
  }

  @Test
  void podsAreTheTotalReplicasPlusRoomForEveryDeploymentToSurgeByAQuarter() {
    assertThat(NamespaceGuardrails.podHeadroom(0, 5)).isZero();
    assertThat(NamespaceGuardrails.podHeadroom(1, 1)).isEqualTo(1);   // 1 replica surges by 1
    assertThat(NamespaceGuardrails.podHeadroom(10, 5)).isEqualTo(7);  // 5 × 2 replicas surge by 5; bound 7
    assertThat(NamespaceGuardrails.podHeadroom(8, 1)).isEqualTo(3);   // 1 × 8 replicas surge by 2; bound 3
    assertThat(NamespaceGuardrails.podHeadroom(4, null)).isEqualTo(4); // 4 × 1 replica surge by 4
    // Never below the worst real surge: the most ceil(r/4) summed over any split of the total
    // replicas into at most `instances` Deployments (computed by brute force).
    int maxTotal = 40;
    int maxInstances = 12;
    long[][] worst = new long[maxTotal + 1][maxInstances + 1]; // worst[t][k]: t replicas in at most k Deployments
    for (int k = 1; k <= maxInstances; k++) {
      for (int t = 1; t <= maxTotal; t++) {
        worst[t][k] = worst[t][k - 1];
        for (int r = 1; r <= t; r++) {
          worst[t][k] = Math.max(worst[t][k], (r + 3) / 4 + worst[t - r][k - 1]);
        }
      }
    }
    for (int total = 0; total <= maxTotal; total++) {
      for (int instances = 1; instances <= maxInstances; instances++) {
        assertThat(NamespaceGuardrails.podHeadroom(total, instances)).as("total %d instances %d", total, instances)
            .isGreaterThanOrEqualTo(worst[total][instances]);
      }
    }
  }

  @Test
  void invalidQuotasAreNamedByField() {
    Organization bad = organization("bad", new Quotas(-1, null, null, "four", "8 GB", null), "customer-bad");
    assertThat(NamespaceGuardrails.problems(bad)).containsExactly(
        "spec.quotas.requests_cpu: 'four' is not a Kubernetes quantity (e.g. 500m, 1Gi)",
        "spec.quotas.requests_memory: '8 GB' is not a Kubernetes quantity (e.g. 500m, 1Gi)",
        "spec.quotas.max_instances: must not be negative; got -1");
    assertThat(NamespaceGuardrails.problems(organization("acme", ACME))).isEmpty();
  }
}
