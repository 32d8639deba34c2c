package io.voyager.bdk.controller.desired;

import io.voyager.bdk.controller.Fixtures;
import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.WebhookBinding;
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
}
