package io.voyager.bdk.library;

import io.voyager.bdk.model.BdkRoles;
import io.voyager.bdk.model.OrganizationIndex;
import io.voyager.bdk.support.auth.Caller;
import java.util.Optional;

/**
 * Who may do what in the Book Library: a pure function of the verified {@link Caller}, the
 * Organizations ({@link OrganizationIndex}) and the request. No I/O; the service turns decisions
 * into answers.
 *
 * <ul>
 *   <li>Books (the catalog): every authenticated caller reads them; only {@code platform-admin}
 *       creates or deletes them.
 *   <li>Instances: {@code platform-admin} reads and writes all. {@code org-admin} and {@code
 *       org-viewer} read the instances in the namespaces their organization keeps (the token's
 *       organization claim matched against {@code spec.organization_id}); {@code org-admin} also
 *       creates, updates and deletes them. A token whose organization matches no Organization reads books only.
 *   <li>What a caller may not read does not exist for it: another organization's instance is
 *       {@link Decision#HIDDEN} (answered NOT_FOUND exactly like a missing one), never
 *       PERMISSION_DENIED, so its existence does not leak.
 * </ul>
 */
final class AccessPolicy {

  /** Allowed, refused with a reason (PERMISSION_DENIED), or hidden (NOT_FOUND). */
  record Decision(Verdict verdict, String reason) {
    enum Verdict { ALLOWED, DENIED, HIDDEN }

    static final Decision ALLOWED = new Decision(Verdict.ALLOWED, "");
    static final Decision HIDDEN = new Decision(Verdict.HIDDEN, "");

    static Decision denied(String reason) {
      return new Decision(Verdict.DENIED, reason);
    }

    boolean allowed() {
      return verdict == Verdict.ALLOWED;
    }
  }

  /**
   * The {@code organization_id} a new instance gets, or why the request cannot have one: {@code
   * field} names the request field at fault, {@code invalid} says whether the request is wrong
   * (INVALID_ARGUMENT) or the namespace is not set up (FAILED_PRECONDITION).
   */
  record OrganizationOfInstance(String organizationId, String field, String problem, boolean invalid) {
    static OrganizationOfInstance of(String organizationId) {
      return new OrganizationOfInstance(organizationId, null, null, false);
    }

    boolean ok() {
      return problem == null;
    }
  }

  /** Creating or deleting books ({@code action}: "create books", "delete books"). */
  Decision writeBooks(Caller caller, String action) {
    return caller.isPlatformAdmin()
        ? Decision.ALLOWED
        : Decision.denied("role platform-admin is required to " + action + " (the token's roles: " + caller.rolesText() + ")");
  }

  /** Whether {@code caller} may see the instances in {@code namespace}. */
  boolean canRead(Caller caller, OrganizationIndex organizations, String namespace) {
    if (caller.isPlatformAdmin()) {
      return true;
    }
    if (!caller.has(BdkRoles.ORG_ADMIN) && !caller.has(BdkRoles.ORG_VIEWER)) {
      return false;
    }
    return ownOrganizationKeeps(caller, organizations, namespace);
  }

  /** Reading one instance: allowed, or hidden. */
  Decision readInstance(Caller caller, OrganizationIndex organizations, String namespace) {
    return canRead(caller, organizations, namespace) ? Decision.ALLOWED : Decision.HIDDEN;
  }

  /**
   * Creating instances at all, before the request is looked at: {@code platform-admin} or {@code
   * org-admin} of an existing Organization.
   */
  Decision createInstances(Caller caller, OrganizationIndex organizations) {
    if (caller.isPlatformAdmin()) {
      return Decision.ALLOWED;
    }
    if (!caller.has(BdkRoles.ORG_ADMIN)) {
      return Decision.denied("role org-admin (or platform-admin) is required to create instances (the token's roles: "
          + caller.rolesText() + ")");
    }
    if (organizations.byOrganizationId(caller.organizationId()).isEmpty()) {
      return Decision.denied(caller.organizationId().isEmpty()
          ? "the token names no organization (claim missing); an org-admin must belong to an Organization"
          : "organization " + RequestValidator.quoted(caller.organizationId()) + " of the token matches no Organization");
    }
    return Decision.ALLOWED;
  }

  /** Creating an instance in {@code namespace}. */
  Decision createInstanceIn(Caller caller, OrganizationIndex organizations, String namespace) {
    Decision role = createInstances(caller, organizations);
    if (!role.allowed() || caller.isPlatformAdmin()) {
      return role;
    }
    return ownOrganizationKeeps(caller, organizations, namespace)
        ? Decision.ALLOWED
        : Decision.denied("namespace " + RequestValidator.quoted(namespace) + " is not a namespace of organization "
            + RequestValidator.quoted(caller.organizationId()));
  }

  /** Deleting an instance in {@code namespace}: hidden when the caller cannot even read it. */
  Decision deleteInstance(Caller caller, OrganizationIndex organizations, String namespace) {
    return writeInstance(caller, organizations, namespace, "delete");
  }

  /** Updating an instance in {@code namespace}: as deleting — hidden when the caller cannot even read it. */
  Decision updateInstance(Caller caller, OrganizationIndex organizations, String namespace) {
    return writeInstance(caller, organizations, namespace, "update");
  }

  private Decision writeInstance(Caller caller, OrganizationIndex organizations, String namespace, String verb) {
    if (!canRead(caller, organizations, namespace)) {
      return Decision.HIDDEN;
    }
    if (caller.isPlatformAdmin() || caller.has(BdkRoles.ORG_ADMIN)) {
      return Decision.ALLOWED;
    }
    return Decision.denied("role org-admin (or platform-admin) is required to " + verb + " instances of organization "
        + RequestValidator.quoted(caller.organizationId()) + " (the token's roles: " + caller.rolesText() + ")");
  }

  /**
   * The organization a new instance in {@code namespace} belongs to: the token's for an org-admin,
   * the namespace's Organization for a platform-admin. The request's {@code organization_id} may be
   * left out; a different value is refused, as is a namespace no Organization keeps.
   */
  OrganizationOfInstance organizationOf(
      Caller caller, OrganizationIndex organizations, String namespace, String requested) {
    Optional<String> owner = organizations.organizationIdOf(namespace);
    if (owner.isEmpty()) {
      return new OrganizationOfInstance(null, "customer_namespace",
          "customer_namespace: namespace " + RequestValidator.quoted(namespace)
              + " belongs to no Organization; an operator must list it in one first", false);
    }
    String organizationId = caller.isPlatformAdmin() ? owner.get() : caller.organizationId();
    if (!requested.isEmpty() && !requested.equals(organizationId)) {
      String source = caller.isPlatformAdmin()
          ? "namespace " + RequestValidator.quoted(namespace) + " belongs to organization " + RequestValidator.quoted(organizationId)
          : "it comes from the token: " + RequestValidator.quoted(organizationId);
      return new OrganizationOfInstance(null, "organization_id",
          "must be left out or match the caller's organization (" + source + "); got " + RequestValidator.quoted(requested), true);
    }
    return OrganizationOfInstance.of(organizationId);
  }

  private static boolean ownOrganizationKeeps(Caller caller, OrganizationIndex organizations, String namespace) {
    return !caller.organizationId().isEmpty()
        && organizations.byOrganizationId(caller.organizationId()).isPresent()
        && organizations.organizationIdOf(namespace).filter(caller.organizationId()::equals).isPresent();
  }
}
