package io.voyager.bdk.controller.desired;

import static io.voyager.bdk.controller.desired.InstanceValidator.NamespaceState.ACTIVE;
import static io.voyager.bdk.controller.desired.InstanceValidator.NamespaceState.MISSING;
import static io.voyager.bdk.controller.desired.InstanceValidator.NamespaceState.TERMINATING;
import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.controller.Fixtures;
import io.voyager.bdk.model.Organization;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which Organization keeps a namespace, and why the others do not (pure). */
class NamespaceClaimsTest {
  static Organization org(String name, String created, String... namespaces) {
    Organization o = Fixtures.organization(name, null, namespaces);
    o.getMetadata().setCreationTimestamp(created);
    return o;
  }

  static final Organization ACME = org("acme", "2026-01-01T00:00:00Z", "customer-acme", "customer-shared");
  static final Organization GLOBEX = org("globex", "2026-02-01T00:00:00Z", "customer-globex", "customer-shared", "customer-acme");

  static NamespaceClaims claims(Organization org, List<Organization> all, Map<String, InstanceValidator.NamespaceState> states) {
    return NamespaceClaims.of(org,
        ns -> all.stream().filter(o -> NamespaceClaims.listed(o).contains(ns)).toList(),
        ns -> states.getOrDefault(ns, ACTIVE));
  }

  @Test
  void theOlderOrganizationKeepsASharedNamespace_theYoungerSaysWhoHasIt() {
    List<Organization> all = List.of(GLOBEX, ACME);
    assertThat(claims(ACME, all, Map.of()).managed()).containsExactly("customer-acme", "customer-shared");
    NamespaceClaims globex = claims(GLOBEX, all, Map.of());
    assertThat(globex.managed()).containsExactly("customer-globex");
    assertThat(globex.problems()).containsExactly(
        "namespace 'customer-shared' is already listed by Organization 'acme', which is older and keeps it",
        "namespace 'customer-acme' is already listed by Organization 'acme', which is older and keeps it");
  }

  @Test
  void sameCreationTimeFallsBackToTheName_andAnOrganizationBeingDeletedClaimsNothing() {
    Organization b = org("b", "2026-01-01T00:00:00Z", "customer-x");
    Organization a = org("a", "2026-01-01T00:00:00Z", "customer-x");
    assertThat(claims(b, List.of(a, b), Map.of()).managed()).isEmpty();
    assertThat(claims(a, List.of(a, b), Map.of()).managed()).containsExactly("customer-x");

    Organization leaving = org("a", "2026-01-01T00:00:00Z", "customer-x");
    leaving.getMetadata().setDeletionTimestamp(Instant.parse("2026-03-01T00:00:00Z").toString());
    assertThat(claims(b, List.of(leaving, b), Map.of()).managed()).containsExactly("customer-x");
  }

  @Test
  void missingTerminatingAndNonCustomerNamespacesAreNamed_theOthersStillManaged_duplicatesOnce() {
    Organization org = org("acme", "2026-01-01T00:00:00Z",
        "customer-acme", "customer-gone", "kube-system", "customer-closing", "customer-acme");
    NamespaceClaims claims = claims(org, List.of(org), Map.of("customer-gone", MISSING, "customer-closing", TERMINATING));
    assertThat(claims.managed()).containsExactly("customer-acme");
    assertThat(claims.problems()).containsExactly(
        "namespace 'customer-gone' does not exist",
        "namespace 'kube-system' must be a customer namespace: 'customer-' followed by lowercase letters, digits and '-'",
        "namespace 'customer-closing' is being deleted");
  }
}
