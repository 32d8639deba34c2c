package io.voyager.bdk.controller.desired;

import io.voyager.bdk.controller.Fixtures;
import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.EgressPort;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.EgressRule;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Networking;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Tailscale;
import io.voyager.bdk.model.DeploymentType;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A book's egress NetworkPolicy, pure (golden files under src/test/resources/golden). */
class EgressPolicyTest {
  static final EgressRule ZENDESK_API = new EgressRule("203.0.113.0/24", List.of("203.0.113.128/25"), List.of(new EgressPort(443, null)));
  static final EgressRule SYSLOG = new EgressRule("2001:db8::/32", null, List.of(new EgressPort(514, "UDP")));

  static ValidInstance instance(String name, String type, Networking networking) {
    var spec = Fixtures.spec("customer-acme", type);
    var withNetworking = new BookInstanceDefinitionSpec(spec.bookRef(), spec.customer(), spec.deployment(), networking,
        spec.credentials(), spec.configuration(), spec.webhooks());
    return new ValidInstance(Fixtures.instance(name, withNetworking), Fixtures.book(Fixtures.BOOK),
        DeploymentType.parse(type).orElseThrow(), "voyager/book-runtime-python:3.11", ControllerSettings.TAILSCALE_USERSPACE);
  }

  @Test
  void onlyDnsAndWhatTheInstanceDeclares() {
    var factory = new WorkloadFactory(ControllerSettings.defaults());
    var w = Workload.of(instance("support", "primary", new Networking(null, List.of(ZENDESK_API, SYSLOG))));
    Golden.assertMatches("egress-policy", List.of(factory.egressPolicy(w)));
  }

  @Test
  void withTailscale_itsServersAtAnyAddressAndTheApiServerWhereConfigured() {
    var settings = ControllerSettings.defaults();
    settings = new ControllerSettings(settings.images(), settings.tailscaleImage(), settings.tailscaleMode(),
        settings.gatewayNamespace(), settings.gatewayPodLabels(), settings.defaultLogLevel(), "dns-system",
        Map.of("app", "coredns"), List.of(ControllerSettings.ApiServerEndpoint.parse("--api-server-egress", "172.18.0.2/32:6443")));
    var w = Workload.of(instance("support", "primary",
        new Networking(new Tailscale(true, "acme-corp", List.of("customer"), null), List.of(ZENDESK_API))));
    Golden.assertMatches("egress-policy-tailscale", List.of(new WorkloadFactory(settings).egressPolicy(w)));
  }

  @Test
  void aSharedWorkloadAllowsEveryTenantsDeclaredEgressOnce() {
    var factory = new WorkloadFactory(ControllerSettings.defaults());
    var w = new Workload("customer-acme", WorkloadNames.shared(Fixtures.BOOK), DeploymentType.SHARED, List.of(
        instance("b-tenant", "shared", new Networking(null, List.of(SYSLOG, ZENDESK_API))),
        instance("a-tenant", "shared", new Networking(null, List.of(ZENDESK_API)))));
    var rules = factory.egressPolicy(w).getSpec().getEgress();
    assertThat(rules).hasSize(3); // DNS, then a-tenant's, then b-tenant's new one
    assertThat(rules.get(1).getTo().get(0).getIpBlock().getCidr()).isEqualTo("203.0.113.0/24");
    assertThat(rules.get(2).getTo().get(0).getIpBlock().getCidr()).isEqualTo("2001:db8::/32");
    assertThat(Optional.ofNullable(factory.egressPolicy(Workload.of(instance("x", "primary", null))).getSpec().getEgress()))
        .hasValueSatisfying(e -> assertThat(e).hasSize(1)); // DNS only
  }

  @Test
  void anApiServerEndpointFlagIsCheckedNamingTheFlag() {
    assertThat(org.assertj.core.api.Assertions.catchThrowable(
        () -> ControllerSettings.ApiServerEndpoint.parse("--api-server-egress", "172.18.0.2:6443")))
        .hasMessageContaining("--api-server-egress must be CIDR:PORT");
    assertThat(org.assertj.core.api.Assertions.catchThrowable(
        () -> ControllerSettings.ApiServerEndpoint.parse("--api-server-egress", "172.18.0.0/16:0")))
        .hasMessageContaining("port from 1 to 65535");
    assertThat(ControllerSettings.ApiServerEndpoint.parse("--api-server-egress", "2001:db8::1/128:6443"))
        .isEqualTo(new ControllerSettings.ApiServerEndpoint("2001:db8::1/128", 6443));
  }
}
