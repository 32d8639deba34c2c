package io.voyager.bdk.support.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.voyager.bdk.model.BdkRoles;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Verifies a bearer JWT against {@link JwtSettings} and a JWKS, the same rules Envoy's {@code
 * jwt_authn} applies at the edge, and makes the {@link Caller} it vouches for.
 *
 * <p>In order, each refusal naming what is wrong and never quoting the token: no token; longer than
 * {@link JwtSettings#MAX_TOKEN_BYTES} (before any parsing); not a JWT; unsigned ({@code alg: none});
 * encrypted; signed with anything but RS256 or ES256 — so an HS256 token "signed" with the public
 * key as an HMAC secret (algorithm confusion) is refused before any key is looked at; no key of the
 * JWKS matches; bad signature; then the claims: {@code iss} exactly the issuer, {@code aud} naming
 * one of the audiences, {@code exp} present and not passed, {@code nbf} (when present) reached —
 * both with the clock skew — and {@code sub} present. A JWKS that cannot be had fails closed with
 * {@link TokenRejectedException.Kind#KEYS_UNAVAILABLE}.
 *
 * <p>A token verified lately is not verified again ({@link VerifiedTokens}: keyed by its SHA-256,
 * bounded, kept until {@code exp} or a minute, whichever is first): a hit is still checked against
 * the clock, so an expired or not-yet-valid token is refused as before, with the same reason, and
 * against the JWKS (a key that verified it must still be published), so a rotation applies at once.
 *
 * <p>Thread-safe; one instance serves every call.
 */
public final class TokenVerifier {

  /** The only algorithms accepted: asymmetric, as the JWKS holds public keys. */
  public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);

  private static final int MAX_QUOTED = 64;

  private final JwtSettings settings;
  private final Clock clock;
  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final VerifiedTokens verified;
  private final JWKSource<SecurityContext> keySource;
  private final LongAdder signatureChecks = new LongAdder();

  public TokenVerifier(JwtSettings settings, JWKSource<SecurityContext> keys, Clock clock) {
    this(settings, keys, clock, VerifiedTokens.DEFAULT_MAX_ENTRIES, VerifiedTokens.DEFAULT_MAX_AGE);
  }

  /**
   * @param maxCached most verified tokens remembered at once
   * @param maxCachedAge longest a verified token is trusted without verifying it again (it is never
   *     trusted past its {@code exp})
   */
  public TokenVerifier(JwtSettings settings, JWKSource<SecurityContext> keys, Clock clock, int maxCached,
      Duration maxCachedAge) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.verified = new VerifiedTokens(maxCached, maxCachedAge, clock);
    this.keySource = keys;
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
    // "JWT" as RFC 7519 suggests, RFC 9068's access-token types, or none: what OIDC providers send.
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(
        JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), new JOSEObjectType("application/at+jwt"), null));
    // The claims are checked below, with messages naming the claim.
    processor.setJWTClaimsSetVerifier(null);
  }

  public JwtSettings settings() {
    return settings;
  }

  /**
   * The caller {@code token} (the bearer token, without the {@code Bearer } prefix) vouches for.
   *
   * @throws TokenRejectedException naming why it is not accepted
   */
  public Caller verify(String token) throws TokenRejectedException {
    if (token == null || token.isBlank()) {
      throw TokenRejectedException.invalid("no bearer token");
    }
    int bytes = token.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > JwtSettings.MAX_TOKEN_BYTES) {
      throw TokenRejectedException.invalid(
          "bearer token is " + bytes + " bytes; at most " + JwtSettings.MAX_TOKEN_BYTES + " are accepted");
    }
    VerifiedTokens.Entry known = verified.lookup(token);
    if (known != null) {
      if (keysStillPublished(known)) {
        return known.caller();
      }
      verified.forget(token);
    }
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException e) {
      throw TokenRejectedException.invalid("bearer token is not a JWT (three base64url parts: header.payload.signature)");
    }
    if (jwt instanceof PlainJWT) {
      throw TokenRejectedException.invalid("unsigned token (alg none) is not accepted; tokens must be signed with RS256 or ES256");
    }
    if (jwt instanceof EncryptedJWT || !(jwt instanceof SignedJWT signed)) {
      throw TokenRejectedException.invalid("encrypted token (JWE) is not accepted; tokens must be signed with RS256 or ES256");
    }
    JWSAlgorithm alg = signed.getHeader().getAlgorithm();
    if (!ALGORITHMS.contains(alg)) {
      throw TokenRejectedException.invalid("alg " + quoted(String.valueOf(alg)) + " is not accepted; tokens must be signed with RS256 or ES256");
    }
    try {
      signed.getJWTClaimsSet();
    } catch (ParseException e) {
      throw TokenRejectedException.invalid("token payload is not a JSON object of claims");
    }
    JWTClaimsSet claims;
    signatureChecks.increment();
    try {
      claims = processor.process(signed, null);
    } catch (KeySourceException e) {
      throw new TokenRejectedException(TokenRejectedException.Kind.KEYS_UNAVAILABLE,
          "the signing keys (JWKS) are unavailable, so no token can be verified: " + e.getMessage());
    } catch (BadJWSException e) {
      throw TokenRejectedException.invalid("token signature does not verify with the key " + keyId(signed) + " of the JWKS");
    } catch (BadJOSEException e) {
      throw TokenRejectedException.invalid(typeOrKeyProblem(signed, e));
    } catch (JOSEException e) {
      throw TokenRejectedException.invalid("token signature could not be verified: " + e.getMessage());
    }
    Caller caller = caller(claims);
    Date nbf = claims.getNotBeforeTime();
    List<JWK> keys = selectedKeys(signed.getHeader());
    if (!keys.isEmpty()) {
      verified.remember(token, caller, nbf == null ? Instant.MIN : nbf.toInstant().minus(settings.clockSkew()),
          claims.getExpirationTime().toInstant().plus(settings.clockSkew()), signed.getHeader(), keys);
    }
    return caller;
  }

  /** The JWKS keys {@code header} selects now (its kid, alg, use); empty when the JWKS cannot be read. */
  private List<JWK> selectedKeys(JWSHeader header) {
    try {
      return List.copyOf(keySource.get(new JWKSelector(JWKMatcher.forJWSHeader(header)), null));
    } catch (KeySourceException | RuntimeException e) {
      return List.of();
    }
  }

  /** Whether a key that verified a remembered token is still one the JWKS offers for its header. */
  private boolean keysStillPublished(VerifiedTokens.Entry entry) {
    List<JWK> now = selectedKeys(entry.header());
    return entry.keys().stream().anyMatch(now::contains);
  }

  /** Tokens whose signature was checked so far (not answered from the cache; for tests). */
  long signatureChecks() {
    return signatureChecks.sum();
  }

  /** Verified tokens remembered now (for tests and metrics). */
  long cachedTokens() {
    return verified.size();
  }

  private Caller caller(JWTClaimsSet claims) throws TokenRejectedException {
    if (!settings.issuer().equals(claims.getIssuer())) {
      throw TokenRejectedException.invalid(claims.getIssuer() == null
          ? "iss is missing; tokens must be issued by " + quoted(settings.issuer())
          : "iss " + quoted(claims.getIssuer()) + " is not the accepted issuer " + quoted(settings.issuer()));
    }
    List<String> audience = claims.getAudience();
    if (audience.stream().noneMatch(settings.audiences()::contains)) {
      throw TokenRejectedException.invalid(audience.isEmpty()
          ? "aud is missing; tokens must name one of the audiences " + settings.audiences()
          : "aud names none of the accepted audiences " + settings.audiences());
    }
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw TokenRejectedException.invalid("exp is missing; tokens must expire");
    }
    if (now.isAfter(exp.toInstant().plus(settings.clockSkew()))) {
      throw TokenRejectedException.invalid("token expired at " + exp.toInstant() + " (exp; clock skew "
          + settings.clockSkew().toSeconds() + " s)");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(settings.clockSkew()).isBefore(nbf.toInstant())) {
      throw TokenRejectedException.invalid("token is not valid before " + nbf.toInstant() + " (nbf; clock skew "
          + settings.clockSkew().toSeconds() + " s)");
    }
    String subject = claims.getSubject();
    if (subject == null || subject.isBlank()) {
      throw TokenRejectedException.invalid("sub is missing; tokens must name their subject");
    }
    return new Caller(subject, organization(claims), roles(claims));
  }

  private String organization(JWTClaimsSet claims) throws TokenRejectedException {
    Object value = claims.getClaim(settings.organizationClaim());
    if (value == null) {
      return "";
    }
    if (!(value instanceof String s)) {
      throw TokenRejectedException.invalid("claim " + quoted(settings.organizationClaim()) + " must be a string (the organization id)");
    }
    return s;
  }

  /** A list of strings or one string; values that name no role are ignored. */
  private Set<BdkRoles> roles(JWTClaimsSet claims) throws TokenRejectedException {
    Object value = claims.getClaim(settings.rolesClaim());
    Set<BdkRoles> roles = EnumSet.noneOf(BdkRoles.class);
    if (value == null) {
      return roles;
    }
    if (value instanceof String s) {
      BdkRoles.fromClaim(s).ifPresent(roles::add);
      return roles;
    }
    if (value instanceof List<?> list && list.stream().allMatch(v -> v instanceof String)) {
      list.forEach(v -> BdkRoles.fromClaim((String) v).ifPresent(roles::add));
      return roles;
    }
    throw TokenRejectedException.invalid("claim " + quoted(settings.rolesClaim()) + " must be a string or a list of strings");
  }

  private static String typeOrKeyProblem(SignedJWT signed, BadJOSEException e) {
    String m = String.valueOf(e.getMessage());
    if (m.contains("type")) {
      return "token type (typ) " + quoted(String.valueOf(signed.getHeader().getType())) + " is not accepted; use JWT or at+jwt";
    }
    return "no key of the JWKS matches the token (" + keyId(signed) + ", alg " + signed.getHeader().getAlgorithm() + ")";
  }

  private static String keyId(SignedJWT signed) {
    String kid = signed.getHeader().getKeyID();
    return kid == null ? "without kid" : "kid " + quoted(kid);
  }

  /** Quotes a value taken from a token, cut short. */
  static String quoted(String s) {
    String clean = s.replaceAll("[\\p{Cntrl}]", "?");
    return "'" + (clean.length() > MAX_QUOTED ? clean.substring(0, MAX_QUOTED) + "…" : clean) + "'";
  }
}
