package io.voyager.bdk.support.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.support.GrpcServers;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gRPC server with mutual TLS, with real certificates: a client with a certificate of the
 * server's CA is served; a plaintext client, a TLS client without a certificate and a client whose
 * certificate comes from another CA are refused at the handshake.
 */
class MutualTlsServerTest {
  @TempDir static Path dir;
  static CertificateAuthority ca;
  static TlsFiles server;
  static TlsFiles client;
  static TlsFiles foreignClient;

  @BeforeAll
  static void certificates() throws Exception {
    ca = CertificateAuthority.create("bdk test internal CA", Duration.ofDays(1));
    server = TlsFiles.inDirectory(ca.issue("ext-authz", List.of("ext-authz.bdk.svc", "localhost"), List.of("127.0.0.1"),
        List.of(), Set.of(CertificateAuthority.Usage.SERVER), Duration.ofDays(1)).writeTo(dir.resolve("server")));
    client = TlsFiles.inDirectory(ca.issue("envoy", List.of(), List.of(), List.of("spiffe://bdk/envoy/bdk-gateway"),
        Set.of(CertificateAuthority.Usage.CLIENT), Duration.ofDays(1)).writeTo(dir.resolve("client")));
    CertificateAuthority other = CertificateAuthority.create("someone else's CA", Duration.ofDays(1));
    // Trusts our CA for the server, but its own certificate is the other CA's.
    Path foreignDir = other.issue("envoy", List.of(), List.of(), List.of("spiffe://bdk/envoy/bdk-gateway"),
        Set.of(CertificateAuthority.Usage.CLIENT), Duration.ofDays(1)).writeTo(dir.resolve("foreign"));
    foreignClient = new TlsFiles(foreignDir.resolve("tls.crt"), foreignDir.resolve("tls.key"), server.trustedCa());
  }

  private static GrpcServers.Running start() {
    return GrpcServers.start(new InetSocketAddress("127.0.0.1", 0), new SimpleMeterRegistry(),
        new ServerTls.MutualTls(server));
  }

  private static ServingStatus check(int port, ChannelCredentials credentials) throws InterruptedException {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", port, credentials).build();
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aClientWithACertificateOfTheCaIsServed() throws Exception {
    try (GrpcServers.Running running = start()) {
      assertThat(check(running.port(), ClientTls.mutualTls(client))).isEqualTo(ServingStatus.SERVING);
    }
  }

  @Test
  void aPlaintextClientIsRefused() {
    try (GrpcServers.Running running = start()) {
      assertThatThrownBy(() -> check(running.port(), ClientTls.plaintext()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
  }

  @Test
  void aTlsClientWithoutACertificateIsRefused() {
    try (GrpcServers.Running running = start()) {
      assertThatThrownBy(() -> check(running.port(), ClientTls.serverOnly(server.trustedCa())))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
  }

  @Test
  void aClientCertificateOfAnotherCaIsRefused() {
    try (GrpcServers.Running running = start()) {
      assertThatThrownBy(() -> check(running.port(), ClientTls.mutualTls(foreignClient)))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
  }

  @Test
  void theCertificatesCarryTheirNames() throws Exception {
    var leaf = CertificateAuthority.Pem.certificates(java.nio.file.Files.readString(client.certificate())).get(0);
    assertThat(PeerIdentity.of(leaf).uris()).containsExactly("spiffe://bdk/envoy/bdk-gateway");
    leaf.verify(ca.certificate().getPublicKey());
    assertThat(CertificateAuthority.load(writeCa()).certificate()).isEqualTo(ca.certificate());
  }

  /** A TLS session's peer identity is read from its certificate once and kept in the session for its later calls. */
  @Test
  void aSessionsPeerIdentityIsReadOnceAndKeptInTheSession() throws Exception {
    var leaf = CertificateAuthority.Pem.certificates(java.nio.file.Files.readString(client.certificate())).get(0);
    java.util.Map<String, Object> values = new java.util.HashMap<>();
    java.util.concurrent.atomic.AtomicInteger chainReads = new java.util.concurrent.atomic.AtomicInteger();
    javax.net.ssl.SSLSession session = (javax.net.ssl.SSLSession) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {javax.net.ssl.SSLSession.class}, (proxy, method, args) -> switch (method.getName()) {
          case "getPeerCertificates" -> {
            chainReads.incrementAndGet();
            yield new java.security.cert.Certificate[] {leaf};
          }
          case "getValue" -> values.get((String) args[0]);
          case "putValue" -> values.put((String) args[0], args[1]);
          default -> throw new UnsupportedOperationException(method.getName());
        });

    PeerIdentity first = PeerIdentity.of(session);
    PeerIdentity second = PeerIdentity.of(session);

    assertThat(first.uris()).containsExactly("spiffe://bdk/envoy/bdk-gateway");
    assertThat(second).isSameAs(first);
    assertThat(chainReads).hasValue(1);
    assertThat(values).containsEntry(PeerIdentity.SESSION_VALUE, first);
  }

  private static Path writeCa() throws Exception {
    Path caDir = dir.resolve("ca");
    ca.writeTo(caDir);
    return caDir;
  }
}
