package io.voyager.bdk.controller.desired;

import io.voyager.bdk.controller.Fixtures;
import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.EgressPort;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.EgressRule;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Networking;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Tailscale;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The controller's own check of what an instance declares about its network (pure). */
class InstanceValidatorTest {
  private final InstanceValidator validator = new InstanceValidator(ControllerSettings.defaults());

  private InstanceValidator.Result validate(Networking networking, Optional<String> podSecurity) {
    var spec = Fixtures.spec("customer-acme", "primary");
    var instance = Fixtures.instance("x", new BookInstanceDefinitionSpec(spec.bookRef(), spec.customer(), spec.deployment(),
        networking, spec.credentials(), spec.configuration(), spec.webhooks()));
    return validator.validate(instance, Optional.of(Fixtures.book(Fixtures.BOOK)), InstanceValidator.NamespaceState.ACTIVE, podSecurity);
  }

  @Test
  void declaredEgressIsCheckedNamingEachField() {
    var result = validate(new Networking(null, List.of(
        new EgressRule("10.1.0.0/8", null, List.of(new EgressPort(443, null))),
        new EgressRule("203.0.113.0/24", List.of("198.51.100.0/24"), List.of(new EgressPort(70000, "ICMP"))))), Optional.empty());
    assertThat(result.valid()).isEmpty();
    assertThat(result.problems()).containsExactly(
        "spec.networking.egress[0].cidr: '10.1.0.0/8' has host bits set; the network is '10.0.0.0/8'",
        "spec.networking.egress[1].except[0]: '198.51.100.0/24' must be a network strictly inside cidr '203.0.113.0/24'",
        "spec.networking.egress[1].ports[0].port: must be a port number from 1 to 65535; got 70000",
        "spec.networking.egress[1].ports[0].protocol: must be one of SCTP, TCP, UDP (TCP when absent); got 'ICMP'");
    assertThat(validate(new Networking(null, List.of(new EgressRule("10.0.0.0/8", null, null))), Optional.empty()).valid()).isPresent();
  }

  @Test
  void webhookDeliveryIsCheckedAndCarriedToTheExternalBookDefinition() {
    var spec = Fixtures.spec("customer-acme", "primary");
    var hook = spec.webhooks().get(0);
    java.util.function.BiFunction<String, Boolean, InstanceValidator.Result> withDelivery = (delivery, ordered) ->
        validator.validate(Fixtures.instance("x", new BookInstanceDefinitionSpec(spec.bookRef(), spec.customer(),
                spec.deployment(), spec.networking(), spec.credentials(), spec.configuration(),
                List.of(new BookInstanceDefinitionSpec.WebhookBinding(hook.integration(), hook.scheme(), hook.credential(),
                    hook.toleranceSeconds(), hook.rateLimit(), hook.hmac(), null, delivery, ordered)))),
            Optional.of(Fixtures.book(Fixtures.BOOK)), InstanceValidator.NamespaceState.ACTIVE, Optional.empty());
    assertThat(withDelivery.apply("later", null).problems())
        .containsExactly("spec.webhooks[0].delivery: must be one of [direct, queued]; got 'later'");
    assertThat(withDelivery.apply(null, true).problems())
        .containsExactly("spec.webhooks[0].ordered: only a queued binding can be ordered (delivery: queued)");

    ValidInstance queued = withDelivery.apply("queued", true).valid().orElseThrow();
    var integration = new ExternalBookDefinitionFactory()
        .externalBook(queued, new Workload("customer-acme", "x", queued.type(), List.of(queued)))
        .getSpec().externalIntegrations().get(0);
    assertThat(integration.delivery()).isEqualTo("queued");
    assertThat(integration.ordered()).isTrue();
    ValidInstance direct = withDelivery.apply(null, null).valid().orElseThrow();
    assertThat(new ExternalBookDefinitionFactory()
        .externalBook(direct, new Workload("customer-acme", "x", direct.type(), List.of(direct)))
        .getSpec().externalIntegrations().get(0).delivery()).as("absent stays absent: direct").isNull();
  }

  @Test
  void kernelTailscaleIsRefusedWhereThePodSecurityLevelWouldRefuseItsPods() {
    var kernel = new Networking(new Tailscale(true, "acme", List.of(), "kernel"));
    assertThat(validate(kernel, Optional.of("restricted")).problems()).containsExactly(
        "spec.networking.tailscale.mode: 'kernel' runs the sidecar as root with NET_ADMIN, which namespace 'customer-acme' "
            + "refuses (Pod Security 'restricted'); use 'userspace'");
    assertThat(validate(kernel, Optional.of("privileged")).valid()).isPresent();
    assertThat(validate(kernel, Optional.empty()).valid()).isPresent();
    assertThat(validate(new Networking(new Tailscale(true, "acme", List.of(), "userspace")), Optional.of("restricted")).valid())
        .isPresent();
  }
}
