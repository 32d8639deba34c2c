package io.voyager.bdk.local;

import io.voyager.bdk.model.BdkRoles;
import io.voyager.bdk.support.auth.DevIssuer;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * Bearer tokens from a running stack's own issuer, exactly as {@code bin/bdkctl token} mints them
 * (same {@link DevIssuer}, same keys): the one place end-to-end tests get their tokens.
 */
final class StackTokens {
  private StackTokens() {}

  static final Duration TTL = Duration.ofHours(1);

  /** An RS256 token for {@code organization} (null: no organization claim) with {@code roles}. */
  static String token(LocalStack stack, String organization, BdkRoles... roles) {
    return token(stack, DevIssuer.Algorithm.RS256, organization, roles);
  }

  static String token(LocalStack stack, DevIssuer.Algorithm alg, String organization, BdkRoles... roles) {
    List<String> names = Arrays.stream(roles).map(BdkRoles::claimValue).toList();
    return stack.issuer().mint(new DevIssuer.TokenRequest(
        "e2e-" + (organization == null ? "platform" : organization), organization, names, TTL, Instant.now()), alg);
  }

  /** A platform-admin token (books, every organization's instances): what tests of other features call with. */
  static String platformAdmin(LocalStack stack) {
    return token(stack, null, BdkRoles.PLATFORM_ADMIN);
  }
}
