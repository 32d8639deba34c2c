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
import io.voyager.bdk.support.auth.DevIssuer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** bdkctl token: tokens of the local stack's issuer, verified with the JWKS the stack publishes. */
class TokenCommandTest {
  static final DevIssuer ISSUER = DevIssuer.generate("bdk-local", "bdk-library");

  @TempDir Path runDir;

  @BeforeEach
  void stackWroteItsIssuer() throws Exception {
    ISSUER.writeTo(runDir.resolve("auth"));
  }

  /** The claims of a token printed by bdkctl, after checking its signature against the published JWKS. */
  static JWTClaimsSet verified(String out) throws Exception {
    assertThat(out).endsWith("\n");
    assertThat(out.strip()).doesNotContain("\n", " ");
    SignedJWT jwt = SignedJWT.parse(out.strip());
    JWK key = JWKSet.parse(ISSUER.publicJwks()).getKeyByKeyId(jwt.getHeader().getKeyID());
    assertThat(key).as("kid of a published key").isNotNull();
    JWSVerifier verifier = key instanceof RSAKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECKey) key);
    assertThat(jwt.verify(verifier)).isTrue();
    return jwt.getJWTClaimsSet();
  }

  @Test
  void anOrgAdminTokenOfTheLocalIssuerValidForAnHourByDefault() throws Exception {
    BdkctlRun run = run("token", "--run-dir", runDir.toString(), "--org", "acme", "--role", "org-admin");

    assertThat(run.exitCode()).as(run.err()).isZero();
    JWTClaimsSet claims = verified(run.out());
    assertThat(SignedJWT.parse(run.out().strip()).getHeader().getAlgorithm().getName()).isEqualTo("RS256");
    assertThat(claims.getIssuer()).isEqualTo("bdk-local");
    assertThat(claims.getAudience()).containsExactly("bdk-library");
    assertThat(claims.getStringClaim("org")).isEqualTo("acme");
    assertThat(claims.getStringListClaim("roles")).containsExactly("org-admin");
    assertThat(claims.getSubject()).isEqualTo("acme-org-admin");
    assertThat(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant()))
        .isEqualTo(Duration.ofHours(1));
    assertThat(claims.getNotBeforeTime()).isEqualTo(claims.getIssueTime());
  }

  @Test
  void repeatedRolesEs256ASubjectAndAnotherLifetime() throws Exception {
    BdkctlRun run = run("token", "--run-dir", runDir.toString(), "--org", "globex", "--role", "org-viewer",
        "--role", "org-admin,org-viewer", "--alg", "es256", "--ttl", "90s", "--subject", "carol@globex.example");

    assertThat(run.exitCode()).as(run.err()).isZero();
    JWTClaimsSet claims = verified(run.out());
    assertThat(SignedJWT.parse(run.out().strip()).getHeader().getAlgorithm().getName()).isEqualTo("ES256");
    assertThat(claims.getStringListClaim("roles")).containsExactly("org-viewer", "org-admin");
    assertThat(claims.getSubject()).isEqualTo("carol@globex.example");
    assertThat(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant()))
        .isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void aPlatformAdminNeedsNoOrganization() throws Exception {
    BdkctlRun run = run("token", "--run-dir", runDir.toString(), "--role", "platform-admin", "--ttl", "PT2H");

    assertThat(run.exitCode()).as(run.err()).isZero();
    JWTClaimsSet claims = verified(run.out());
    assertThat(claims.getClaims()).doesNotContainKey("org");
    assertThat(claims.getSubject()).isEqualTo("platform-admin");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--org acme --role owner | --role: 'owner' is not one of [platform-admin, org-admin, org-viewer]",
      "--role org-viewer | --org: org-admin and org-viewer act for an organization",
      "--org acme --role org-admin --ttl forever | --ttl: 'forever' is not a duration",
      "--org acme --role org-admin --ttl 31d | --ttl: must be more than 0 and at most 30d",
      "--org acme --role org-admin --alg HS256 | --alg: 'HS256' is not one of [RS256, ES256]",
      "--org acme | Missing required option: '--role=ROLE'"})
  void badOptionsAreRefusedNamingTheOptionAndPrintNoToken(String args, String message) {
    String[] argv = ("token --run-dir " + runDir + " " + args.trim()).split(" ");
    BdkctlRun run = run(argv);

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).contains(message);
  }

  @Test
  void withoutARunningStackItSaysSo() {
    BdkctlRun run = run("token", "--run-dir", runDir.resolve("elsewhere").toString(), "--role", "platform-admin");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).contains("no local issuer at").contains("make run");
  }
}
