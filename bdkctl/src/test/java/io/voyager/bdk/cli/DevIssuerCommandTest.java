package io.voyager.bdk.cli;

import static io.voyager.bdk.cli.BdkctlRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bdkctl dev-issuer: a development install's issuer, made once and kept; its printed JWKS (public
 * keys only) verifies what {@code bdkctl token} signs with it.
 */
class DevIssuerCommandTest {
  @TempDir Path runDir;

  @Test
  void makesTheIssuerOncePrintsOnlyPublicKeysAndItsTokensVerifyWithThem() throws Exception {
    BdkctlRun first = run("dev-issuer", "--run-dir", runDir.toString());

    assertThat(first.exitCode()).as(first.err()).isZero();
    Path file = runDir.resolve("auth/issuer.json");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    JWKSet jwks = JWKSet.parse(first.out().strip());
    assertThat(jwks.getKeys()).hasSize(2).noneMatch(JWK::isPrivate);
    assertThat(first.out()).doesNotContain("\"d\"");

    BdkctlRun again = run("dev-issuer", "--run-dir", runDir.toString());
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.out()).as("the keys are kept: tokens signed before stay valid").isEqualTo(first.out());

    BdkctlRun token = run("token", "--run-dir", runDir.toString(), "--role", "platform-admin", "--alg", "ES256");
    assertThat(token.exitCode()).as(token.err()).isZero();
    SignedJWT jwt = SignedJWT.parse(token.out().strip());
    JWK key = jwks.getKeyByKeyId(jwt.getHeader().getKeyID());
    JWSVerifier verifier = key instanceof RSAKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECKey) key);
    assertThat(jwt.verify(verifier)).isTrue();
    JWTClaimsSet claims = jwt.getJWTClaimsSet();
    assertThat(claims.getIssuer()).isEqualTo("bdk-dev");
    assertThat(claims.getAudience()).containsExactly("bdk-library");
    assertThat(claims.getStringListClaim("roles")).containsExactly("platform-admin");
  }

  @Test
  void anotherIssuerNameIsRefusedUntilRotated() throws Exception {
    assertThat(run("dev-issuer", "--run-dir", runDir.toString()).exitCode()).isZero();
    String before = Files.readString(runDir.resolve("auth/issuer.json"));

    BdkctlRun other = run("dev-issuer", "--run-dir", runDir.toString(), "--issuer", "https://dev.example");
    assertThat(other.exitCode()).isEqualTo(1);
    assertThat(other.err()).contains("issuer.json is issuer 'bdk-dev'", "--issuer 'https://dev.example'", "--rotate");
    assertThat(other.out()).isEmpty();
    assertThat(Files.readString(runDir.resolve("auth/issuer.json"))).isEqualTo(before);

    BdkctlRun rotated = run("dev-issuer", "--run-dir", runDir.toString(), "--issuer", "https://dev.example", "--rotate");
    assertThat(rotated.exitCode()).as(rotated.err()).isZero();
    BdkctlRun token = run("token", "--run-dir", runDir.toString(), "--role", "platform-admin");
    assertThat(SignedJWT.parse(token.out().strip()).getJWTClaimsSet().getIssuer()).isEqualTo("https://dev.example");
  }

  @Test
  void aBlankIssuerOrAMissingRunDirIsAUsageErrorNamingTheOption() {
    BdkctlRun blank = run("dev-issuer", "--run-dir", runDir.toString(), "--issuer", " ");
    assertThat(blank.exitCode()).isEqualTo(2);
    assertThat(blank.err()).contains("--issuer: must not be empty");
    assertThat(runDir.resolve("auth")).doesNotExist();

    BdkctlRun missing = run("dev-issuer");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("--run-dir");
  }

  @Test
  void aDamagedIssuerFileIsNamedAndLeftAlone() throws Exception {
    Files.createDirectories(runDir.resolve("auth"));
    Files.writeString(runDir.resolve("auth/issuer.json"), "{\"issuer\":\"bdk-dev\"}");

    BdkctlRun run = run("dev-issuer", "--run-dir", runDir.toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("issuer.json", "--rotate");
    assertThat(Files.readString(runDir.resolve("auth/issuer.json"))).isEqualTo("{\"issuer\":\"bdk-dev\"}");
  }
}
