package io.voyager.bdk.support.tls;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The TLS flags of a gRPC server (a picocli mixin): {@code --tls-cert-file}, {@code --tls-key-file}
 * and {@code --tls-client-ca-file} (mutual TLS, the default: all three are required), or
 * {@code --plaintext} (no TLS; for local tools only — never in a cluster).
 */
public final class ServerTlsOptions {
  @Option(names = "--tls-cert-file", paramLabel = "PATH",
      description = "Server certificate chain, PEM (a mounted kubernetes.io/tls Secret's tls.crt). Required unless --plaintext.")
  Path certificate;

  @Option(names = "--tls-key-file", paramLabel = "PATH",
      description = "Its private key, PKCS#8 PEM (tls.key). Required unless --plaintext.")
  Path privateKey;

  @Option(names = "--tls-client-ca-file", paramLabel = "PATH",
      description = "CA certificate(s), PEM, that callers' client certificates must chain to (ca.crt); a caller without one "
          + "is refused. Required unless --plaintext. All three files are re-read when they change (rotation without a restart).")
  Path clientCa;

  @Option(names = "--plaintext",
      description = "Serve gRPC without TLS: anyone who reaches the port may call. For local tools only; never in a cluster.")
  boolean plaintext;

  /**
   * The server's TLS as the flags say.
   *
   * @throws IllegalArgumentException naming the flag that is missing, unreadable or contradictory
   */
  public ServerTls tls() {
    boolean anyFile = certificate != null || privateKey != null || clientCa != null;
    if (plaintext) {
      if (anyFile) {
        throw new IllegalArgumentException("--plaintext: cannot be combined with --tls-cert-file, --tls-key-file or --tls-client-ca-file");
      }
      return ServerTls.PLAINTEXT;
    }
    if (certificate == null) {
      throw new IllegalArgumentException("--tls-cert-file: required (mutual TLS is the default; --plaintext turns TLS off for local tools)");
    }
    if (privateKey == null) {
      throw new IllegalArgumentException("--tls-key-file: required with --tls-cert-file");
    }
    if (clientCa == null) {
      throw new IllegalArgumentException("--tls-client-ca-file: required with --tls-cert-file (callers must present a client certificate)");
    }
    TlsFiles files = new TlsFiles(certificate, privateKey, clientCa);
    files.requireReadable("--tls-cert-file", "--tls-key-file", "--tls-client-ca-file");
    return new ServerTls.MutualTls(files);
  }
}
