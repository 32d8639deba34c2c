package io.voyager.bdk.local;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Real X.509 certificates for TLS tests, made with the JDK's own {@code keytool}: a CA, and a
 * server certificate it signs for {@code localhost} and {@code 127.0.0.1} (subject alternative
 * names, serverAuth). The CA's PEM is what a client (Envoy) is told to trust.
 */
final class TestCertificates {
  static final String PASSWORD = "changeit";

  private final Path caPem;
  private final Path serverKeyStore;

  private TestCertificates(Path caPem, Path serverKeyStore) {
    this.caPem = caPem;
    this.serverKeyStore = serverKeyStore;
  }

  /** The CA certificate (PEM) to trust. */
  Path caPem() {
    return caPem;
  }

  /** An SSLContext serving the server certificate (chain: server, CA). */
  SSLContext serverContext() throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(serverKeyStore)) {
      store.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, PASSWORD.toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    return context;
  }

  /** A new CA and a localhost server certificate in {@code dir}. */
  static TestCertificates create(Path dir) throws Exception {
    Files.createDirectories(dir);
    Path ca = dir.resolve("ca.p12");
    Path server = dir.resolve("server.p12");
    Path caPem = dir.resolve("ca.pem");
    Path request = dir.resolve("server.csr");
    Path serverPem = dir.resolve("server.pem");
    keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=bdk test CA",
        "-ext", "bc:c", "-validity", "2", "-keystore", ca.toString());
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-file", caPem.toString());
    keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-validity", "2", "-keystore", server.toString());
    keytool("-certreq", "-alias", "server", "-keystore", server.toString(), "-file", request.toString());
    keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-infile", request.toString(),
        "-outfile", serverPem.toString(), "-validity", "2",
        "-ext", "san=dns:localhost,ip:127.0.0.1", "-ext", "eku=serverAuth", "-ext", "ku:c=digitalSignature");
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", server.toString());
    keytool("-importcert", "-alias", "server", "-file", serverPem.toString(), "-keystore", server.toString());
    return new TestCertificates(caPem, server);
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("keytool " + String.join(" ", args) + " failed: " + output);
    }
  }
}
