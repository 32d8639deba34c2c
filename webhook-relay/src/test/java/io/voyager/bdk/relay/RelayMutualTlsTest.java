package io.voyager.bdk.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.nats.NatsServerBinary;
import io.voyager.bdk.nats.NatsServerProcess;
import io.voyager.bdk.support.tls.CertificateAuthority;
import io.voyager.bdk.support.tls.CertificateAuthority.Usage;
import io.voyager.bdk.support.tls.JdkTls;
import io.voyager.bdk.support.tls.PeerIdentity;
import io.voyager.bdk.support.tls.TlsFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The relay's two hops with mutual TLS and real certificates of one internal CA: Envoy (a client
 * certificate of the CA) is accepted, a plaintext client or one without a certificate is refused
 * at the handshake; a delivery to an https target presents the relay's identity
 * ({@value WebhookDelivery#RELAY_IDENTITY}) and reaches a server that requires it. Without
 * certificates the relay does not start, naming the flag.
 */
class RelayMutualTlsTest {
  @TempDir Path dir;

  @Test
  void envoyIsAcceptedPlaintextIsRefusedAndDeliveriesPresentTheRelayIdentity() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("internal", Duration.ofDays(1));
    TlsFiles relayFiles = TlsFiles.inDirectory(ca.issue("webhook-relay", List.of("webhook-relay.bdk.svc", "localhost"),
        List.of("127.0.0.1"), List.of(WebhookDelivery.RELAY_IDENTITY), Set.of(Usage.SERVER, Usage.CLIENT), Duration.ofDays(1))
        .writeTo(dir.resolve("relay")));
    TlsFiles envoyFiles = TlsFiles.inDirectory(ca.issue("envoy", List.of("envoy-internal.bdk.svc"), List.of("127.0.0.1"),
        List.of("spiffe://bdk/envoy/bdk-gateway"), Set.of(Usage.SERVER, Usage.CLIENT), Duration.ofDays(1))
        .writeTo(dir.resolve("envoy")));
    List<String> callers = new CopyOnWriteArrayList<>();
    try (JdkTls envoyTls = JdkTls.mutual(envoyFiles);
        NatsServerProcess nats = NatsServerProcess.startEphemeral(NatsServerBinary.checkoutRoot(), dir.resolve("nats"))) {
      // stands in for the gateway's internal listener: requires a client certificate of the CA
      HttpsServer gateway = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      gateway.setHttpsConfigurator(envoyTls.serverConfigurator());
      gateway.createContext("/", exchange -> {
        try (exchange) {
          exchange.getRequestBody().readAllBytes();
          PeerIdentity peer = PeerIdentity.of(((HttpsExchange) exchange).getSSLSession());
          callers.add(peer == null ? "none" : String.join(",", peer.uris()) + " " + exchange.getRequestURI().getPath());
          exchange.sendResponseHeaders(200, -1);
        }
      });
      gateway.start();
      try (AutoCloseable relay = Main.start("--nats-url", nats.url(), "--http-host", "127.0.0.1", "--http-port", "0",
          "--admin-host", "127.0.0.1", "--admin-port", "0",
          "--tls-cert-file", relayFiles.certificate().toString(), "--tls-key-file", relayFiles.privateKey().toString(),
          "--tls-client-ca-file", relayFiles.trustedCa().toString(),
          "--delivery-url", "https://127.0.0.1:" + gateway.getAddress().getPort() + DeliveryTarget.INTERNAL_PATH_TEMPLATE)) {
        int port = ((Main.Running) relay).httpPort();
        HttpClient asEnvoy = HttpClient.newBuilder().sslContext(envoyTls.clientContext()).build();
        HttpResponse<String> accepted = asEnvoy.send(webhook("https://127.0.0.1:" + port + "/api/v1/webhooks/github/k"),
            HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);

        assertThatThrownBy(() -> HttpClient.newHttpClient().send(webhook("http://127.0.0.1:" + port + "/x"),
            HttpResponse.BodyHandlers.ofString())).as("plaintext").isInstanceOf(IOException.class);
        assertThatThrownBy(() -> HttpClient.newBuilder().sslContext(trustingNoCertificate()).build()
            .send(webhook("https://127.0.0.1:" + port + "/x"), HttpResponse.BodyHandlers.ofString()))
            .as("TLS without a client certificate").isInstanceOf(IOException.class);

        await("delivered over mutual TLS").atMost(Duration.ofSeconds(30)).until(() -> !callers.isEmpty());
        assertThat(callers.get(0)).isEqualTo(WebhookDelivery.RELAY_IDENTITY
            + " /bdk-internal/v1/deliveries/customer-acme/orders-1/github");
      } finally {
        gateway.stop(0);
      }
    }
  }

  @Test
  void withoutCertificatesTheRelayDoesNotStartAndSaysWhichFlag() {
    assertThatThrownBy(() -> Main.start("--nats-url", "nats://127.0.0.1:1", "--http-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--tls-cert-file");
    assertThatThrownBy(() -> Main.start("--nats-url", "nats://127.0.0.1:1", "--http-port", "0", "--admin-port", "0",
        "--plaintext", "--delivery-url", "https://127.0.0.1:8444/x"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--delivery-url");
  }

  private static HttpRequest webhook(String url) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .header("x-bdk-webhook-id", RelayHarness.newId())
        .header("x-bdk-instance", "customer-acme/orders-1").header("x-bdk-integration", "github")
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
  }

  private static javax.net.ssl.SSLContext trustingNoCertificate() throws Exception {
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
      @Override
      public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

      @Override
      public java.security.cert.X509Certificate[] getAcceptedIssuers() {
        return new java.security.cert.X509Certificate[0];
      }
    }}, null);
    return context;
  }
}
