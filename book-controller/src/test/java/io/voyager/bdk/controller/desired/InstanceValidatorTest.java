package io.voyager.bdk.controller.desired;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.controller.Fixtures;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Credential;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.EgressPort;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.EgressRule;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Networking;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Tailscale;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.WebhookBinding;
import io.voyager.bdk.model.InstanceCredentials;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The controller's instance validation as a table: an invalid spec (or cluster state) and the exact
 * field problems it gives. Pure: the book, the namespace's state and its Pod Security level are
 * passed in.
 */
class InstanceValidatorTest {
  static final InstanceValidator DEFAULT = new InstanceValidator(ControllerSettings.defaults());
  static final InstanceValidator KERNEL_ALLOWED =
      new InstanceValidator(ControllerSettings.defaults().withTailscaleKernelAllowed(true));
  static final Credential AUTH_KEY = new Credential(InstanceCredentials.TAILSCALE_AUTH_KEY, "secret", "manual");

  /** One row: a change to the valid fixture spec and the problems it must give. */
  record Row(String name, UnaryOperator<BookInstanceDefinitionSpec> change, List<String> problems) {
    @Override
    public String toString() {
      return name;
    }
  }

  static BookInstanceDefinitionSpec base() {
    return Fixtures.spec("customer-acme", "primary");
  }

  static BookInstanceDefinitionSpec with(BookInstanceDefinitionSpec s, BookInstanceDefinitionSpec.Deployment d) {
    return new BookInstanceDefinitionSpec(s.bookRef(), s.customer(), d, s.networking(), s.credentials(), s.configuration(), s.webhooks());
  }

  static BookInstanceDefinitionSpec with(BookInstanceDefinitionSpec s, Networking n, List<Credential> credentials) {
    return new BookInstanceDefinitionSpec(s.bookRef(), s.customer(), s.deployment(), n, credentials, s.configuration(), s.webhooks());
  }

  static BookInstanceDefinitionSpec withTailscale(BookInstanceDefinitionSpec s, Tailscale t) {
    return with(with(s, new BookInstanceDefinitionSpec.Deployment("primary", 1, null, null)), new Networking(t), List.of(AUTH_KEY));
  }

