package io.voyager.bdk.support.auth;

import io.voyager.bdk.model.BdkRoles;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The JWT flags shared by the xds-server (which configures Envoy's {@code jwt_authn} from them) and
 * the library-service (which verifies the same tokens itself): issuer, audiences, exactly one JWKS
 * source, clock skew and claim names. A picocli mixin; {@link #settings()} validates and names the
 * flag at fault.
 */
public final class JwtOptions {
  @Option(names = "--jwt-issuer", description = "Issuer (iss) every Book Library token must carry.")
  String issuer;

  @Option(
      names = "--jwt-audience",
      split = ",",
      description = "Audience(s) a token must name in aud (repeat or comma-separate).")
  List<String> audiences = new ArrayList<>();

  @Option(names = "--jwks-uri", description = "JWKS URL of the OIDC provider (its jwks_uri).")
  URI jwksUri;

  @Option(
      names = "--jwks-cache-duration",
      description = "How long keys fetched from --jwks-uri are used before fetching again (ISO-8601, default: ${DEFAULT-VALUE}).")
  Duration jwksCacheDuration = JwtSettings.RemoteJwks.DEFAULT_CACHE;

  @Option(names = "--jwks-secret", description = "JWKS from a Secret: NAMESPACE/NAME[:KEY] (key default jwks.json).")
  String jwksSecret;

  @Option(names = "--jwks-configmap", description = "JWKS from a ConfigMap: NAMESPACE/NAME[:KEY] (key default jwks.json).")
  String jwksConfigMap;

  @Option(
      names = "--jwt-clock-skew",
      description = "Leeway on exp and nbf (ISO-8601, default: ${DEFAULT-VALUE}).")
  Duration clockSkew = JwtSettings.DEFAULT_CLOCK_SKEW;

  @Option(names = "--jwt-organization-claim", description = "Claim with the caller's organization id (default: ${DEFAULT-VALUE}).")
  String organizationClaim = BdkRoles.DEFAULT_ORGANIZATION_CLAIM;

  @Option(names = "--jwt-roles-claim", description = "Claim with the caller's roles (default: ${DEFAULT-VALUE}).")
  String rolesClaim = BdkRoles.DEFAULT_ROLES_CLAIM;

  /**
   * The validated settings.
   *
   * @throws IllegalArgumentException naming the flag: no issuer or audience, no JWKS source or more
   *     than one, a malformed reference
   */
  public JwtSettings settings() {
    int sources = (jwksUri != null ? 1 : 0) + (jwksSecret != null ? 1 : 0) + (jwksConfigMap != null ? 1 : 0);
    if (sources != 1) {
      throw new IllegalArgumentException(
          "jwks-uri, jwks-secret, jwks-configmap: exactly one JWKS source is required, got " + sources);
    }
    JwtSettings.JwksSource jwks;
    if (jwksUri != null) {
      jwks = new JwtSettings.RemoteJwks(jwksUri, jwksCacheDuration);
    } else if (jwksSecret != null) {
      jwks = JwtSettings.KubernetesJwks.parse(JwtSettings.KubernetesJwks.Kind.SECRET, jwksSecret);
    } else {
      jwks = JwtSettings.KubernetesJwks.parse(JwtSettings.KubernetesJwks.Kind.CONFIG_MAP, jwksConfigMap);
    }
    return new JwtSettings(issuer, audiences, jwks, clockSkew, organizationClaim, rolesClaim);
  }
}
