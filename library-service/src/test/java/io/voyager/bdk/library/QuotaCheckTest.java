package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.Code;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Deployment;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Resources;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Scaling;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.model.OrganizationSpec.Quotas;
import java.math.BigDecimal;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What an instance counts, and the quota answers, with no I/O. */
class QuotaCheckTest {
  static final BigDecimal MI = BigDecimal.valueOf(1024L * 1024);

  static Stream<Arguments> charges() {
    return Stream.of(
        // deployment, tailscale, replicas, cpu (cores), memory (Mi), webhooks
        Arguments.of(null, false, 1, "0.1", 256, 0),
        Arguments.of(new Deployment("primary", 3, null, null), false, 3, "0.3", 768, 0),
        Arguments.of(new Deployment("primary", 2, new Resources("500m", "1Gi", null, null), null), false, 2, "1", 2048, 0),
        // only limits: the request is the limit (the API server's defaulting)
        Arguments.of(new Deployment("primary", 1, new Resources(null, null, "2", "512Mi"), null), false, 1, "2", 512, 0),
        // autoscaled: its maximum counts, not the starting replicas
        Arguments.of(new Deployment("primary", 1, null, new Scaling(2, 6, 70)), false, 6, "0.6", 1536, 0),
        // tailscale: the sidecar at the defaults, per replica
        Arguments.of(new Deployment("primary", 2, new Resources("250m", "128Mi", null, null), null), true, 2, "0.7", 768, 0));
  }

  @ParameterizedTest(name = "{0} tailscale={1}")
  @MethodSource
  void charges(Deployment deployment, boolean tailscale, int replicas, String cpu, long memoryMi, int webhooks) {
    InstanceCharge c = InstanceCharge.of(spec(deployment, tailscale, 0));
    assertThat(c.instances()).isEqualTo(1);
    assertThat(c.replicas()).isEqualTo(replicas);
    assertThat(c.cpu()).isEqualByComparingTo(cpu);
    assertThat(c.memory()).isEqualByComparingTo(MI.multiply(BigDecimal.valueOf(memoryMi)));
    assertThat(c.webhooks()).isEqualTo(webhooks);
  }

  @Test
  void webhookBindingsCount() {
    assertThat(InstanceCharge.of(spec(null, false, 3)).webhooks()).isEqualTo(3);
  }

  static Stream<Arguments> answers() {
    Quotas all = new Quotas(2, 5, 6, "2", "2Gi", 3);
    InstanceCharge oneSmall = InstanceCharge.of(spec(null, false, 1));
    return Stream.of(
        Arguments.of(all, InstanceCharge.NONE, oneSmall, List.of()),
        Arguments.of(all, sum(oneSmall, 2), oneSmall,
            List.of("quota max_instances of organization 'acme' exceeded: limit 2, in use 2, requested 1")),
        Arguments.of(all, InstanceCharge.NONE, InstanceCharge.of(spec(new Deployment("primary", 8, null, null), false, 0)),
            List.of("quota max_replicas_per_instance of organization 'acme' exceeded: limit 5, requested 8 (deployment.replicas, or deployment.scaling.max_replicas when it autoscales)",
                "quota max_total_replicas of organization 'acme' exceeded: limit 6, in use 0, requested 8")),
        Arguments.of(all, InstanceCharge.of(spec(new Deployment("primary", 4, new Resources("450m", "256Mi", null, null), null), false, 0)),
            InstanceCharge.of(spec(new Deployment("primary", 1, new Resources("250m", "1Gi", null, null), null), false, 0)),
            List.of("quota requests_cpu of organization 'acme' exceeded: limit 2, in use 1800m, requested 250m")),
        Arguments.of(all, InstanceCharge.of(spec(new Deployment("primary", 1, new Resources("100m", "1536Mi", null, null), null), false, 0)),
            InstanceCharge.of(spec(new Deployment("primary", 1, new Resources("100m", "768Mi", null, null), null), false, 0)),
            List.of("quota requests_memory of organization 'acme' exceeded: limit 2Gi, in use 1536Mi, requested 768Mi")),
        Arguments.of(all, InstanceCharge.of(spec(null, false, 2)), InstanceCharge.of(spec(null, false, 2)),
            List.of("quota max_webhook_integrations of organization 'acme' exceeded: limit 3, in use 2, requested 2")),
        // a quota left out is unlimited
        Arguments.of(new Quotas(null, null, null, null, null, null), sum(oneSmall, 500), oneSmall, List.of()),
        // zero means none allowed
        Arguments.of(new Quotas(0, null, null, null, null, null), InstanceCharge.NONE, oneSmall,
            List.of("quota max_instances of organization 'acme' exceeded: limit 0, in use 0, requested 1")));
  }

