package io.voyager.bdk.support.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import io.voyager.bdk.support.auth.DevIssuer.Algorithm;
import io.voyager.bdk.support.auth.DevIssuer.TokenRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DevIssuerTest {
  static final DevIssuer ISSUER = DevIssuer.generate("bdk-local", "bdk-library");
  static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void aMintedTokenVerifiesWithThePublishedJwksAndCarriesTheRequestedClaims(Algorithm alg) throws Exception {
    String token = ISSUER.mint(new TokenRequest("alice", "acme", List.of("org-admin", "org-viewer"), Duration.ofMinutes(30), NOW), alg);

    SignedJWT jwt = SignedJWT.parse(token);
    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo(alg.name());
    JWK key = JWKSet.parse(ISSUER.publicJwks()).getKeyByKeyId(jwt.getHeader().getKeyID());
    assertThat(key).as("kid names a published key").isNotNull();
    assertThat(key.isPrivate()).isFalse();
    JWSVerifier verifier = key instanceof RSAKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECKey) key);
    assertThat(jwt.verify(verifier)).isTrue();
    var claims = jwt.getJWTClaimsSet();
    assertThat(claims.getIssuer()).isEqualTo("bdk-local");
    assertThat(claims.getAudience()).containsExactly("bdk-library");
    assertThat(claims.getSubject()).isEqualTo("alice");
    assertThat(claims.getStringClaim("org")).isEqualTo("acme");
    assertThat(claims.getStringListClaim("roles")).containsExactly("org-admin", "org-viewer");
    assertThat(claims.getNotBeforeTime().toInstant()).isEqualTo(NOW);
    assertThat(claims.getExpirationTime().toInstant()).isEqualTo(NOW.plus(Duration.ofMinutes(30)));
  }

  @Test
  void thePublishedJwksHoldsOneRs256AndOneEs256PublicKey() throws Exception {
    JWKSet jwks = JWKSet.parse(ISSUER.publicJwks());
    assertThat(jwks.getKeys()).hasSize(2).noneMatch(JWK::isPrivate);
    assertThat(jwks.getKeys()).extracting(k -> k.getAlgorithm().getName()).containsExactlyInAnyOrder("RS256", "ES256");
    assertThat(((RSAKey) jwks.getKeyByKeyId(ISSUER.keyId(Algorithm.RS256))).size()).isEqualTo(2048);
    assertThat(((ECKey) jwks.getKeyByKeyId(ISSUER.keyId(Algorithm.ES256))).getCurve().getName()).isEqualTo("P-256");
  }

  @Test
  void writtenOwnerOnlyAndReadBackSigningWithTheSameKeys() throws Exception {
    Path auth = dir.resolve("auth");
    Path file = ISSUER.writeTo(auth);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(auth))).isEqualTo("rwx------");
    try (var files = Files.list(auth)) {
      assertThat(files).containsExactly(file);
    }
    DevIssuer read = DevIssuer.read(auth);
    assertThat(read.issuer()).isEqualTo("bdk-local");
    assertThat(read.audience()).isEqualTo("bdk-library");
    assertThat(read.publicJwks()).isEqualTo(ISSUER.publicJwks());
    String token = read.mint(new TokenRequest("bob", null, List.of("platform-admin"), Duration.ofHours(1), NOW), Algorithm.ES256);
    assertThat(SignedJWT.parse(token).getJWTClaimsSet().getClaims()).doesNotContainKey("org");
  }

  @Test
  void aMissingIssuerSaysToStartTheStack() {
    assertThatThrownBy(() -> DevIssuer.read(dir.resolve("nothing")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("issuer.json")
        .hasMessageContaining("make run");
  }

  @Test
  void aFileThatIsNotAnIssuerIsRefusedNamingIt() throws Exception {
    Files.writeString(dir.resolve(DevIssuer.FILE_NAME), "{\"issuer\":\"x\",\"audience\":\"y\",\"keys\":[]}");
    assertThatThrownBy(() -> DevIssuer.read(dir)).hasMessageContaining("keys");
  }

  @Test
  void algorithmsAreRs256AndEs256Only() {
    assertThat(DevIssuer.algorithm("es256")).isEqualTo(Algorithm.ES256);
    assertThatThrownBy(() -> DevIssuer.algorithm("HS256")).hasMessage("alg: 'HS256' is not one of [RS256, ES256]");
  }
}
