package io.voyager.bdk.support.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDK's HTTPS server and client with {@link JdkTls}, real certificates: a client of the CA is
 * served and sees who it called; a plaintext client, a client without a certificate and one of
 * another CA are refused at the handshake; and a client refuses a server whose certificate does not
 * name the host it dialled, even when the CA is right.
 */
class JdkTlsTest {
  @TempDir static Path dir;
  static TlsFiles server;
  static TlsFiles client;
  static TlsFiles foreignClient;
  static TlsFiles wrongNameServer;

  @BeforeAll
  static void certificates() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("bdk test internal CA", Duration.ofDays(1));
    server = TlsFiles.inDirectory(ca.issue("webhook-relay", List.of("webhook-relay.bdk.svc", "localhost"), List.of("127.0.0.1"),
        List.of("spiffe://bdk/webhook-relay"), Set.of(CertificateAuthority.Usage.SERVER, CertificateAuthority.Usage.CLIENT),
        Duration.ofDays(1)).writeTo(dir.resolve("server")));
    client = TlsFiles.inDirectory(ca.issue("envoy", List.of(), List.of(), List.of("spiffe://bdk/envoy/bdk-gateway"),
        Set.of(CertificateAuthority.Usage.CLIENT), Duration.ofDays(1)).writeTo(dir.resolve("client")));
    wrongNameServer = TlsFiles.inDirectory(ca.issue("someone", List.of("someone-else.bdk.svc"), List.of(), List.of(),
        Set.of(CertificateAuthority.Usage.SERVER), Duration.ofDays(1)).writeTo(dir.resolve("wrong-name")));
    CertificateAuthority other = CertificateAuthority.create("someone else's CA", Duration.ofDays(1));
    Path foreign = other.issue("envoy", List.of(), List.of(), List.of("spiffe://bdk/envoy/bdk-gateway"),
        Set.of(CertificateAuthority.Usage.CLIENT), Duration.ofDays(1)).writeTo(dir.resolve("foreign"));
    foreignClient = new TlsFiles(foreign.resolve("tls.crt"), foreign.resolve("tls.key"), server.trustedCa());
  }

  /** An HTTPS server answering 200 with the caller's verified URI SANs. */
  private static HttpsServer start(JdkTls tls) throws IOException {
    HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    https.setHttpsConfigurator(tls.serverConfigurator());
    https.createContext("/", exchange -> {
      PeerIdentity peer = PeerIdentity.of(((com.sun.net.httpserver.HttpsExchange) exchange).getSSLSession());
      byte[] body = String.join(",", peer == null ? List.of() : peer.uris()).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    https.start();
    return https;
  }

  private static HttpResponse<String> get(SSLContext context, String url) throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aClientOfTheCaIsServedAndTheServerSeesItsIdentity() throws Exception {
    try (JdkTls serverTls = JdkTls.mutual(server); JdkTls clientTls = JdkTls.mutual(client)) {
      HttpsServer https = start(serverTls);
      try {
        HttpResponse<String> response = get(clientTls.clientContext(), "https://127.0.0.1:" + https.getAddress().getPort() + "/");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("spiffe://bdk/envoy/bdk-gateway");
        assertThat(get(clientTls.clientContext(), "https://localhost:" + https.getAddress().getPort() + "/").statusCode())
            .as("a DNS name of the certificate").isEqualTo(200);
      } finally {
        https.stop(0);
      }
    }
  }

  @Test
  void plaintextClientsWithoutACertificateAndOfAnotherCaAreRefused() throws Exception {
    try (JdkTls serverTls = JdkTls.mutual(server); JdkTls foreignTls = JdkTls.mutual(foreignClient)) {
      HttpsServer https = start(serverTls);
      int port = https.getAddress().getPort();
      try {
        assertThatThrownBy(() -> get(SSLContext.getDefault(), "http://127.0.0.1:" + port + "/"))
            .as("plaintext").isInstanceOf(IOException.class);
        SSLContext noCertificate = SSLContext.getInstance("TLS");
        noCertificate.init(null, new javax.net.ssl.TrustManager[] {trustAll()}, null);
        assertThatThrownBy(() -> get(noCertificate, "https://127.0.0.1:" + port + "/"))
            .as("no client certificate").isInstanceOf(IOException.class);
        assertThatThrownBy(() -> get(foreignTls.clientContext(), "https://127.0.0.1:" + port + "/"))
            .as("another CA's client certificate").isInstanceOf(IOException.class);
      } finally {
        https.stop(0);
      }
    }
  }

  @Test
  void aClientRefusesAServerWhoseCertificateDoesNotNameTheHostDialled() throws Exception {
    try (JdkTls serverTls = JdkTls.mutual(wrongNameServer); JdkTls clientTls = JdkTls.mutual(client)) {
      HttpsServer https = start(serverTls);
      try {
        assertThatThrownBy(() -> get(clientTls.clientContext(), "https://127.0.0.1:" + https.getAddress().getPort() + "/"))
            .isInstanceOf(IOException.class);
      } finally {
        https.stop(0);
      }
    }
  }

  private static javax.net.ssl.X509TrustManager trustAll() {
    return new javax.net.ssl.X509TrustManager() {
      @Override
      public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

      @Override
      public java.security.cert.X509Certificate[] getAcceptedIssuers() {
        return new java.security.cert.X509Certificate[0];
      }
    };
  }
}