  @ParameterizedTest(name = "{index}: {3}")
  @MethodSource
  void answers(Quotas quotas, InstanceCharge inUse, InstanceCharge requested, List<String> expected) {
    List<ApiException.QuotaViolation> over = QuotaCheck.exceeded(org(quotas), inUse, requested);
    assertThat(over).extracting(ApiException.QuotaViolation::description).containsExactlyElementsOf(expected);
    assertThat(over).allSatisfy(v -> assertThat(v.subject()).isEqualTo("organization:acme"));
    if (!over.isEmpty()) {
      ApiException e = ApiException.resourceExhausted(over);
      assertThat(e.code()).isEqualTo(Code.RESOURCE_EXHAUSTED);
      assertThat(e.getMessage()).isEqualTo(String.join("; ", expected));
    }
  }

  @Test
  void aQuotaThatIsNoQuantityAdmitsNothing() {
    ApiException e = catchThrowableOfType(ApiException.class, () -> QuotaCheck.exceeded(
        org(new Quotas(null, null, null, "lots", null, null)), InstanceCharge.NONE, InstanceCharge.of(spec(null, false, 0))));
    assertThat(e.code()).isEqualTo(Code.FAILED_PRECONDITION);
    assertThat(e.getMessage()).isEqualTo("quota requests_cpu of organization 'acme' 'lots' is not a Kubernetes quantity (e.g. 500m, 1Gi); "
        + "nothing is admitted until an operator fixes the Organization");
  }

  @Test
  void formats() {
    assertThat(QuotaCheck.cpu(new BigDecimal("4"))).isEqualTo("4");
    assertThat(QuotaCheck.cpu(new BigDecimal("0.1"))).isEqualTo("100m");
    assertThat(QuotaCheck.cpu(new BigDecimal("3.5"))).isEqualTo("3500m");
    assertThat(QuotaCheck.memory(MI.multiply(BigDecimal.valueOf(8 * 1024)))).isEqualTo("8Gi");
    assertThat(QuotaCheck.memory(MI.multiply(BigDecimal.valueOf(640)))).isEqualTo("640Mi");
    assertThat(QuotaCheck.memory(new BigDecimal("1000"))).isEqualTo("1000");
  }

  private static InstanceCharge sum(InstanceCharge c, int times) {
    InstanceCharge s = InstanceCharge.NONE;
    for (int i = 0; i < times; i++) {
      s = s.plus(c);
    }
    return s;
  }

  static BookInstanceDefinitionSpec spec(Deployment deployment, boolean tailscale, int webhooks) {
    List<BookInstanceDefinitionSpec.WebhookBinding> bindings = IntStream.range(0, webhooks)
        .mapToObj(i -> new BookInstanceDefinitionSpec.WebhookBinding("w" + i, "github", "c", null, null, null)).toList();
    return new BookInstanceDefinitionSpec(new BookInstanceDefinitionSpec.BookRef("b", "1.0.0"),
        new BookInstanceDefinitionSpec.Customer("customer-acme", "acme"), deployment,
        tailscale ? io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
            "{\"tailscale\":{\"enabled\":true}}", BookInstanceDefinitionSpec.Networking.class) : null,
        null, null, bindings.isEmpty() ? null : bindings);
  }

  static Organization org(Quotas quotas) {
    Organization o = new Organization();
    o.getMetadata().setName("acme");
    o.getMetadata().setNamespace(BdkLabels.BDK_NAMESPACE);
    o.setSpec(new OrganizationSpec("acme", null, List.of("customer-acme"), quotas));
    return o;
  }
}
