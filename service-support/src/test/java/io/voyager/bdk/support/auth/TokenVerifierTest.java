package io.voyager.bdk.support.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.voyager.bdk.model.BdkRoles;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every acceptance and refusal of {@link TokenVerifier}, with real RSA and EC keys. */
class TokenVerifierTest {
  static final TestIssuer ISSUER = new TestIssuer();
  static final TestIssuer OTHER = new TestIssuer("rsa-1", "ec-1"); // same key ids, other keys

  private final TokenVerifier verifier =
      new TokenVerifier(TestIssuer.settings(), new ImmutableJWKSet<SecurityContext>(ISSUER.publicJwks()), Clock.systemUTC());

  @Test
  void rs256AndEs256TokensMakeTheCallerTheyVouchFor() throws Exception {
    Caller rs = verifier.verify(ISSUER.token("alice").organization("acme").roles("org-admin", "org-viewer").sign());
    assertThat(rs).isEqualTo(new Caller("alice", "acme", Set.of(BdkRoles.ORG_ADMIN, BdkRoles.ORG_VIEWER)));
    assertThat(rs.rolesText()).isEqualTo("org-admin,org-viewer");

    Caller es = verifier.verify(ISSUER.token("bob").es256().claim("roles", "platform-admin").sign());
    assertThat(es.isPlatformAdmin()).isTrue();
    assertThat(es.organizationId()).isEmpty();
  }

  @Test
  void unknownRolesAreDroppedAndNoRolesIsNoRoles() throws Exception {
    assertThat(verifier.verify(ISSUER.token("carol").organization("acme").roles("superuser", "org-viewer").sign()).roles())
        .containsExactly(BdkRoles.ORG_VIEWER);
    Caller none = verifier.verify(ISSUER.token("dave").sign());
    assertThat(none.roles()).isEmpty();
    assertThat(none.rolesText()).isEqualTo("-");
  }

  @Test
  void anyOfSeveralAudiencesIsEnough() throws Exception {
    assertThat(verifier.verify(ISSUER.token("alice").audience("other-api", TestIssuer.AUDIENCE).sign()).subject())
        .isEqualTo("alice");
  }

  @Test
  void missingOrEmptyOrOversizedTokens() {
    assertRefused(null, "no bearer token");
    assertRefused("  ", "no bearer token");
    String huge = ISSUER.token("alice").claim("padding", "x".repeat(JwtSettings.MAX_TOKEN_BYTES)).sign();
    assertRefused(huge, "bearer token is " + huge.length() + " bytes; at most 8192 are accepted");
    assertRefused("not-a-jwt", "bearer token is not a JWT");
  }

  @Test
  void unsignedTokensAreRefused() {
    String none = new PlainJWT(ISSUER.token("mallory").organization("acme").roles("platform-admin").claims()).serialize();
    assertRefused(none, "unsigned token (alg none) is not accepted");
    // the same with a forged "alg":"none" header and an empty signature on a signed token's parts
    String signed = ISSUER.token("mallory").roles("platform-admin").sign();
    String forged = base64Url("{\"alg\":\"none\"}") + "." + signed.split("\\.")[1] + ".";
    assertRefused(forged, "unsigned token (alg none) is not accepted");
  }

