package io.voyager.bdk.xds.translate;

import static io.voyager.bdk.xds.Fixtures.book;
import static io.voyager.bdk.xds.Fixtures.webhook;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.voyager.bdk.support.tls.CertificateAuthority;
import io.voyager.bdk.xds.Fixtures;
import io.voyager.bdk.xds.admin.SnapshotJson;
import io.voyager.bdk.xds.model.EdgeCertificate;
import io.voyager.bdk.xds.model.EdgeSettings;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The public side of the translation: listeners, certificate, header rules, limits, upstream TLS. Plain inputs and outputs. */
class EdgeTranslationTest {
  static final GatewaySettings SETTINGS = GatewaySettings.defaults();
  static final CertificateAuthority CA = CertificateAuthority.create("edge test CA", Duration.ofDays(1));
  static final CertificateAuthority.IssuedCertificate CERT = CA.issue("localhost", List.of("localhost"), List.of("127.0.0.1"),
      List.of(), Set.of(CertificateAuthority.Usage.SERVER), Duration.ofDays(1));
  static final EdgeCertificate USABLE = EdgeCertificate.parse("Secret bdk/bdk-edge-tls", CERT.certificatePem(),
      CERT.privateKeyPem(), Instant.now());

  final GatewayTranslator translator = new GatewayTranslator(new XdsTranslator(SETTINGS.transcoder()));

  Translation translate(GatewaySettings settings, EdgeCertificate certificate) {
    return translator.translate(new GatewayInput(settings, List.of(book("customer-a", "acme", webhook("github", "github"))),
        GatewayTranslatorTest.CORE_SLICES).withJwks(Fixtures.JWKS).withEdgeCertificate(certificate));
  }

  static HttpConnectionManager hcm(Listener listener) throws InvalidProtocolBufferException {
    return listener.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
  }

