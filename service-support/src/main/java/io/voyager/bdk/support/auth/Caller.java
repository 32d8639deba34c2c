package io.voyager.bdk.support.auth;

import io.voyager.bdk.model.BdkRoles;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who is calling, as a verified token says: its subject ({@code sub}), its organization id (the
 * organization claim; empty when the token names none) and its roles (the roles claim; values that
 * are no {@link BdkRoles} are dropped). Immutable; made only from a verified token.
 */
public record Caller(String subject, String organizationId, Set<BdkRoles> roles) {

  public Caller {
    Objects.requireNonNull(subject, "subject");
    organizationId = organizationId == null ? "" : organizationId;
    roles = roles == null || roles.isEmpty()
        ? Set.of()
        : Collections.unmodifiableSet(EnumSet.copyOf(roles));
  }

  public boolean has(BdkRoles role) {
    return roles.contains(role);
  }

  public boolean isPlatformAdmin() {
    return has(BdkRoles.PLATFORM_ADMIN);
  }

  /** The roles as the token spells them, comma-separated in a fixed order; {@code -} when none. */
  public String rolesText() {
    return roles.isEmpty() ? "-" : roles.stream().map(BdkRoles::claimValue).collect(Collectors.joining(","));
  }
}
