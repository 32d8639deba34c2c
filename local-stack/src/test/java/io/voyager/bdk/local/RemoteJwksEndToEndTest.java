package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.model.BdkRoles;
import io.voyager.bdk.support.auth.DevIssuer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --jwks-uri}: Envoy fetches the keys itself through the cluster the xds-server builds for
 * the URI's host — over TLS with SNI and the server certificate verified against
 * {@code --jwks-ca-file} (real certificates, made by keytool). A JWKS that cannot be fetched (a
 * dead port, or a server whose certificate is not trusted) fails closed: every library request is
 * 401 "Jwks remote fetch is failed" and nothing is forwarded. (The library-service keeps verifying
 * with the stack's ConfigMap, which holds the same keys.)
 */
class RemoteJwksEndToEndTest {
  static final Duration CONVERGE = Duration.ofSeconds(45);

  @TempDir Path dir;

  /** Serves the stack's public keys (read from its issuer file) at /jwks.json over TLS; records each fetch's SNI. */
  record JwksServer(HttpsServer server, ConcurrentLinkedQueue<String> fetches) implements AutoCloseable {
    static JwksServer start(TestCertificates certificates, Path runDir) throws Exception {
      HttpsServer server = HttpsServer.create(new InetSocketAddress(LocalStack.LOCALHOST, 0), 0);
      server.setHttpsConfigurator(new HttpsConfigurator(certificates.serverContext()));
      ConcurrentLinkedQueue<String> fetches = new ConcurrentLinkedQueue<>();
      server.createContext("/jwks.json", exchange -> {
        List<SNIServerName> names = ((ExtendedSSLSession) ((HttpsExchange) exchange).getSSLSession()).getRequestedServerNames();
        fetches.add(names.isEmpty() ? "(no SNI)" : ((SNIHostName) names.get(0)).getAsciiName());
        byte[] body = DevIssuer.read(runDir.resolve(LocalIssuer.AUTH_DIR)).publicJwks().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("content-type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
      });
      server.start();
      return new JwksServer(server, fetches);
    }

    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  LocalStack.Builder stack(Path runDir, String node, String jwksUri) {
    return TestStacks.ephemeral(runDir, node)
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME, Component.EXT_AUTHZ)
        .jwtFlags(Component.XDS, "--jwt-issuer", DevIssuer.LOCAL_ISSUER, "--jwt-audience", DevIssuer.LOCAL_AUDIENCE,
            "--jwks-uri", jwksUri);
  }

  @Test
  void envoyFetchesTheJwksOverVerifiedTlsWithSniAndItsTokensReachTheLibrary() throws Exception {
    TestCertificates certificates = TestCertificates.create(dir.resolve("certs"));
    Path runDir = dir.resolve("run");
    try (JwksServer jwks = JwksServer.start(certificates, runDir);
        LocalStack stack = stack(runDir, "e2e-remote-jwks", "https://localhost:" + jwks.port() + "/jwks.json")
            .serviceArgs(Component.XDS, "--jwks-ca-file", certificates.caPem().toString())
            .start()) {
      GatewayClient api = GatewayClient.of(stack);

      await("tokens verified with the fetched keys").atMost(CONVERGE).pollInterval(Duration.ofMillis(250))
          .until(() -> api.get("/api/v1/books").status() == 200);

      assertThat(jwks.fetches()).isNotEmpty().allMatch("localhost"::equals);
      Answer anonymous = GatewayClient.anonymous(stack).get("/api/v1/books");
      assertThat(anonymous.status()).isEqualTo(401);
      assertThat(anonymous.json().path("message").asText()).isEqualTo("Jwt is missing");
      assertThat(api.withToken(StackTokens.token(stack, DevIssuer.Algorithm.ES256, "acme",
          BdkRoles.ORG_VIEWER)).get("/api/v1/books").status()).isEqualTo(200);
    }
  }

  @Test
  void aJwksUriOnADeadPortFailsClosedAndNothingIsForwarded() throws Exception {
    int dead = StackPorts.freePorts(1).get(0);
    try (LocalStack stack = stack(dir.resolve("run"), "e2e-dead-jwks", "http://127.0.0.1:" + dead + "/jwks.json").start()) {
      assertFailsClosed(stack);
    }
  }

  @Test
  void aJwksServerWhoseCertificateIsNotTrustedFailsClosed() throws Exception {
    TestCertificates certificates = TestCertificates.create(dir.resolve("certs"));
    TestCertificates other = TestCertificates.create(dir.resolve("other-ca"));
    Path runDir = dir.resolve("run");
    try (JwksServer jwks = JwksServer.start(certificates, runDir);
        LocalStack stack = stack(runDir, "e2e-untrusted-jwks", "https://localhost:" + jwks.port() + "/jwks.json")
            .serviceArgs(Component.XDS, "--jwks-ca-file", other.caPem().toString())
            .start()) {
      assertFailsClosed(stack);
      assertThat(jwks.fetches()).as("no JWKS was ever served over the refused handshake").isEmpty();
    }
  }

  private static void assertFailsClosed(LocalStack stack) throws Exception {
    GatewayClient api = GatewayClient.of(stack);
    double before = EdgeAuthEndToEndTest.metric("http://" + LocalStack.LOCALHOST + ":" + stack.ports().libraryAdmin() + "/metrics",
        "grpc_server_processing_duration_seconds_count", "service=\"" + EdgeAuthEndToEndTest.LIBRARY_SERVICE + "\"");
    await("refused while the JWKS cannot be fetched").atMost(CONVERGE).pollInterval(Duration.ofMillis(250))
        .until(() -> api.get("/api/v1/books").json().path("message").asText().equals("Jwks remote fetch is failed"));
    for (int i = 0; i < 3; i++) {
      Answer answer = api.get("/api/v1/books");
      assertThat(answer.status()).isEqualTo(401);
      assertThat(answer.json().path("code").asInt()).isEqualTo(16);
      assertThat(answer.header("www-authenticate")).contains("Bearer realm=\"bdk\", error=\"invalid_token\"");
    }
    assertThat(EdgeAuthEndToEndTest.metric("http://" + LocalStack.LOCALHOST + ":" + stack.ports().libraryAdmin() + "/metrics",
        "grpc_server_processing_duration_seconds_count", "service=\"" + EdgeAuthEndToEndTest.LIBRARY_SERVICE + "\""))
        .as("never forwarded").isEqualTo(before);
  }
}
