package io.voyager.bdk.support.auth;

import io.voyager.bdk.model.BdkRoles;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How callers of the Book Library API prove who they are: bearer JWTs from one issuer, for one of
 * the audiences, signed (RS256 or ES256) by a key of one JWKS. The same settings configure Envoy's
 * {@code jwt_authn} filter (through the xds-server) and the library-service's own verification, so
 * a token one accepts the other accepts.
 *
 * @param issuer the {@code iss} every token must carry
 * @param audiences tokens must name at least one of these in {@code aud}
 * @param jwks where the verification keys are
 * @param clockSkew leeway allowed on {@code exp} and {@code nbf}
 * @param organizationClaim the claim naming the caller's organization id
 * @param rolesClaim the claim listing the caller's roles ({@link BdkRoles})
 */
public record JwtSettings(
    String issuer,
    List<String> audiences,
    JwksSource jwks,
    Duration clockSkew,
    String organizationClaim,
    String rolesClaim) {

  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);
  /** The largest token either side accepts; longer is refused before any parsing. */
  public static final int MAX_TOKEN_BYTES = 8 * 1024;

  public JwtSettings {
    if (issuer == null || issuer.isBlank()) {
      throw new IllegalArgumentException("jwt-issuer: is required");
    }
    if (audiences == null || audiences.isEmpty() || audiences.stream().anyMatch(a -> a == null || a.isBlank())) {
      throw new IllegalArgumentException("jwt-audience: at least one non-empty audience is required");
    }
    Objects.requireNonNull(jwks, "jwks");
    if (clockSkew == null || clockSkew.isNegative() || clockSkew.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException("jwt-clock-skew: must be between 0 and 10 minutes, got " + clockSkew);
    }
    if (organizationClaim == null || organizationClaim.isBlank()) {
      throw new IllegalArgumentException("jwt-organization-claim: must not be empty");
    }
    if (rolesClaim == null || rolesClaim.isBlank()) {
      throw new IllegalArgumentException("jwt-roles-claim: must not be empty");
    }
    audiences = List.copyOf(audiences);
  }

  public JwtSettings(String issuer, List<String> audiences, JwksSource jwks) {
    this(issuer, audiences, jwks, DEFAULT_CLOCK_SKEW, BdkRoles.DEFAULT_ORGANIZATION_CLAIM, BdkRoles.DEFAULT_ROLES_CLAIM);
  }

  /** Where a JWKS (RFC 7517 JSON, {@code {"keys":[…]}}) is read from. */
  public sealed interface JwksSource permits RemoteJwks, KubernetesJwks {}

  /**
   * An OIDC provider's JWKS endpoint ({@code jwks_uri} of its discovery document), fetched and
   * cached; a failed fetch fails closed.
   *
   * @param uri http or https URL
   * @param cacheDuration how long fetched keys are used before fetching again
   */
  public record RemoteJwks(URI uri, Duration cacheDuration) implements JwksSource {
    public static final Duration DEFAULT_CACHE = Duration.ofMinutes(5);

    public RemoteJwks {
      if (uri == null || uri.getHost() == null
          || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))) {
        throw new IllegalArgumentException("jwks-uri: must be an http(s) URL with a host, got " + uri);
      }
      if (cacheDuration == null || cacheDuration.isNegative() || cacheDuration.isZero()) {
        throw new IllegalArgumentException("jwks-cache-duration: must be positive, got " + cacheDuration);
      }
    }
  }

  /**
   * A JWKS held in a Kubernetes Secret or ConfigMap under {@code key}; watched, so a key rotation
   * written there is picked up without a restart.
   */
  public record KubernetesJwks(Kind kind, String namespace, String name, String key) implements JwksSource {
    public static final String DEFAULT_KEY = "jwks.json";

    public enum Kind { SECRET, CONFIG_MAP }

    public KubernetesJwks {
      Objects.requireNonNull(kind, "kind");
      String flag = kind == Kind.SECRET ? "jwks-secret" : "jwks-configmap";
      if (namespace == null || namespace.isBlank() || name == null || name.isBlank()) {
        throw new IllegalArgumentException(flag + ": must be NAMESPACE/NAME[:KEY]");
      }
      if (key == null || key.isBlank()) {
        key = DEFAULT_KEY;
      }
    }

    /** Parses {@code NAMESPACE/NAME[:KEY]} (the flags' form). */
    public static KubernetesJwks parse(Kind kind, String value) {
      String flag = kind == Kind.SECRET ? "jwks-secret" : "jwks-configmap";
      String ref = value == null ? "" : value.trim();
      String key = null;
      int colon = ref.indexOf(':');
      if (colon >= 0) {
        key = ref.substring(colon + 1);
        ref = ref.substring(0, colon);
        if (key.isEmpty()) {
          throw new IllegalArgumentException(flag + ": empty KEY in '" + value + "' (NAMESPACE/NAME[:KEY])");
        }
      }
      int slash = ref.indexOf('/');
      if (slash <= 0 || slash == ref.length() - 1 || ref.indexOf('/', slash + 1) >= 0) {
        throw new IllegalArgumentException(flag + ": must be NAMESPACE/NAME[:KEY], got '" + value + "'");
      }
      return new KubernetesJwks(kind, ref.substring(0, slash), ref.substring(slash + 1), key);
    }
  }
}
