package io.voyager.bdk.controller.desired;

import io.voyager.bdk.controller.Fixtures;
import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.WebhookBinding;
import io.voyager.bdk.model.Hmac;
import io.voyager.bdk.model.RateLimit;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The webhook caps (WebhookLimits) in the controller's instance validation: an instance stored
 * before the CRD schema carried them (a real API server now refuses such a write) fails with a
 * message naming each field, like any other invalid instance. Pure: no API server.
 */
class InstanceValidatorWebhookLimitsTest {
  final InstanceValidator validator = new InstanceValidator(ControllerSettings.defaults());

  InstanceValidator.Result validate(WebhookBinding binding) {
    var s = Fixtures.spec("customer-acme", "primary");
    var spec = new BookInstanceDefinitionSpec(s.bookRef(), s.customer(), s.deployment(), s.networking(), s.credentials(),
        s.configuration(), List.of(binding));
    return validator.validate(Fixtures.instance("limits", spec), Optional.of(Fixtures.book(Fixtures.BOOK)),
        InstanceValidator.NamespaceState.ACTIVE);
  }

  @Test
  void bindingsWithinTheCapsAreValidAndTheBodyLimitReachesTheExternalBookDefinition() {
    var result = validate(new WebhookBinding("zendesk", "zendesk", "zendesk_signing_key", 3600, new RateLimit(100.0, 1000), null,
        4096));
    assertThat(result.valid()).isPresent();
    var ebd = new ExternalBookDefinitionFactory().externalBook(result.valid().get(), Workload.of(result.valid().get()));
    assertThat(ebd.getSpec().externalIntegrations()).filteredOn(i -> "webhook".equals(i.type())).singleElement()
        .satisfies(i -> {
          assertThat(i.maxBodyBytes()).isEqualTo(4096);
          assertThat(i.authentication().toleranceSeconds()).isEqualTo(3600);
          assertThat(i.authentication().secretRef().name()).isEqualTo("limits-credentials");
        });
  }

  @Test
  void everyNumberBeyondItsCapIsNamed() {
    var result = validate(new WebhookBinding("zendesk", "zendesk", "zendesk_signing_key", 7200, new RateLimit(0.0, 5000), null, 10));
    assertThat(result.valid()).isEmpty();
    assertThat(result.problems()).containsExactly(
        "spec.webhooks[0].tolerance_seconds must be from 1 to 3600 seconds (1 h); got 7200",
        "spec.webhooks[0].rate_limit.requests_per_second must be a number above 0 and at most 100; got 0",
        "spec.webhooks[0].rate_limit.burst must be from 1 to 1000; got 5000",
        "spec.webhooks[0].max_body_bytes must be from 1024 to 1048576 bytes (1 MiB, the gateway's maximum); got 10");
  }

  /** The HMAC options rule is bdk-model's Hmac, as in the library, the xds-server and ext-authz. */
  @Test
  void hmacOptionsNoVerifierKnowsAreNamed() {
    var result = validate(new WebhookBinding("zendesk", "hmac", "zendesk_signing_key", null, null,
        new Hmac("md5", "X-Sig", null, "hex", "timestamp.body", null)));
    assertThat(result.valid()).isEmpty();
    assertThat(result.problems()).containsExactly(
        "spec.webhooks[0].hmac.algorithm must be one of sha1, sha256, sha512; got 'md5'",
        "spec.webhooks[0].hmac.timestamp_header is required when payload is timestamp.body");
  }

  /** An instance stored before the schema carried the quantity rule is named by the controller (the rule is Quantities). */
  @Test
  void anInvalidQuantityIsNamed() {
    var s = Fixtures.spec("customer-acme", "primary");
    var spec = new BookInstanceDefinitionSpec(s.bookRef(), s.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", 1, new BookInstanceDefinitionSpec.Resources("lots", "1Gi", null, null), null),
        s.networking(), s.credentials(), s.configuration(), s.webhooks());
    var result = validator.validate(Fixtures.instance("bad-cpu", spec), Optional.of(Fixtures.book(Fixtures.BOOK)),
        InstanceValidator.NamespaceState.ACTIVE);
    assertThat(result.valid()).isEmpty();
    assertThat(result.problems()).anySatisfy(p -> assertThat(p).contains("spec.deployment.resources.cpu").contains("lots"));
  }
}