  static Stream<Row> rows() {
    return Stream.of(
        new Row("unknown book", s -> new BookInstanceDefinitionSpec(new BookInstanceDefinitionSpec.BookRef("nope", null),
            s.customer(), s.deployment(), s.networking(), s.credentials(), s.configuration(), s.webhooks()),
            List.of("spec.bookRef.name: unknown book 'nope' (no BookDefinition of that name in namespace bdk)")),
        new Row("other version", s -> new BookInstanceDefinitionSpec(new BookInstanceDefinitionSpec.BookRef(Fixtures.BOOK, "2.0.0"),
            s.customer(), s.deployment(), s.networking(), s.credentials(), s.configuration(), s.webhooks()),
            List.of("spec.bookRef.version '2.0.0' does not match BookDefinition 'customer-support-book' version '1.0.0'")),
        new Row("system namespace", s -> new BookInstanceDefinitionSpec(s.bookRef(),
            new BookInstanceDefinitionSpec.Customer("kube-system", "org"), s.deployment(), s.networking(), s.credentials(),
            s.configuration(), s.webhooks()),
            List.of("spec.customer.namespace must be a customer namespace: 'customer-' followed by lowercase letters, digits and '-'")),
        new Row("unknown type", s -> with(s, new BookInstanceDefinitionSpec.Deployment("cron", 1, null, null)),
            List.of("spec.deployment.type: unknown deployment type 'cron' (expected one of primary, secondary, shared, "
                + "long-polling, webhook-triggered)")),
        new Row("negative replicas", s -> with(s, new BookInstanceDefinitionSpec.Deployment("primary", -1, null, null)),
            List.of("spec.deployment.replicas must be >= 0; got -1")),
        new Row("bad quantities", s -> with(s, new BookInstanceDefinitionSpec.Deployment("primary", 1,
            new BookInstanceDefinitionSpec.Resources("lots", "1Gi", null, "512Mi"), null)),
            List.of("spec.deployment.resources.cpu: 'lots' is not a Kubernetes quantity (e.g. 500m, 1Gi)",
                "spec.deployment.resources.memory_limit '512Mi' is below memory '1Gi'")),
        new Row("scaling bounds", s -> with(s, new BookInstanceDefinitionSpec.Deployment("primary", null, null,
            new BookInstanceDefinitionSpec.Scaling(5, 2, 120))),
            List.of("spec.deployment.scaling.min_replicas 5 is above max_replicas 2",
                "spec.deployment.scaling.target_cpu_utilization must be 1..100; got 120")),
        new Row("long-polling with webhooks", s -> with(s, new BookInstanceDefinitionSpec.Deployment("long-polling", 1, null, null)),
            List.of("spec.webhooks: a long-polling instance receives no webhooks; remove them or choose another deployment type")),
        new Row("webhook of no integration", s -> new BookInstanceDefinitionSpec(s.bookRef(), s.customer(), s.deployment(),
            s.networking(), s.credentials(), s.configuration(), List.of(new WebhookBinding("slack", "slack", "k", null, null, null))),
            List.of("spec.webhooks[0].integration 'slack' is not a webhook integration of BookDefinition 'customer-support-book'")),
        new Row("egress with host bits", s -> with(s, new Networking(null, List.of(new EgressRule("10.1.0.0/8", null,
            List.of(new EgressPort(443, null))))), s.credentials()),
            List.of("spec.networking.egress[0].cidr: '10.1.0.0/8' has host bits set; the network is '10.0.0.0/8'")),
        new Row("tailscale without its auth key", s -> with(with(s, new BookInstanceDefinitionSpec.Deployment("primary", 1, null, null)),
            new Networking(new Tailscale(true, "acme-corp", null, null)), s.credentials()),
            List.of("spec.credentials: enabling networking.tailscale requires a credential named 'tailscale_auth_key' "
                + "(the Tailscale auth key the sidecar joins the tailnet with)")),
        new Row("tailscale tags that could smuggle flags", s -> withTailscale(s,
            new Tailscale(true, "acme-corp", List.of("customer", "tag:x --accept-routes", "Prod"), null)),
            List.of("spec.networking.tailscale.tags[1]: must be 'tag:' followed by a DNS label (lowercase letters, digits and '-', "
                    + "at most 63, starting and ending with a letter or digit), e.g. tag:customer; got 'tag:x --accept-routes'",
                "spec.networking.tailscale.tags[2]: must be 'tag:' followed by a DNS label (lowercase letters, digits and '-', "
                    + "at most 63, starting and ending with a letter or digit), e.g. tag:customer; got 'Prod'")),
        new Row("tailnet that is no DNS name", s -> withTailscale(s, new Tailscale(true, "Acme Corp", null, null)),
            List.of("spec.networking.tailscale.tailnet: must be the tailnet's DNS name, e.g. acme-corp.ts.net (lowercase DNS "
                + "labels separated by dots; a single label means <label>.ts.net); got 'Acme Corp'")),
        new Row("unknown tailscale mode", s -> withTailscale(s, new Tailscale(true, null, null, "privileged")),
            List.of("spec.networking.tailscale.mode: must be 'userspace' or 'kernel'; got 'privileged'")),
        new Row("kernel mode the operator did not allow", s -> withTailscale(s, new Tailscale(true, null, null, "kernel")),
            List.of("spec.networking.tailscale.mode: 'kernel' runs the sidecar as root with NET_ADMIN, which this controller "
                + "does not allow (the operator's --tailscale-allow-kernel-mode); use 'userspace'")),
        new Row("tailscale with more than one replica", s -> with(with(s, new BookInstanceDefinitionSpec.Deployment("primary", 3, null,
            new BookInstanceDefinitionSpec.Scaling(1, 4, null))), new Networking(new Tailscale(true, null, null, null)), List.of(AUTH_KEY)),
            List.of("spec.deployment.replicas: a Tailscale instance runs 1 replica (its sidecar keeps one tailnet device, in one "
                    + "state Secret); got 3",
                "spec.deployment.scaling.max_replicas: a Tailscale instance runs 1 replica (its sidecar keeps one tailnet "
                    + "device, in one state Secret); got 4")));
  }