  static Listener listener(Translation t, String name) {
    return t.resources().listeners().stream().filter(l -> l.getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void aUsableCertificateServesHttpsOverSdsBesideThePlainListener() throws Exception {
    Translation t = translate(SETTINGS, USABLE);
    assertThat(t.resources().listeners()).extracting(Listener::getName).containsExactly("bdk-http", "bdk-https");
    Listener https = listener(t, "bdk-https");
    assertThat(https.getAddress().getSocketAddress().getPortValue()).isEqualTo(8443);
    DownstreamTlsContext tls = https.getFilterChains(0).getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
    assertThat(tls.getCommonTlsContext().getTlsParams().getTlsMinimumProtocolVersion()).isEqualTo(TlsParameters.TlsProtocol.TLSv1_2);
    assertThat(tls.getCommonTlsContext().getAlpnProtocolsList()).containsExactly("h2", "http/1.1");
    var sds = tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0);
    assertThat(sds.getName()).isEqualTo("bdk-edge-tls");
    assertThat(sds.getSdsConfig().hasAds()).isTrue();
    // The secret itself is in the snapshot, nowhere else; its key never in the listener.
    assertThat(t.resources().secrets()).singleElement().satisfies(secret -> {
      assertThat(secret.getName()).isEqualTo("bdk-edge-tls");
      assertThat(secret.getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8()).isEqualTo(CERT.certificatePem());
    });
    assertThat(https.toString()).doesNotContain("PRIVATE KEY");
    assertThat(hcm(https).getRds().getRouteConfigName()).isEqualTo(XdsTranslator.ROUTE_CONFIG_NAME);
    ContentVersionedSnapshot snapshot = ContentVersionedSnapshot.of(t.resources());
    snapshot.ensureConsistent();
    assertThat(SnapshotJson.render(snapshot, Set.copyOf(SnapshotJson.TYPES))).doesNotContain("PRIVATE KEY").contains("bdk-edge-tls");
    assertThat(t.resources().toString()).doesNotContain("PRIVATE KEY");
  }

  @Test
  void anUnusableCertificateWithholdsOnlyTheHttpsListener() throws Exception {
    Translation served = translate(SETTINGS, USABLE);
    CertificateAuthority.IssuedCertificate other = CA.issue("other", List.of("localhost"), List.of(), List.of(),
        Set.of(CertificateAuthority.Usage.SERVER), Duration.ofDays(1));
    for (EdgeCertificate broken : List.of(
        EdgeCertificate.parse("Secret bdk/bdk-edge-tls", CERT.certificatePem(), other.privateKeyPem(), Instant.now()),
        EdgeCertificate.parse("Secret bdk/bdk-edge-tls", CERT.certificatePem(), CERT.privateKeyPem(), Instant.now().plus(Duration.ofDays(3))),
        EdgeCertificate.parse("Secret bdk/bdk-edge-tls", "garbage", CERT.privateKeyPem(), Instant.now()),
        new EdgeCertificate.Unavailable("Secret bdk/bdk-edge-tls: not found"),
        EdgeCertificate.NOT_READ)) {
      assertThat(broken).isInstanceOf(EdgeCertificate.Unavailable.class);
      Translation t = translate(SETTINGS, broken);
      assertThat(t.resources().listeners()).extracting(Listener::getName).containsExactly("bdk-http");
      assertThat(t.resources().secrets()).isEmpty();
      assertThat(t.resources().listeners().get(0)).isEqualTo(served.resources().listeners().get(0));
      assertThat(t.resources().routes()).isEqualTo(served.resources().routes());
      assertThat(t.resources().clusters()).isEqualTo(served.resources().clusters());
      // After a certificate was served, its secret stays (referenced by no listener) so Envoy's SDS
      // subscription survives until the next good one.
      Translation afterServing = translate(SETTINGS, ((EdgeCertificate.Unavailable) broken).withPrevious((EdgeCertificate.Usable) USABLE));
      assertThat(afterServing.resources().listeners()).extracting(Listener::getName).containsExactly("bdk-http");
      assertThat(afterServing.resources().secrets()).isEqualTo(served.resources().secrets());
      ContentVersionedSnapshot.of(afterServing.resources()).ensureConsistent();
    }
  }

  @Test
  void certificateProblemsAreNamed() {
    CertificateAuthority.IssuedCertificate other = CA.issue("other", List.of(), List.of(), List.of(),
        Set.of(CertificateAuthority.Usage.SERVER), Duration.ofDays(1));
    assertThat(EdgeCertificate.parse("S", CERT.certificatePem(), other.privateKeyPem(), Instant.now()))
        .isEqualTo(new EdgeCertificate.Unavailable("S: tls.key does not belong to the certificate in tls.crt"));
    assertThat(((EdgeCertificate.Unavailable) EdgeCertificate.parse("S", CERT.certificatePem(), CERT.privateKeyPem(),
        Instant.now().plus(Duration.ofDays(2)))).reason()).startsWith("S: the certificate expired at ");
    assertThat(EdgeCertificate.parse("S", null, CERT.privateKeyPem(), Instant.now()))
        .isEqualTo(new EdgeCertificate.Unavailable("S: tls.crt is missing or empty"));
    assertThat(((EdgeCertificate.Unavailable) EdgeCertificate.parse("S", CERT.certificatePem(), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        Instant.now())).reason()).startsWith("S: tls.key is not an unencrypted PEM private key").doesNotContain("AAAA");
    assertThat(USABLE.toString()).doesNotContain("PRIVATE");
  }

  @Test
  void redirectModeLeavesPlainHttpNothingButA308ToHttps() throws Exception {
    GatewaySettings redirect = SETTINGS.withEdge(SETTINGS.edge().withPlainHttp(EdgeSettings.PlainHttp.REDIRECT));
    Translation t = translate(redirect, USABLE);
    HttpConnectionManager plain = hcm(listener(t, "bdk-http"));
    assertThat(plain.hasRds()).isFalse();
    var route = plain.getRouteConfig().getVirtualHosts(0).getRoutes(0);
    assertThat(route.getMatch().getPrefix()).isEqualTo("/");
    assertThat(route.getRedirect().getHttpsRedirect()).isTrue();
    assertThat(route.getRedirect().getResponseCode()).isEqualTo(RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT);
    assertThat(plain.getHttpFiltersList()).extracting(f -> f.getName()).containsExactly("envoy.filters.http.router");
    assertThat(hcm(listener(t, "bdk-https")).getRds().getRouteConfigName()).isEqualTo(XdsTranslator.ROUTE_CONFIG_NAME);
  }

  @Test
  void bothListenersTrustOnlyTheConfiguredHopsStripClientHeadersFirstAndBoundConnections() throws Exception {
    Translation t = translate(SETTINGS, USABLE);
    for (Listener listener : t.resources().listeners()) {
      HttpConnectionManager hcm = hcm(listener);
      assertThat(hcm.getUseRemoteAddress().getValue()).isTrue();
      assertThat(hcm.getXffNumTrustedHops()).isZero();
      assertThat(hcm.getEarlyHeaderMutationExtensionsList()).singleElement().satisfies(e -> {
        assertThat(e.getName()).isEqualTo("envoy.http.early_header_mutation.header_mutation");
        String json = JsonFormat.printer().usingTypeRegistry(SnapshotJson.TYPE_REGISTRY).print(e);
        assertThat(json).contains("\"prefix\": \"x-bdk-\"").contains("\"prefix\": \"x-envoy-\"").contains("remove_on_match");
      });
      assertThat(hcm.getRequestHeadersTimeout().getSeconds()).isEqualTo(10);
      assertThat(hcm.getStreamIdleTimeout().getSeconds()).isEqualTo(60);
      assertThat(hcm.getMaxRequestHeadersKb().getValue()).isEqualTo(60);
      assertThat(hcm.getHttp2ProtocolOptions().getMaxConcurrentStreams().getValue()).isEqualTo(100);
      assertThat(hcm.getHttp2ProtocolOptions().getInitialStreamWindowSize().getValue()).isEqualTo(65536);
      assertThat(hcm.getHttp2ProtocolOptions().getInitialConnectionWindowSize().getValue()).isEqualTo(1048576);
      assertThat(hcm.getHttp2ProtocolOptions().getMaxOutboundControlFrames().getValue()).isEqualTo(1000);
      StdoutAccessLog log = hcm.getAccessLog(0).getTypedConfig().unpack(StdoutAccessLog.class);
      assertThat(log.getLogFormat().getJsonFormat().getFieldsMap().keySet())
          .contains("method", "path", "status", "duration_ms", "upstream_cluster", "webhook_id")
          .doesNotContain("authorization", "query", "body");
      assertThat(log.getLogFormat().getJsonFormat().getFieldsOrThrow("path").getStringValue()).startsWith("%REQ_WITHOUT_QUERY(");
    }
    GatewaySettings behindLb = SETTINGS.withEdge(new EdgeSettings(8443, SETTINGS.edge().tlsSecret(), EdgeSettings.PlainHttp.SERVE, 2,
        EdgeSettings.Limits.DEFAULTS, EdgeSettings.ClientLimit.DEFAULTS, SETTINGS.edge().upstreamTls()));
    assertThat(hcm(translate(behindLb, USABLE).resources().listeners().get(0)).getXffNumTrustedHops()).isEqualTo(2);
  }

  @Test
  void webhookRoutesAndOnlyThemSwitchOnThePerClientLimit() throws Exception {
    Translation t = translate(SETTINGS, USABLE);
    var routes = t.resources().routes().get(0).getVirtualHosts(0).getRoutesList();
    assertThat(routes).filteredOn(r -> r.getName().startsWith("webhook/")).isNotEmpty()
        .allSatisfy(r -> assertThat(r.getRoute().getRateLimitsList()).containsExactly(ClientRateLimitFilter.WEBHOOK_ROUTE_LIMIT));
    assertThat(routes).filteredOn(r -> !r.getName().startsWith("webhook/"))
        .allSatisfy(r -> assertThat(r.getRoute().getRateLimitsList()).isEmpty());
    String filter = JsonFormat.printer().usingTypeRegistry(SnapshotJson.TYPE_REGISTRY)
        .print(hcm(t.resources().listeners().get(0)).getHttpFilters(0));
    assertThat(filter).contains("\"key\": \"remote_address\"").contains("\"max_tokens\": 100.0").contains("\"tokens_per_fill\": 50.0")
        .contains("\"max_dynamic_descriptors\": 10000.0");
  }

  @Test
  void ourServicesAreReachedWithMutualTlsVerifyingTheirNamesAndBooksWithout() throws Exception {
    Translation t = translate(SETTINGS, USABLE);
    Map<String, Cluster> clusters = new HashMap<>();
    t.resources().clusters().forEach(c -> clusters.put(c.getName(), c));
    UpstreamTlsContext library = clusters.get("k8s/bdk/book-library/grpc").getTransportSocket().getTypedConfig()
        .unpack(UpstreamTlsContext.class);
    assertThat(library.getSni()).isEqualTo("book-library.bdk.svc");
    var validation = library.getCommonTlsContext().getCombinedValidationContext();
    assertThat(validation.getDefaultValidationContext().getMatchTypedSubjectAltNames(0).getMatcher().getExact())
        .isEqualTo("book-library.bdk.svc");
    assertThat(validation.getValidationContextSdsSecretConfig().getSdsConfig().getPathConfigSource().getPath())
        .isEqualTo("/etc/envoy/sds/internal-ca.yaml");
    assertThat(library.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getSdsConfig().getPathConfigSource().getPath())
        .isEqualTo("/etc/envoy/sds/internal-client.yaml");
    UpstreamTlsContext extAuthz = clusters.get("k8s/bdk/ext-authz/grpc").getTransportSocket().getTypedConfig()
        .unpack(UpstreamTlsContext.class);
    assertThat(extAuthz.getSni()).isEqualTo("ext-authz.bdk.svc");
    assertThat(clusters.values()).filteredOn(c -> c.getName().startsWith("k8s/customer-a/"))
        .isNotEmpty().allSatisfy(c -> assertThat(c.hasTransportSocket()).isFalse());

    GatewaySettings plaintext = SETTINGS.withEdge(SETTINGS.edge().withUpstreamTls(new EdgeSettings.PlaintextUpstreams()));
    assertThat(translate(plaintext, USABLE).resources().clusters()).allSatisfy(c -> assertThat(c.hasTransportSocket()).isFalse());
  }

  @Test
  void incrementalTranslationEqualsTheFullOne() {
    GatewayInput input = new GatewayInput(SETTINGS, List.of(book("customer-a", "acme", webhook("github", "github"))),
        GatewayTranslatorTest.CORE_SLICES).withJwks(Fixtures.JWKS).withEdgeCertificate(USABLE);
    IncrementalTranslator incremental = new IncrementalTranslator(new XdsTranslator(SETTINGS.transcoder()));
    assertThat(incremental.translate(input)).isEqualTo(translator.translate(input));
    assertThat(incremental.translate(input.withEdgeCertificate(EdgeCertificate.NOT_READ)))
        .isEqualTo(translator.translate(input.withEdgeCertificate(EdgeCertificate.NOT_READ)));
  }
}
