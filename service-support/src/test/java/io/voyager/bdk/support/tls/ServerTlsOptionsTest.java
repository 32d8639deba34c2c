package io.voyager.bdk.support.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServerTlsOptionsTest {
  @TempDir Path dir;

  private static ServerTls parse(String... args) {
    ServerTlsOptions options = new ServerTlsOptions();
    new CommandLine(options).parseArgs(args);
    return options.tls();
  }

  @Test
  void mutualTlsIsTheDefaultAndNeedsItsFiles() {
    assertThatThrownBy(ServerTlsOptionsTest::parse).hasMessageStartingWith("--tls-cert-file: required");
  }

  @Test
  void plaintextOnlyWhenAsked() {
    assertThat(parse("--plaintext")).isEqualTo(ServerTls.PLAINTEXT);
    assertThatThrownBy(() -> parse("--plaintext", "--tls-cert-file", "x")).hasMessageStartingWith("--plaintext: cannot be combined");
  }

  @Test
  void eachFileIsNamedWhenMissing() throws Exception {
    Path cert = Files.writeString(dir.resolve("tls.crt"), "x");
    Path key = Files.writeString(dir.resolve("tls.key"), "x");
    assertThatThrownBy(() -> parse("--tls-cert-file", cert.toString())).hasMessageStartingWith("--tls-key-file");
    assertThatThrownBy(() -> parse("--tls-cert-file", cert.toString(), "--tls-key-file", key.toString()))
        .hasMessageStartingWith("--tls-client-ca-file");
    assertThatThrownBy(() -> parse("--tls-cert-file", cert.toString(), "--tls-key-file", key.toString(),
        "--tls-client-ca-file", dir.resolve("nope").toString()))
        .hasMessageStartingWith("--tls-client-ca-file: ").hasMessageContaining("not a readable file");
    Path ca = Files.writeString(dir.resolve("ca.crt"), "x");
    assertThat(parse("--tls-cert-file", cert.toString(), "--tls-key-file", key.toString(), "--tls-client-ca-file", ca.toString()))
        .isEqualTo(new ServerTls.MutualTls(new TlsFiles(cert, key, ca)));
  }
}
