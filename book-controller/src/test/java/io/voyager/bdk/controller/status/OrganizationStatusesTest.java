package io.voyager.bdk.controller.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.OrganizationStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class OrganizationStatusesTest {
  static final Instant T1 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant T2 = Instant.parse("2026-01-01T01:00:00Z");

  @Test
  void readyWhenEverythingIsApplied_theTransitionTimeKeptWhileItHolds_noWriteWhenNothingChanged() {
    OrganizationStatus first = OrganizationStatuses.observed(null, 1L, List.of("customer-acme"), List.of(), List.of(), T1);
    Condition ready = first.conditions().get(0);
    assertThat(ready).isEqualTo(new Condition("Ready", "True", "Applied",
        "guardrails applied to 1 namespace(s): customer-acme", T1.toString(), 1L));
    assertThat(first.namespaces()).containsExactly("customer-acme");

    OrganizationStatus again = OrganizationStatuses.observed(first, 1L, List.of("customer-acme"), List.of(), List.of(), T2);
    assertThat(again.conditions().get(0).lastTransition()).isEqualTo(T1.toString());
    assertThat(OrganizationStatuses.differs(first, again)).isFalse();
  }

  @Test
  void unavailableNamespacesAndFailuresAreNamed_andInvalidQuotasKeepTheManagedNamespaces() {
    OrganizationStatus ok = OrganizationStatuses.observed(null, 1L, List.of("customer-acme"), List.of(), List.of(), T1);
    OrganizationStatus missing = OrganizationStatuses.observed(ok, 2L, List.of("customer-acme"),
        List.of("namespace 'customer-gone' does not exist"), List.of(), T2);
    assertThat(missing.conditions().get(0)).isEqualTo(new Condition("Ready", "False", "NamespaceUnavailable",
        "namespace 'customer-gone' does not exist (applied to: customer-acme)", T2.toString(), 2L));

    OrganizationStatus failed = OrganizationStatuses.observed(ok, 2L, List.of(), List.of(),
        List.of("namespace 'customer-acme': could not apply its guardrails: forbidden"), T2);
    assertThat(failed.conditions().get(0).reason()).isEqualTo("ApplyFailed");
    assertThat(failed.namespaces()).isNull();

    OrganizationStatus invalid = OrganizationStatuses.invalid(ok, 3L,
        List.of("spec.quotas.requests_cpu: 'four' is not a Kubernetes quantity (e.g. 500m, 1Gi)"), T2);
    assertThat(invalid.conditions().get(0).reason()).isEqualTo("InvalidQuota");
    assertThat(invalid.conditions().get(0).message()).isEqualTo(
        "nothing applied or changed until fixed: spec.quotas.requests_cpu: 'four' is not a Kubernetes quantity (e.g. 500m, 1Gi)");
    assertThat(invalid.namespaces()).containsExactly("customer-acme");
    assertThat(invalid.observedGeneration()).isEqualTo(3L);
  }
}
