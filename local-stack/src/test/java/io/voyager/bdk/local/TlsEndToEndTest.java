package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.kubernetes.api.model.Secret;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.voyager.bdk.support.tls.CertificateAuthority;
import io.voyager.bdk.support.tls.ClientTls;
import io.voyager.bdk.support.tls.TlsFiles;
import io.voyager.bdk.xds.ir.GatewayIrBuilder;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TLS with real certificates and a real Envoy. At the edge: the HTTPS listener serves the
 * certificate of Secret bdk/bdk-edge-tls, delivered by the xds-server over SDS, with h2 and
 * http/1.1; a renewed Secret is served to new connections by the same Envoy process; a broken or
 * deleted Secret withholds the HTTPS listener and nothing else. Inside: the xds-server, ext-authz
 * and the library-service refuse a plaintext client and a client whose certificate comes from
 * another CA; the xds-server refuses a certificate for one Envoy node claiming another, and
 * serves the node it names. (Every other end-to-end test runs through these mTLS hops too.)
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(30);

  @TempDir static Path runDir;
  @TempDir static Path otherDir;
  static LocalStack stack;
  static SSLContext trustingEdgeCa;
  static TlsFiles foreignClient;

  @BeforeAll
  static void start() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-tls").without(Component.CONTROLLER, Component.LOCAL_RUNTIME).start();
    trustingEdgeCa = trusting(stack.tls().edgeCaFile());
    CertificateAuthority other = CertificateAuthority.create("someone else's CA", Duration.ofDays(1));
    Path dir = other.issue("envoy", List.of(), List.of(), List.of("spiffe://bdk/envoy/bdk-gateway"),
        Set.of(CertificateAuthority.Usage.CLIENT), Duration.ofDays(1)).writeTo(otherDir.resolve("foreign"));
    foreignClient = new TlsFiles(dir.resolve("tls.crt"), dir.resolve("tls.key"), stack.tls().internalCaFile());
    await("HTTPS listener").atMost(CONVERGE).ignoreExceptions().until(() -> servedSerial() != null);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  static SSLContext trusting(Path caPem) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  /** The serial number of the certificate a new TLS connection to the HTTPS listener is shown. */
  static BigInteger servedSerial() throws Exception {
    try (SSLSocket socket = (SSLSocket) trustingEdgeCa.getSocketFactory().createSocket(LocalStack.LOCALHOST, stack.ports().envoyHttps())) {
      socket.setSoTimeout(5000);
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  static HttpResponse<String> httpsGet(HttpClient.Version version, String path) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(trustingEdgeCa).version(version).connectTimeout(Duration.ofSeconds(5)).build();
    return client.send(HttpRequest.newBuilder(URI.create(stack.httpsUrl() + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static X509Certificate pem(String pem) throws Exception {
    return CertificateAuthority.Pem.certificates(pem).get(0);
  }

  // ---- the edge ----

  @Test
  @Order(1)
  void httpsServesTheSecretsCertificateOverH2AndHttp11AndPlainHttpStays() throws Exception {
    assertThat(servedSerial()).isEqualTo(pem(stack.tls().edgeCertificate().certificatePem()).getSerialNumber());
    HttpResponse<String> h2 = httpsGet(HttpClient.Version.HTTP_2, "/api/v1/nope");
    assertThat(h2.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(h2.statusCode()).isEqualTo(404);
    assertThat(h2.body()).contains("no route for GET /api/v1/nope");
    HttpResponse<String> h1 = httpsGet(HttpClient.Version.HTTP_1_1, "/api/v1/books");
    assertThat(h1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(h1.statusCode()).isEqualTo(401); // the same routes: a library call needs a token
    assertThat(GatewayClient.anonymous(stack).get("/api/v1/nope").status()).isEqualTo(404);
    // A client that does not trust the stack's CA refuses the certificate.
    HttpClient untrusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    assertThatThrownBy(() -> untrusting.send(HttpRequest.newBuilder(URI.create(stack.httpsUrl() + "/api/v1/nope")).build(),
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(SSLHandshakeException.class);
  }

  @Test
  @Order(2)
  void aRenewedSecretIsServedToNewConnectionsWithoutARestart() throws Exception {
    long pid = stack.envoy().pid();
    BigInteger before = servedSerial();
    CertificateAuthority.IssuedCertificate renewed = stack.tls().renewEdgeCertificate();
    BigInteger expected = pem(renewed.certificatePem()).getSerialNumber();
    assertThat(expected).isNotEqualTo(before);
    LocalTls.publish(stack.kubernetes(), LocalTls.edgeSecret(renewed));
    await("renewed certificate served").atMost(CONVERGE).ignoreExceptions().until(() -> expected.equals(servedSerial()));
    assertThat(stack.envoy().pid()).isEqualTo(pid);
    assertThat(stack.envoy().isAlive()).isTrue();
    assertThat(httpsGet(HttpClient.Version.HTTP_2, "/api/v1/nope").statusCode()).isEqualTo(404);
  }

  @Test
  @Order(3)
  void aBrokenOrMissingSecretWithholdsOnlyTheHttpsListenerAndSaysWhy() throws Exception {
    CertificateAuthority.IssuedCertificate good = stack.tls().renewEdgeCertificate();
    CertificateAuthority.IssuedCertificate other = stack.tls().renewEdgeCertificate();
    Secret mismatched = LocalTls.edgeSecret(good);
    mismatched.getData().put("tls.key", Base64.getEncoder().encodeToString(other.privateKeyPem().getBytes()));
    LocalTls.publish(stack.kubernetes(), mismatched);
    await("HTTPS withheld").atMost(CONVERGE).until(TlsEndToEndTest::httpsRefused);
    assertThat(GatewayClient.anonymous(stack).get("/api/v1/nope").status()).isEqualTo(404);
    assertThat(xdsMetrics()).contains("bdk_xds_edge_tls_ready{service=\"xds-server\"} 0.0");

    LocalTls.publish(stack.kubernetes(), LocalTls.edgeSecret(good));
    BigInteger expected = pem(good.certificatePem()).getSerialNumber();
    await("HTTPS back").atMost(CONVERGE).ignoreExceptions().until(() -> expected.equals(servedSerial()));
    assertThat(xdsMetrics()).contains("bdk_xds_edge_tls_ready{service=\"xds-server\"} 1.0");

    stack.kubernetes().secrets().inNamespace(LocalTls.EDGE_SECRET_NAMESPACE).withName(LocalTls.EDGE_SECRET_NAME).delete();
    await("HTTPS withheld without its Secret").atMost(CONVERGE).until(TlsEndToEndTest::httpsRefused);
    assertThat(GatewayClient.anonymous(stack).get("/api/v1/nope").status()).isEqualTo(404);
    // Once the withheld listener has drained, Envoy drops its secret subscription; the same
    // certificate coming back is then a resubscription at the secrets' unchanged version, which the
    // xds-server must answer (java-control-plane alone leaves it waiting).
    await("Envoy dropped the edge secret").atMost(CONVERGE).pollInterval(Duration.ofMillis(200))
        .until(() -> stack.envoy().admin().statOrZero("listener_manager.total_listeners_draining") == 0
            && stack.envoy().admin().configDump("dynamic_active_secrets").findValuesAsText("name")
                .stream().noneMatch(GatewayIrBuilder.EDGE_SECRET_NAME::equals));
    LocalTls.publish(stack.kubernetes(), LocalTls.edgeSecret(good));
    await("HTTPS back again").atMost(CONVERGE).ignoreExceptions().until(() -> expected.equals(servedSerial()));
  }

  static boolean httpsRefused() {
    try {
      servedSerial();
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  static String xdsMetrics() throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://" + LocalStack.LOCALHOST + ":" + stack.ports().xdsAdmin() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  // ---- inside: every gRPC server requires a client certificate of the internal CA ----

  static ServingStatus health(int port, String serverName, ChannelCredentials credentials) throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(LocalStack.LOCALHOST, port, credentials)
        .overrideAuthority(serverName).build();
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static Map<String, Integer> grpcPorts() {
    return Map.of(
        LocalTls.SERVICE_NAMES.get(Component.XDS), stack.ports().xds(),
        LocalTls.SERVICE_NAMES.get(Component.EXT_AUTHZ), stack.ports().extAuthzGrpc(),
        LocalTls.SERVICE_NAMES.get(Component.LIBRARY), stack.ports().libraryGrpc());
  }

  @Test
  void eachServiceServesAClientCertificateOfTheInternalCa() throws Exception {
    for (Map.Entry<String, Integer> service : grpcPorts().entrySet()) {
      assertThat(health(service.getValue(), service.getKey(), ClientTls.mutualTls(stack.tls().operator())))
          .as(service.getKey()).isEqualTo(ServingStatus.SERVING);
    }
  }

  @Test
  void eachServiceRefusesAPlaintextClientATlsClientWithoutCertificateAndAnotherCasCertificate() {
    for (Map.Entry<String, Integer> service : grpcPorts().entrySet()) {
      for (ChannelCredentials refused : List.of(ClientTls.plaintext(), ClientTls.serverOnly(stack.tls().internalCaFile()),
          ClientTls.mutualTls(foreignClient))) {
        assertThatThrownBy(() -> health(service.getValue(), service.getKey(), refused))
            .as(service.getKey())
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      }
    }
  }

  /**
   * Opens an ADS stream ({@code apiType}: state-of-the-world or delta) presenting {@code client}
   * and claiming {@code nodeCluster}, asks for clusters; returns the number of clusters in its
   * first answer, or the error that ended it.
   */
  static Object adsFirstAnswer(TlsFiles client, String nodeCluster, AdsApiType apiType) throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(LocalStack.LOCALHOST, stack.ports().xds(), ClientTls.mutualTls(client))
        .overrideAuthority(LocalTls.SERVICE_NAMES.get(Component.XDS)).build();
    CompletableFuture<Object> first = new CompletableFuture<>();
    try {
      Node node = Node.newBuilder().setId("probe").setCluster(nodeCluster).build();
      String cds = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
      var stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
      if (apiType == AdsApiType.GRPC) {
        stub.streamAggregatedResources(firstOf(first, DiscoveryResponse::getResourcesCount))
            .onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(cds).build());
      } else {
        stub.deltaAggregatedResources(firstOf(first, DeltaDiscoveryResponse::getResourcesCount))
            .onNext(DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(cds).build());
      }
      return first.get(20, TimeUnit.SECONDS);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Completes {@code first} with the first response's {@code count}, the stream's error, or "completed". */
  static <T> StreamObserver<T> firstOf(CompletableFuture<Object> first, ToIntFunction<T> count) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        first.complete(count.applyAsInt(value));
      }

      @Override
      public void onError(Throwable t) {
        first.complete(t);
      }

      @Override
      public void onCompleted() {
        first.complete("completed");
      }
    };
  }

  @ParameterizedTest
  @EnumSource(AdsApiType.class)
  void theXdsServerAcceptsAStreamOnlyForTheNodeItsCertificateNames(AdsApiType apiType) throws Exception {
    CertificateAuthority.IssuedCertificate gatewayA = stack.tls().internalCa().issue("gateway-a", List.of(), List.of(),
        List.of("spiffe://bdk/envoy/gateway-a"), Set.of(CertificateAuthority.Usage.CLIENT), Duration.ofHours(1));
    Path dir = gatewayA.writeTo(otherDir.resolve("gateway-a-" + apiType));
    TlsFiles a = new TlsFiles(dir.resolve("tls.crt"), dir.resolve("tls.key"), dir.resolve("ca.crt"));

    Object claimingB = adsFirstAnswer(a, "gateway-b", apiType);
    assertThat(claimingB).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(e.getStatus().getDescription()).contains("spiffe://bdk/envoy/gateway-b");
    });
    assertThat(adsFirstAnswer(foreignClient, "bdk-gateway", apiType)).isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    Object asA = adsFirstAnswer(a, "gateway-a", apiType);
    assertThat(asA).as("clusters in the first answer").isInstanceOfSatisfying(Integer.class, n -> assertThat(n).isPositive());
    assertThat(xdsMetrics()).containsPattern("bdk_xds_ads_refused_total\\{service=\"xds-server\"} [1-9]");
  }
}
