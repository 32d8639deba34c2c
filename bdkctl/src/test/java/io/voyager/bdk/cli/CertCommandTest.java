package io.voyager.bdk.cli;

import static io.voyager.bdk.cli.BdkctlRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.support.tls.CertificateAuthority;
import io.voyager.bdk.support.tls.PeerIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bdkctl cert: a client certificate of the local stack's internal CA, real and verifiable. */
class CertCommandTest {
  @TempDir Path runDir;

  @Test
  void issuesAClientCertificateOfTheStacksInternalCa() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("local internal CA", Duration.ofDays(1));
    ca.writeTo(runDir.resolve("tls/internal"));

    BdkctlRun run = run("cert", "--run-dir", runDir.toString(), "--name", "alice", "--print-flags");

    assertThat(run.exitCode()).as(run.err()).isZero();
    Path dir = runDir.resolve("tls/clients/alice");
    assertThat(run.out().strip()).isEqualTo("-cacert " + dir.resolve("ca.crt") + " -cert " + dir.resolve("tls.crt")
        + " -key " + dir.resolve("tls.key"));
    X509Certificate leaf = CertificateAuthority.Pem.certificates(Files.readString(dir.resolve("tls.crt"))).get(0);
    leaf.verify(ca.certificate().getPublicKey());
    assertThat(PeerIdentity.of(leaf).uris()).containsExactly("spiffe://bdk/operator/alice");
    assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2"); // clientAuth
    CertificateAuthority.Pem.privateKey(Files.readString(dir.resolve("tls.key")));
  }

  @Test
  void withoutARunningStackItSaysSoAndBadOptionsAreNamed() {
    BdkctlRun missing = run("cert", "--run-dir", runDir.toString());
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).contains("no local stack CA in").contains("make run");
    assertThat(run("cert", "--run-dir", runDir.toString(), "--name", "Not A Label").err()).contains("--name:");
    assertThat(run("cert", "--run-dir", runDir.toString(), "--ttl-hours", "0").err()).contains("--ttl-hours:");
  }
}
