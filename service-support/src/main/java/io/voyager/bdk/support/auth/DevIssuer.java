package io.voyager.bdk.support.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.voyager.bdk.model.BdkRoles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A development token issuer: an issuer name, an audience, the claim names, and one RS256 (RSA
 * 2048) and one ES256 (P-256) signing key. The local stack generates one at start, publishes the
 * public keys as a JWKS and writes the whole issuer (private keys included) to {@value #FILE_NAME}
 * in a directory only its user can read; {@code bdkctl token} reads that file to mint tokens the
 * running stack accepts. Never a production issuer: a deployment names a real OIDC provider's
 * issuer, audience and JWKS instead.
 */
public final class DevIssuer {
  /** The file in the issuer's directory (e.g. {@code .run/auth/issuer.json}). */
  public static final String FILE_NAME = "issuer.json";
  /** The local stack's issuer ({@code iss}). */
  public static final String LOCAL_ISSUER = "bdk-local";
  /** The local stack's audience ({@code aud}). */
  public static final String LOCAL_AUDIENCE = "bdk-library";
  /** Where the local stack publishes its JWKS: ConfigMap {@code bdk/bdk-jwks}, key {@code jwks.json}. */
  public static final JwtSettings.KubernetesJwks LOCAL_JWKS = new JwtSettings.KubernetesJwks(
      JwtSettings.KubernetesJwks.Kind.CONFIG_MAP, "bdk", "bdk-jwks", JwtSettings.KubernetesJwks.DEFAULT_KEY);

  /** The JWT settings of the local stack's services: {@link #LOCAL_ISSUER}, {@link #LOCAL_AUDIENCE}, {@link #LOCAL_JWKS}. */
  public static JwtSettings localSettings() {
    return new JwtSettings(LOCAL_ISSUER, List.of(LOCAL_AUDIENCE), LOCAL_JWKS);
  }

  /** The two signing algorithms the platform accepts. */
  public enum Algorithm {
    RS256(JWSAlgorithm.RS256),
    ES256(JWSAlgorithm.ES256);

    private final JWSAlgorithm jws;

    Algorithm(JWSAlgorithm jws) {
      this.jws = jws;
    }

    public JWSAlgorithm jws() {
      return jws;
    }
  }

  /**
   * What a token says about its caller.
   *
   * @param subject {@code sub}
   * @param organization the organization id (claim {@link #organizationClaim()}); null: no claim
   * @param roles the roles (claim {@link #rolesClaim()}), e.g. {@code org-admin}
   * @param ttl from now to {@code exp}
   * @param now {@code iat} and {@code nbf}
   */
  public record TokenRequest(String subject, String organization, List<String> roles, Duration ttl, Instant now) {
    public TokenRequest {
      if (subject == null || subject.isBlank()) {
        throw new IllegalArgumentException("subject: must not be empty");
      }
      roles = List.copyOf(roles);
      if (ttl == null || ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("ttl: must be positive, got " + ttl);
      }
      Objects.requireNonNull(now, "now");
    }
  }

  private final String issuer;
  private final String audience;
  private final String organizationClaim;
  private final String rolesClaim;
  private final RSAKey rsa;
  private final ECKey ec;

  private DevIssuer(String issuer, String audience, String organizationClaim, String rolesClaim, RSAKey rsa, ECKey ec) {
    if (issuer == null || issuer.isBlank() || audience == null || audience.isBlank()) {
      throw new IllegalArgumentException("issuer and audience must not be empty");
    }
    this.issuer = issuer;
    this.audience = audience;
    this.organizationClaim = organizationClaim;
    this.rolesClaim = rolesClaim;
    this.rsa = rsa;
    this.ec = ec;
  }

  /** A new issuer with fresh keys (key ids from their RFC 7638 thumbprints) and the default claim names. */
  public static DevIssuer generate(String issuer, String audience) {
    return generate(issuer, audience, BdkRoles.DEFAULT_ORGANIZATION_CLAIM, BdkRoles.DEFAULT_ROLES_CLAIM);
  }

  public static DevIssuer generate(String issuer, String audience, String organizationClaim, String rolesClaim) {
    try {
      RSAKey rsa = new RSAKeyGenerator(2048).generate();
      ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
      rsa = new RSAKey.Builder(rsa).keyID("rs256-" + shortThumbprint(rsa)).algorithm(JWSAlgorithm.RS256)
          .keyUse(KeyUse.SIGNATURE).build();
      ec = new ECKey.Builder(ec).keyID("es256-" + shortThumbprint(ec)).algorithm(JWSAlgorithm.ES256)
          .keyUse(KeyUse.SIGNATURE).build();
      return new DevIssuer(issuer, audience, organizationClaim, rolesClaim, rsa, ec);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate signing keys: " + e.getMessage(), e);
    }
  }

  private static String shortThumbprint(JWK key) throws JOSEException {
    return key.computeThumbprint().toString().substring(0, 12);
  }

  public String issuer() {
    return issuer;
  }

  public String audience() {
    return audience;
  }

  public String organizationClaim() {
    return organizationClaim;
  }

  public String rolesClaim() {
    return rolesClaim;
  }

  /** Key id of the key that signs with {@code alg}. */
  public String keyId(Algorithm alg) {
    return alg == Algorithm.RS256 ? rsa.getKeyID() : ec.getKeyID();
  }

  /** The public keys as a JWKS ({@code {"keys":[…]}}, RFC 7517): what verifiers are given. */
  public String publicJwks() {
    return new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())).toString(true);
  }

  /** The standard claims of {@code request}: iss, aud, sub, iat, nbf, exp, jti, organization, roles. */
  public JWTClaimsSet claims(TokenRequest request) {
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .issuer(issuer)
        .audience(audience)
        .subject(request.subject())
        .issueTime(Date.from(request.now()))
        .notBeforeTime(Date.from(request.now()))
        .expirationTime(Date.from(request.now().plus(request.ttl())))
        .jwtID(UUID.randomUUID().toString())
        .claim(rolesClaim, request.roles());
    if (request.organization() != null) {
      claims.claim(organizationClaim, request.organization());
    }
    return claims.build();
  }

  /** A compact signed token for {@code request}. */
  public String mint(TokenRequest request, Algorithm alg) {
    return sign(claims(request), alg);
  }

  /** Signs any claims (tests use it for expired, foreign or otherwise refused tokens). */
  public String sign(JWTClaimsSet claims, Algorithm alg) {
    try {
      JWSSigner signer = alg == Algorithm.RS256 ? new RSASSASigner(rsa) : new ECDSASigner(ec);
      SignedJWT jwt = new SignedJWT(
          new JWSHeader.Builder(alg.jws()).keyID(keyId(alg)).type(JOSEObjectType.JWT).build(), claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign: " + e.getMessage(), e);
    }
  }

  /**
   * Writes this issuer, private keys included, to {@code dir}/{@value #FILE_NAME}: the directory
   * is made owner-only (0700) and the file is created owner-only (0600) before any key is in it,
   * then moved into place atomically.
   */
  public Path writeTo(Path dir) throws IOException {
    Files.createDirectories(dir);
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    if (posix) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("issuer", issuer);
    json.put("audience", audience);
    json.put("organization_claim", organizationClaim);
    json.put("roles_claim", rolesClaim);
    json.put("keys", List.of(rsa.toJSONObject(), ec.toJSONObject()));
    FileAttribute<?>[] ownerOnly = posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new FileAttribute<?>[0];
    Path temp = Files.createTempFile(dir, ".issuer-", ".json", ownerOnly);
    try {
      Files.writeString(temp, JSONObjectUtils.toJSONString(json), StandardCharsets.UTF_8);
      Path file = dir.resolve(FILE_NAME);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return file;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Reads the issuer {@link #writeTo} wrote in {@code dir}.
   *
   * @throws IllegalStateException naming the file and what is wrong (missing, not an issuer)
   */
  public static DevIssuer read(Path dir) {
    Path file = dir.resolve(FILE_NAME);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IllegalStateException("no local issuer at " + file + ": start the local stack (make run) first,"
          + " or pass the run directory it uses (--run-dir)");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    try {
      Map<String, Object> json = JSONObjectUtils.parse(text);
      RSAKey rsa = null;
      ECKey ec = null;
      List<Object> keys = JSONObjectUtils.getJSONArray(json, "keys");
      for (Object key : keys == null ? List.of() : keys) {
        @SuppressWarnings("unchecked")
        JWK jwk = JWK.parse((Map<String, Object>) key);
        if (jwk instanceof RSAKey r && r.isPrivate()) {
          rsa = r;
        } else if (jwk instanceof ECKey e && e.isPrivate()) {
          ec = e;
        }
      }
      if (rsa == null || ec == null) {
        throw new IllegalStateException(file + ": keys: needs a private RSA and a private EC key");
      }
      return new DevIssuer(JSONObjectUtils.getString(json, "issuer"), JSONObjectUtils.getString(json, "audience"),
          orDefault(JSONObjectUtils.getString(json, "organization_claim"), BdkRoles.DEFAULT_ORGANIZATION_CLAIM),
          orDefault(JSONObjectUtils.getString(json, "roles_claim"), BdkRoles.DEFAULT_ROLES_CLAIM), rsa, ec);
    } catch (ParseException | IllegalArgumentException | ClassCastException e) {
      throw new IllegalStateException(file + " is not a local issuer file: " + e.getMessage(), e);
    }
  }

  private static String orDefault(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }

  /** Parses RS256 / ES256 case-insensitively, naming the choices otherwise. */
  public static Algorithm algorithm(String name) {
    try {
      return Algorithm.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      List<String> names = new ArrayList<>();
      for (Algorithm a : Algorithm.values()) {
        names.add(a.name());
      }
      throw new IllegalArgumentException("alg: '" + name + "' is not one of " + names);
    }
  }
}
