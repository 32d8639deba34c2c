package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.library.AccessPolicy.Decision.Verdict;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BdkRoles;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationIndex;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.support.auth.Caller;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The authorization rules, table by table, with no I/O. */
class AccessPolicyTest {
  static final OrganizationIndex ORGS = OrganizationIndex.of(List.of(
      org("acme", "acme", "2024-01-01T00:00:00Z", "customer-acme", "customer-acme-eu", "customer-contested"),
      org("globex", "globex", "2024-02-01T00:00:00Z", "customer-globex", "customer-contested")));

  static final Caller PLATFORM = caller("root", "", BdkRoles.PLATFORM_ADMIN);
  static final Caller ACME_ADMIN = caller("alice", "acme", BdkRoles.ORG_ADMIN);
  static final Caller ACME_VIEWER = caller("victor", "acme", BdkRoles.ORG_VIEWER);
  static final Caller ACME_BOTH = caller("bea", "acme", BdkRoles.ORG_ADMIN, BdkRoles.ORG_VIEWER);
  static final Caller GLOBEX_ADMIN = caller("gina", "globex", BdkRoles.ORG_ADMIN);
  static final Caller STRANGER_ADMIN = caller("sam", "initech", BdkRoles.ORG_ADMIN);
  static final Caller NO_ORG_ADMIN = caller("nora", "", BdkRoles.ORG_ADMIN);
  static final Caller NO_ROLE = caller("nobody", "acme");

  private final AccessPolicy policy = new AccessPolicy();

  static Stream<Arguments> readInstance() {
    return Stream.of(
        // caller, namespace, expected
        Arguments.of(PLATFORM, "customer-acme", Verdict.ALLOWED),
        Arguments.of(PLATFORM, "customer-nobody", Verdict.ALLOWED),
        Arguments.of(ACME_ADMIN, "customer-acme", Verdict.ALLOWED),
        Arguments.of(ACME_ADMIN, "customer-acme-eu", Verdict.ALLOWED),
        Arguments.of(ACME_VIEWER, "customer-acme", Verdict.ALLOWED),
        Arguments.of(ACME_ADMIN, "customer-globex", Verdict.HIDDEN),
        Arguments.of(ACME_VIEWER, "customer-globex", Verdict.HIDDEN),
        Arguments.of(GLOBEX_ADMIN, "customer-acme", Verdict.HIDDEN),
        Arguments.of(GLOBEX_ADMIN, "customer-contested", Verdict.HIDDEN), // the older acme keeps it
        Arguments.of(ACME_ADMIN, "customer-contested", Verdict.ALLOWED),
        Arguments.of(STRANGER_ADMIN, "customer-acme", Verdict.HIDDEN),
        Arguments.of(NO_ORG_ADMIN, "customer-acme", Verdict.HIDDEN),
        Arguments.of(NO_ROLE, "customer-acme", Verdict.HIDDEN),
        Arguments.of(ACME_ADMIN, "customer-nobody", Verdict.HIDDEN));
  }

  @ParameterizedTest(name = "{0} reads in {1}: {2}")
  @MethodSource
  void readInstance(Caller caller, String namespace, Verdict expected) {
    assertThat(policy.readInstance(caller, ORGS, namespace).verdict()).isEqualTo(expected);
    assertThat(policy.canRead(caller, ORGS, namespace)).isEqualTo(expected == Verdict.ALLOWED);
  }

  static Stream<Arguments> createInstanceIn() {
    return Stream.of(
        Arguments.of(PLATFORM, "customer-acme", Verdict.ALLOWED, ""),
        Arguments.of(PLATFORM, "customer-globex", Verdict.ALLOWED, ""),
        Arguments.of(ACME_ADMIN, "customer-acme", Verdict.ALLOWED, ""),
        Arguments.of(ACME_BOTH, "customer-acme-eu", Verdict.ALLOWED, ""),
        Arguments.of(ACME_ADMIN, "customer-globex", Verdict.DENIED,
            "namespace 'customer-globex' is not a namespace of organization 'acme'"),
        Arguments.of(GLOBEX_ADMIN, "customer-contested", Verdict.DENIED,
            "namespace 'customer-contested' is not a namespace of organization 'globex'"),
        Arguments.of(ACME_ADMIN, "customer-nobody", Verdict.DENIED,
            "namespace 'customer-nobody' is not a namespace of organization 'acme'"),
        Arguments.of(ACME_VIEWER, "customer-acme", Verdict.DENIED,
            "role org-admin (or platform-admin) is required to create instances (the token's roles: org-viewer)"),
        Arguments.of(NO_ROLE, "customer-acme", Verdict.DENIED,
            "role org-admin (or platform-admin) is required to create instances (the token's roles: -)"),
        Arguments.of(STRANGER_ADMIN, "customer-acme", Verdict.DENIED,
            "organization 'initech' of the token matches no Organization"),
        Arguments.of(NO_ORG_ADMIN, "customer-acme", Verdict.DENIED,
            "the token names no organization (claim missing); an org-admin must belong to an Organization"));
  }

