package io.voyager.bdk.support.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * A token issuer for tests: real RSA-2048 and P-256 keys, their public JWKS, and signed tokens
 * with the claims the platform reads. Shared with other modules' tests (service-support's test-jar).
 */
public final class TestIssuer {
  public static final String ISSUER = "https://issuer.test/";
  public static final String AUDIENCE = "bdk-library";

  private final RSAKey rsa;
  private final ECKey ec;

  /** Keys with the given key ids. */
  public TestIssuer(String rsaKid, String ecKid) {
    try {
      this.rsa = new RSAKeyGenerator(2048).keyID(rsaKid).generate();
      this.ec = new ECKeyGenerator(Curve.P_256).keyID(ecKid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  public TestIssuer() {
    this("rsa-1", "ec-1");
  }

  public RSAKey rsaKey() {
    return rsa;
  }

  public ECKey ecKey() {
    return ec;
  }

  /** The public JWKS of both keys. */
  public JWKSet publicJwks() {
    return new JWKSet(List.<JWK>of(rsa.toPublicJWK(), ec.toPublicJWK()));
  }

  public String publicJwksJson() {
    return publicJwks().toString(true);
  }

  /** Settings accepting this issuer's tokens for {@link #AUDIENCE}, keys from {@code jwks}. */
  public static JwtSettings settings(JwtSettings.JwksSource jwks) {
    return new JwtSettings(ISSUER, List.of(AUDIENCE), jwks);
  }

  /** Settings with a remote JWKS URI (the verifier under test may be given its keys directly). */
  public static JwtSettings settings() {
    return settings(new JwtSettings.RemoteJwks(URI.create("http://127.0.0.1:1/jwks"), Duration.ofMinutes(5)));
  }

  /** A valid token for {@code subject} (RS256, one hour). */
  public Token token(String subject) {
    return new Token(subject);
  }

  /** Builds and signs one token; every claim can be changed. */
  public final class Token {
    private final JWTClaimsSet.Builder claims;
    private JWSAlgorithm alg = JWSAlgorithm.RS256;
    private String kid;

    Token(String subject) {
      Instant now = Instant.now();
      this.claims = new JWTClaimsSet.Builder()
          .issuer(ISSUER)
          .audience(AUDIENCE)
          .subject(subject)
          .issueTime(Date.from(now))
          .expirationTime(Date.from(now.plus(Duration.ofHours(1))));
    }

    public Token organization(String organizationId) {
      claims.claim("org", organizationId);
      return this;
    }

    public Token roles(String... roles) {
      claims.claim("roles", new ArrayList<>(List.of(roles)));
      return this;
    }

    public Token claim(String name, Object value) {
      claims.claim(name, value);
      return this;
    }

    public Token issuer(String issuer) {
      claims.issuer(issuer);
      return this;
    }

    public Token audience(String... audience) {
      claims.audience(audience.length == 0 ? null : List.of(audience));
      return this;
    }

    public Token expires(Instant exp) {
      claims.expirationTime(exp == null ? null : Date.from(exp));
      return this;
    }

    public Token notBefore(Instant nbf) {
      claims.notBeforeTime(Date.from(nbf));
      return this;
    }

    public Token subject(String subject) {
      claims.subject(subject);
      return this;
    }

    /** ES256 with the EC key. */
    public Token es256() {
      alg = JWSAlgorithm.ES256;
      return this;
    }

    /** Overrides the header's key id. */
    public Token kid(String kid) {
      this.kid = kid;
      return this;
    }

    public JWTClaimsSet claims() {
      return claims.build();
    }

    public String sign() {
      try {
        boolean rs = alg == JWSAlgorithm.RS256;
        JWSHeader header = new JWSHeader.Builder(alg).type(JOSEObjectType.JWT)
            .keyID(kid != null ? kid : rs ? rsa.getKeyID() : ec.getKeyID()).build();
        SignedJWT jwt = new SignedJWT(header, claims.build());
        jwt.sign(rs ? new RSASSASigner(rsa) : new ECDSASigner(ec));
        return jwt.serialize();
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
