package io.voyager.bdk.xds.ir;

import java.time.Duration;
import java.util.List;

/**
 * Who may call the Book Library: bearer JWTs of {@code issuer} for one of {@code audiences},
 * verified with {@code jwks}, {@code exp}/{@code nbf} checked with {@code clockSkewSeconds} leeway.
 */
public record AuthIr(String issuer, List<String> audiences, long clockSkewSeconds, Jwks jwks) {
  public AuthIr {
    audiences = List.copyOf(audiences);
  }

  /** Where Envoy gets the verification keys. */
  public sealed interface Jwks permits Inline, Remote, Unavailable {}

  /** Keys inlined into the listener (read from a Kubernetes object; {@code json} is the checked JWKS). */
  public record Inline(String json) implements Jwks {}

  /**
   * Keys Envoy fetches itself from {@code uri} through {@code cluster}, kept {@code cacheDuration}.
   */
  public record Remote(String uri, Duration cacheDuration, JwksCluster cluster) implements Jwks {}

  /** No usable keys: every library request is refused, saying so; {@code reason} is for operators. */
  public record Unavailable(String reason) implements Jwks {}

  /**
   * The upstream of a JWKS URI: {@code host:port}, by DNS unless {@code host} is an IP literal;
   * with {@code tls}, SNI and a certificate for {@code host} verified against {@code trustedCa}.
   */
  public record JwksCluster(String name, String host, int port, boolean ipLiteral, boolean tls, String trustedCa) {
    /** {@code jwks/<host>:<port>}. */
    public static String name(String host, int port) {
      return "jwks/" + host + ":" + port;
    }
  }
}
