package io.voyager.bdk.support.tls;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Channel credentials for a gRPC client of our services (operators' tools, tests). */
public final class ClientTls {
  private ClientTls() {}

  /**
   * Mutual TLS: presents {@code files}' certificate and verifies the server's against
   * {@code files.trustedCa()} (host name included: dial the name the server certificate carries,
   * or override the authority).
   */
  public static ChannelCredentials mutualTls(TlsFiles files) {
    try {
      return TlsChannelCredentials.newBuilder()
          .keyManager(files.certificate().toFile(), files.privateKey().toFile())
          .trustManager(files.trustedCa().toFile())
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read client TLS files " + files + ": " + e.getMessage(), e);
    }
  }

  /** TLS that verifies the server but presents no client certificate. */
  public static ChannelCredentials serverOnly(java.nio.file.Path trustedCa) {
    try {
      return TlsChannelCredentials.newBuilder().trustManager(trustedCa.toFile()).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static ChannelCredentials plaintext() {
    return InsecureChannelCredentials.create();
  }
}