  @Test
  void hs256SignedWithThePublicKeyAsSecretIsRefused_algorithmConfusion() throws Exception {
    byte[] publicKeyBytes = ISSUER.rsaKey().toRSAPublicKey().getEncoded();
    byte[] publicJwkBytes = ISSUER.rsaKey().toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8);
    for (byte[] secret : List.of(publicKeyBytes, publicJwkBytes)) {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(),
          ISSUER.token("mallory").roles("platform-admin").claims());
      jwt.sign(new MACSigner(secret));
      assertRefused(jwt.serialize(), "alg 'HS256' is not accepted; tokens must be signed with RS256 or ES256");
    }
  }

  @Test
  void otherAsymmetricAlgorithmsAreRefused() throws JOSEException {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("rsa-1").build(),
        ISSUER.token("alice").claims());
    jwt.sign(new RSASSASigner(ISSUER.rsaKey()));
    assertRefused(jwt.serialize(), "alg 'RS384' is not accepted");
  }

  @Test
  void signaturesMustVerifyWithAKeyOfTheJwks() {
    assertRefused(OTHER.token("mallory").roles("platform-admin").sign(),
        "token signature does not verify with the key kid 'rsa-1' of the JWKS");
    assertRefused(OTHER.token("mallory").es256().sign(), "token signature does not verify with the key kid 'ec-1' of the JWKS");
    assertRefused(ISSUER.token("alice").kid("rotated-away").sign(), "no key of the JWKS matches the token (kid 'rotated-away', alg RS256)");
    // a signature cut from another token
    String a = ISSUER.token("alice").sign();
    String b = ISSUER.token("bob").roles("platform-admin").sign();
    String spliced = b.substring(0, b.lastIndexOf('.')) + a.substring(a.lastIndexOf('.'));
    assertRefused(spliced, "token signature does not verify");
  }

  @Test
  void issuerAndAudienceMustMatch() {
    assertRefused(ISSUER.token("alice").issuer("https://evil.test/").sign(),
        "iss 'https://evil.test/' is not the accepted issuer 'https://issuer.test/'");
    assertRefused(ISSUER.token("alice").issuer(null).sign(), "iss is missing");
    assertRefused(ISSUER.token("alice").audience("another-api").sign(),
        "aud names none of the accepted audiences [bdk-library]");
    assertRefused(ISSUER.token("alice").audience().sign(), "aud is missing");
  }

  @Test
  void expiryAndNotBeforeWithTheClockSkew() throws Exception {
    Instant now = Instant.now();
    Instant expired = now.minus(Duration.ofMinutes(5));
    assertRefused(ISSUER.token("alice").expires(expired).sign(),
        "token expired at " + expired.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " (exp; clock skew 60 s)");
    Instant later = now.plus(Duration.ofMinutes(5));
    assertRefused(ISSUER.token("alice").notBefore(later).sign(),
        "token is not valid before " + later.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " (nbf; clock skew 60 s)");
    assertRefused(ISSUER.token("alice").expires(null).sign(), "exp is missing");
    // within the skew: accepted
    assertThat(verifier.verify(ISSUER.token("alice").expires(now.minusSeconds(30)).sign()).subject()).isEqualTo("alice");
    assertThat(verifier.verify(ISSUER.token("alice").notBefore(now.plusSeconds(30)).sign()).subject()).isEqualTo("alice");
    // the clock decides, not the machine's
    TokenVerifier tomorrow = new TokenVerifier(TestIssuer.settings(), new ImmutableJWKSet<SecurityContext>(ISSUER.publicJwks()),
        Clock.fixed(now.plus(Duration.ofDays(1)), java.time.ZoneOffset.UTC));
    assertRefused(tomorrow, ISSUER.token("alice").sign(), "token expired at ");
  }

  @Test
  void subjectAndClaimShapes() {
    assertRefused(ISSUER.token("alice").subject(null).sign(), "sub is missing");
    assertRefused(ISSUER.token("alice").claim("org", List.of("acme", "globex")).sign(), "claim 'org' must be a string");
    assertRefused(ISSUER.token("alice").claim("roles", 7).sign(), "claim 'roles' must be a string or a list of strings");
    assertRefused(ISSUER.token("alice").claim("roles", List.of("org-admin", 7)).sign(), "claim 'roles' must be a string or a list");
  }

  @Test
  void claimNamesComeFromTheSettings() throws Exception {
    JwtSettings custom = new JwtSettings(TestIssuer.ISSUER, List.of(TestIssuer.AUDIENCE), TestIssuer.settings().jwks(),
        Duration.ZERO, "https://bdk/org", "https://bdk/roles");
    TokenVerifier v = new TokenVerifier(custom, new ImmutableJWKSet<SecurityContext>(ISSUER.publicJwks()), Clock.systemUTC());
    Caller c = v.verify(ISSUER.token("alice").claim("https://bdk/org", "acme").claim("https://bdk/roles", List.of("org-viewer"))
        .organization("ignored").roles("platform-admin").sign());
    assertThat(c).isEqualTo(new Caller("alice", "acme", Set.of(BdkRoles.ORG_VIEWER)));
  }

  private void assertRefused(String token, String messageStart) {
    assertRefused(verifier, token, messageStart);
  }

  private static void assertRefused(TokenVerifier verifier, String token, String messageStart) {
    TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, () -> verifier.verify(token));
    assertThat(e).as("refused: %s", messageStart).isNotNull();
    assertThat(e.kind()).isEqualTo(TokenRejectedException.Kind.INVALID);
    assertThat(e.getMessage()).startsWith(messageStart);
    if (token != null && token.length() > 20) {
      for (String part : token.split("\\.")) {
        if (part.length() > 16) {
          assertThat(e.getMessage()).as("never echoes the token").doesNotContain(part);
        }
      }
    }
  }

  private static String base64Url(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
