package io.voyager.bdk.support.tls;

/**
 * How a gRPC server speaks: mutual TLS (the default everywhere: it presents {@code files}'
 * certificate and REQUIRES a client certificate issued by {@code files}' CA), or plaintext, which
 * only an explicit {@code --plaintext} flag asks for (local tools).
 */
public sealed interface ServerTls {
  /** No TLS at all: anyone who can reach the port may call. */
  record Plaintext() implements ServerTls {}

  /** TLS with a required client certificate from {@code files.trustedCa()}; files re-read on change. */
  record MutualTls(TlsFiles files) implements ServerTls {}

  ServerTls PLAINTEXT = new Plaintext();
}