  @ParameterizedTest(name = "{0} creates in {1}: {2}")
  @MethodSource
  void createInstanceIn(Caller caller, String namespace, Verdict expected, String reason) {
    AccessPolicy.Decision d = policy.createInstanceIn(caller, ORGS, namespace);
    assertThat(d.verdict()).isEqualTo(expected);
    assertThat(d.reason()).isEqualTo(reason);
  }

  static Stream<Arguments> deleteInstance() {
    return Stream.of(
        Arguments.of(PLATFORM, "customer-globex", Verdict.ALLOWED, ""),
        Arguments.of(ACME_ADMIN, "customer-acme", Verdict.ALLOWED, ""),
        Arguments.of(ACME_VIEWER, "customer-acme", Verdict.DENIED,
            "role org-admin (or platform-admin) is required to delete instances of organization 'acme' (the token's roles: org-viewer)"),
        Arguments.of(ACME_ADMIN, "customer-globex", Verdict.HIDDEN, ""),
        Arguments.of(ACME_VIEWER, "customer-globex", Verdict.HIDDEN, ""),
        Arguments.of(GLOBEX_ADMIN, "customer-acme", Verdict.HIDDEN, ""),
        Arguments.of(NO_ROLE, "customer-acme", Verdict.HIDDEN, ""),
        Arguments.of(STRANGER_ADMIN, "customer-acme", Verdict.HIDDEN, ""));
  }

  @ParameterizedTest(name = "{0} deletes in {1}: {2}")
  @MethodSource
  void deleteInstance(Caller caller, String namespace, Verdict expected, String reason) {
    AccessPolicy.Decision d = policy.deleteInstance(caller, ORGS, namespace);
    assertThat(d.verdict()).isEqualTo(expected);
    assertThat(d.reason()).isEqualTo(reason);
  }

  /** Updating is allowed, denied and hidden exactly as deleting; only the verb in the reason differs. */
  @ParameterizedTest(name = "{0} updates in {1}: {2}")
  @MethodSource("deleteInstance")
  void updateInstance(Caller caller, String namespace, Verdict expected, String reason) {
    AccessPolicy.Decision d = policy.updateInstance(caller, ORGS, namespace);
    assertThat(d.verdict()).isEqualTo(expected);
    assertThat(d.reason()).isEqualTo(reason.replace("to delete instances", "to update instances"));
  }

  static Stream<Arguments> writeBooks() {
    return Stream.of(
        Arguments.of(PLATFORM, Verdict.ALLOWED),
        Arguments.of(ACME_ADMIN, Verdict.DENIED),
        Arguments.of(ACME_VIEWER, Verdict.DENIED),
        Arguments.of(NO_ROLE, Verdict.DENIED));
  }

  @ParameterizedTest(name = "{0} writes books: {1}")
  @MethodSource
  void writeBooks(Caller caller, Verdict expected) {
    AccessPolicy.Decision d = policy.writeBooks(caller, "create books");
    assertThat(d.verdict()).isEqualTo(expected);
    if (expected == Verdict.DENIED) {
      assertThat(d.reason()).isEqualTo("role platform-admin is required to create books (the token's roles: " + caller.rolesText() + ")");
    }
  }

  static Stream<Arguments> organizationOf() {
    return Stream.of(
        // caller, namespace, requested, organization id or problem
        Arguments.of(ACME_ADMIN, "customer-acme", "", "acme"),
        Arguments.of(ACME_ADMIN, "customer-acme", "acme", "acme"),
        Arguments.of(ACME_ADMIN, "customer-acme", "globex",
            "INVALID organization_id: must be left out or match the caller's organization (it comes from the token: 'acme'); got 'globex'"),
        Arguments.of(PLATFORM, "customer-globex", "", "globex"),
        Arguments.of(PLATFORM, "customer-contested", "", "acme"),
        Arguments.of(PLATFORM, "customer-globex", "acme",
            "INVALID organization_id: must be left out or match the caller's organization (namespace 'customer-globex' belongs to organization 'globex'); got 'acme'"),
        Arguments.of(PLATFORM, "customer-nobody", "",
            "PRECONDITION customer_namespace: customer_namespace: namespace 'customer-nobody' belongs to no Organization; an operator must list it in one first"));
  }

  @ParameterizedTest(name = "{0} in {1} asking {2}: {3}")
  @MethodSource
  void organizationOf(Caller caller, String namespace, String requested, String expected) {
    AccessPolicy.OrganizationOfInstance o = policy.organizationOf(caller, ORGS, namespace, requested);
    String actual = o.ok() ? o.organizationId() : (o.invalid() ? "INVALID " : "PRECONDITION ") + o.field() + ": " + o.problem();
    assertThat(actual).isEqualTo(expected);
  }

  static Caller caller(String subject, String organization, BdkRoles... roles) {
    return new Caller(subject, organization, roles.length == 0 ? Set.of() : EnumSet.copyOf(List.of(roles)));
  }

  static Organization org(String name, String id, String created, String... namespaces) {
    Organization o = new Organization();
    o.getMetadata().setName(name);
    o.getMetadata().setNamespace(BdkLabels.BDK_NAMESPACE);
    o.getMetadata().setCreationTimestamp(created);
    o.setSpec(new OrganizationSpec(id, null, List.of(namespaces), null));
    return o;
  }
}