  static Stream<Arguments> table() {
    return rows().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void anInvalidSpecGivesItsFieldProblems(Row row) {
    var result = validate(DEFAULT, row.change().apply(base()), Optional.empty());
    assertThat(result.valid()).as(row.name()).isEmpty();
    assertThat(result.problems()).as(row.name()).containsExactlyElementsOf(row.problems());
  }

  @Test
  void theFixtureItselfIsValid_andTailscaleWithItsAuthKeyAndOneReplicaIsToo() {
    assertThat(validate(DEFAULT, base(), Optional.empty()).problems()).isEmpty();
    var ts = validate(DEFAULT, withTailscale(base(), new Tailscale(true, "acme-corp", List.of("customer", "tag:prod"), null)),
        Optional.of("restricted"));
    assertThat(ts.problems()).isEmpty();
    assertThat(ts.valid().orElseThrow().tailscaleMode()).isEqualTo("userspace");
  }

  @Test
  void aMissingOrTerminatingNamespaceIsNamed() {
    var instance = Fixtures.instance("x", base());
    Optional<BookDefinition> book = Optional.of(Fixtures.book(Fixtures.BOOK));
    assertThat(DEFAULT.validate(instance, book, InstanceValidator.NamespaceState.MISSING).problems())
        .containsExactly("spec.customer.namespace: namespace 'customer-acme' does not exist");
    assertThat(DEFAULT.validate(instance, book, InstanceValidator.NamespaceState.TERMINATING).problems())
        .containsExactly("spec.customer.namespace: namespace 'customer-acme' is being deleted (nothing new can be made in it)");
  }

  @Test
  void declaredEgressIsCheckedNamingEachField() {
    var result = validate(DEFAULT, with(base(), new Networking(null, List.of(
        new EgressRule("10.1.0.0/8", null, List.of(new EgressPort(443, null))),
        new EgressRule("203.0.113.0/24", List.of("198.51.100.0/24"), List.of(new EgressPort(70000, "ICMP"))))), base().credentials()),
        Optional.empty());
    assertThat(result.valid()).isEmpty();
    assertThat(result.problems()).containsExactly(
        "spec.networking.egress[0].cidr: '10.1.0.0/8' has host bits set; the network is '10.0.0.0/8'",
        "spec.networking.egress[1].except[0]: '198.51.100.0/24' must be a network strictly inside cidr '203.0.113.0/24'",
        "spec.networking.egress[1].ports[0].port: must be a port number from 1 to 65535; got 70000",
        "spec.networking.egress[1].ports[0].protocol: must be one of SCTP, TCP, UDP (TCP when absent); got 'ICMP'");
  }

  @Test
  void webhookDeliveryIsCheckedAndCarriedToTheExternalBookDefinition() {
    var spec = Fixtures.spec("customer-acme", "primary");
    var hook = spec.webhooks().get(0);
    BiFunction<String, Boolean, InstanceValidator.Result> withDelivery = (delivery, ordered) ->
        validate(DEFAULT, new BookInstanceDefinitionSpec(spec.bookRef(), spec.customer(),
                spec.deployment(), spec.networking(), spec.credentials(), spec.configuration(),
                List.of(new BookInstanceDefinitionSpec.WebhookBinding(hook.integration(), hook.scheme(), hook.credential(),
                    hook.toleranceSeconds(), hook.rateLimit(), hook.hmac(), null, delivery, ordered))), Optional.empty());
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
  void kernelTailscale_allowedByTheOperator_isStillRefusedWhereThePodSecurityLevelWouldRefuseItsPods() {
    var kernel = withTailscale(base(), new Tailscale(true, "acme", List.of(), "kernel"));
    assertThat(validate(KERNEL_ALLOWED, kernel, Optional.of("restricted")).problems()).containsExactly(
        "spec.networking.tailscale.mode: 'kernel' runs the sidecar as root with NET_ADMIN, which namespace 'customer-acme' "
            + "refuses (Pod Security 'restricted'); use 'userspace'");
    assertThat(validate(KERNEL_ALLOWED, kernel, Optional.of("privileged")).valid()).isPresent();
    assertThat(validate(KERNEL_ALLOWED, kernel, Optional.empty()).valid()).isPresent();
    assertThat(validate(DEFAULT, withTailscale(base(), new Tailscale(true, "acme", List.of(), "userspace")), Optional.of("restricted"))
        .valid()).isPresent();
  }

  private static InstanceValidator.Result validate(InstanceValidator validator, BookInstanceDefinitionSpec spec, Optional<String> podSecurity) {
    Optional<BookDefinition> book = Fixtures.BOOK.equals(spec.bookRef().name())
        ? Optional.of(Fixtures.book(Fixtures.BOOK)) : Optional.empty();
    return validator.validate(Fixtures.instance("x", spec), book, InstanceValidator.NamespaceState.ACTIVE, podSecurity);
  }
}
