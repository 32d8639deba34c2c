package io.voyager.bdk.model;

import java.util.Optional;

/**
 * The roles a caller's token may carry (in its roles claim) and the claims the platform reads.
 * One place for the names, so the library's authorization, the local issuer and bdkctl agree.
 */
public enum BdkRoles {
  /** Books, every organization's instances, everything. */
  PLATFORM_ADMIN("platform-admin"),
  /** Creates, updates and deletes instances in its organization's namespaces; reads them. */
  ORG_ADMIN("org-admin"),
  /** Reads its organization's instances. */
  ORG_VIEWER("org-viewer");

  /** Default claim holding the caller's organization id (matched against {@code spec.organization_id}). */
  public static final String DEFAULT_ORGANIZATION_CLAIM = "org";
  /** Default claim holding the caller's roles: a list of strings (or one string). */
  public static final String DEFAULT_ROLES_CLAIM = "roles";

  private final String claimValue;

  BdkRoles(String claimValue) {
    this.claimValue = claimValue;
  }

  /** The role as it appears in a token, e.g. {@code org-admin}. */
  public String claimValue() {
    return claimValue;
  }

  public static Optional<BdkRoles> fromClaim(String value) {
    for (BdkRoles role : values()) {
      if (role.claimValue.equals(value)) {
        return Optional.of(role);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return claimValue;
  }
}
