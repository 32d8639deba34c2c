package io.voyager.bdk.xds.translate;

import static io.voyager.bdk.xds.Fixtures.book;
import static io.voyager.bdk.xds.Fixtures.webhook;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.LuaPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ResponseMapper;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.voyager.bdk.support.auth.DevIssuer;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.xds.Fixtures;
import io.voyager.bdk.xds.admin.SnapshotJson;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.JwksDocument;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The library routes' bearer-token rule as Envoy config: plain input → expected resources. */
class LibraryAuthTranslationTest {
  static final GatewaySettings SETTINGS = GatewaySettings.defaults();
  static final XdsTranslator XDS = new XdsTranslator(SETTINGS.transcoder());
  final GatewayTranslator translator = new GatewayTranslator(XDS);

  Translation translate(GatewaySettings settings, JwksDocument jwks) {
    return translator.translate(new GatewayInput(settings,
        List.of(book("customer-a", "acme", webhook("github", "github"))), Map.of()).withJwks(jwks));
  }

  static HttpConnectionManager hcm(Translation t) throws Exception {
    return GatewayTranslatorTest.hcm(t);
  }

  static JwtAuthentication jwtConfig(Translation t) throws Exception {
    return GatewayTranslatorTest.filter(hcm(t), JwtAuthnFilter.NAME).getTypedConfig().unpack(JwtAuthentication.class);
  }

  static JwtProvider provider(Translation t) throws Exception {
    return jwtConfig(t).getProvidersOrThrow(JwtAuthnFilter.PROVIDER);
  }

  static List<Route> libraryRoutes(Translation t) {
    return GatewayTranslatorTest.routes(t).getVirtualHosts(0).getRoutesList().stream()
        .filter(r -> r.getName().startsWith("library-")).toList();
  }

  static JwtSettings remote(String uri) {
    return new JwtSettings("https://id.example.com/", List.of("bdk", "bdk-cli"),
        new JwtSettings.RemoteJwks(URI.create(uri), Duration.ofMinutes(10)), Duration.ofSeconds(30), "org", "roles");
  }

  @Test
  void oneProviderFromTheSettingsReadingOnlyTheBearerHeaderAndForwardingItUntouched() throws Exception {
    Translation t = translate(SETTINGS, Fixtures.JWKS);

    JwtProvider provider = provider(t);
    assertThat(provider.getIssuer()).isEqualTo("bdk-local");
    assertThat(provider.getAudiencesList()).containsExactly("bdk-library");
    assertThat(provider.getClockSkewSeconds()).isEqualTo(60);
    assertThat(provider.getRequireExpiration()).isTrue();
    assertThat(provider.getForward()).as("the library verifies the same signed token").isTrue();
    assertThat(provider.getFromHeadersList()).singleElement().satisfies(h -> {
      assertThat(h.getName()).isEqualTo("authorization");
      assertThat(h.getValuePrefix()).isEqualTo("Bearer ");
    });
    assertThat(provider.getFromParamsList()).as("never ?access_token=").isEmpty();
    assertThat(provider.getFromCookiesList()).isEmpty();
    assertThat(provider.getClaimToHeadersList()).as("no claim header a client could forge").isEmpty();
    assertThat(provider.getForwardPayloadHeader()).isEmpty();
    assertThat(provider.getFailedStatusInMetadata()).isEqualTo(JwtAuthnFilter.FAILURE_METADATA);
    assertThat(provider.getJwtCacheConfig().getJwtMaxTokenSize()).isEqualTo(JwtSettings.MAX_TOKEN_BYTES);
    assertThat(provider.getLocalJwks().getInlineString()).isEqualTo(((JwksDocument.Keys) Fixtures.JWKS).json());
    assertThat(jwtConfig(t).getRequirementMapOrThrow(JwtAuthnFilter.REQUIREMENT).getProviderName())
        .isEqualTo(JwtAuthnFilter.PROVIDER);
    assertThat(jwtConfig(t).getRulesList()).as("only routes that ask are checked").isEmpty();
  }

  @Test
  void everyLibraryRouteRequiresATokenAndGuardsItsSizeWhileWebhooksAnd404AskForNothing() throws Exception {
    Translation t = translate(SETTINGS, Fixtures.JWKS);

    List<Route> library = libraryRoutes(t);
    assertThat(library).extracting(Route::getName)
        .containsExactly("library-rest-create", "library-rest", "library-grpc/bdk.library.v1.BookLibrary");
    for (Route route : library) {
      assertThat(route.getRoute().getCluster()).isEqualTo("k8s/bdk/book-library/grpc");
      assertThat(route.getTypedPerFilterConfigOrThrow(JwtAuthnFilter.NAME).unpack(PerRouteConfig.class).getRequirementName())
          .isEqualTo(JwtAuthnFilter.REQUIREMENT);
      String lua = route.getTypedPerFilterConfigOrThrow(XdsTranslator.LUA_FILTER).unpack(LuaPerRoute.class)
          .getSourceCode().getInlineString();
      assertThat(lua).as(route.getName()).startsWith(LibraryRequestLua.REQUEST_FUNCTION)
          .as("client x-bdk-* headers are the listener's job (HeaderHygiene)").doesNotContain("x-bdk-\"");
    }
    Route create = library.get(0);
    assertThat(create.getMatch().getHeaders(0).getName()).isEqualTo(":method");
    assertThat(create.getMatch().getHeaders(0).getStringMatch().getExact()).isEqualTo("POST");
    assertThat(create.getTypedPerFilterConfigOrThrow(XdsTranslator.LUA_FILTER).unpack(LuaPerRoute.class)
        .getSourceCode().getInlineString()).as("only the create route maps the status").isEqualTo(LibraryRequestLua.CREATE_SOURCE);
    for (Route read : library.subList(1, 3)) {
      assertThat(read.getTypedPerFilterConfigOrThrow(XdsTranslator.LUA_FILTER).unpack(LuaPerRoute.class)
          .getSourceCode().getInlineString()).as(read.getName()).isEqualTo(LibraryRequestLua.SOURCE).doesNotContain("envoy_on_response");
    }
    for (Route rest : library.subList(0, 2)) {
      assertThat(rest.getTypedPerFilterConfigMap()).as(rest.getName())
          .containsEntry(LibraryResponseHeaders.FILTER_NAME, LibraryResponseHeaders.PER_ROUTE)
          .containsKey(XdsTranslator.TRANSCODER_FILTER);
    }
    assertThat(library.get(2).getTypedPerFilterConfigMap()).as("a gRPC response is left as the library sent it")
        .doesNotContainKey(LibraryResponseHeaders.FILTER_NAME);
    for (Route other : GatewayTranslatorTest.routes(t).getVirtualHosts(0).getRoutesList()) {
      if (!other.getName().startsWith("library-")) {
        assertThat(other.getTypedPerFilterConfigMap()).as(other.getName()).doesNotContainKey(JwtAuthnFilter.NAME);
      }
    }
  }

  @Test
  void anOversizedAuthorizationHeaderIsRefusedBeforeAnyParsingAtTheLibrarysOwnCap() {
    assertThat(LibraryRequestLua.MAX_AUTHORIZATION_BYTES).isEqualTo("Bearer ".length() + 8192);
    assertThat(LibraryRequestLua.REQUEST_FUNCTION)
        .contains("getNumValues(\"authorization\")")
        .contains("> " + LibraryRequestLua.MAX_AUTHORIZATION_BYTES + " then")
        .contains("[\":status\"] = \"401\"")
        .contains(LocalReplies.INVALID_TOKEN_CHALLENGE)
        .contains(LibraryRequestLua.TOO_LARGE);
  }

  @Test
  void withoutUsableKeysTheLibraryRoutesAnswer401ThemselvesAndTheProviderTrustsNoKey() throws Exception {
    Translation t = translate(SETTINGS, new JwksDocument.Unavailable("ConfigMap bdk/bdk-jwks key jwks.json: not found"));

    for (Route route : libraryRoutes(t)) {
      assertThat(route.hasRoute()).as("nothing is forwarded").isFalse();
      assertThat(route.getDirectResponse().getStatus()).isEqualTo(401);
      assertThat(route.getDirectResponse().getBody().getInlineString()).isEqualTo(XdsTranslator.KEYS_UNAVAILABLE)
          .doesNotContain("bdk-jwks");
      assertThat(route.getResponseHeadersToAddList()).anySatisfy(h ->
          assertThat(h.getHeader().getKey() + ": " + h.getHeader().getValue()).isEqualTo("www-authenticate: Bearer realm=\"bdk\""));
      assertThat(route.getTypedPerFilterConfigMap()).as("nothing on; both ext_authz filters left out")
          .containsOnlyKeys("envoy.filters.http.ext_authz", "bdk.filters.http.ext_authz_wake");
      assertThat(XdsTranslator.extAuthzChecking(route)).isEmpty();
    }
    JWKSet placeholder = JWKSet.parse(provider(t).getLocalJwks().getInlineString());
    assertThat(placeholder.getKeys()).singleElement().satisfies(key -> {
      assertThat(key.getKeyID()).isEqualTo(NoKeyJwks.KEY_ID);
      assertThat(key.isPrivate()).isFalse();
      assertThat(((ECKey) key).toECPublicKey()).as("a valid P-256 point Envoy accepts").isNotNull();
    });
    assertThat(NoKeyJwks.JSON).as("deterministic: same config version on every replica").isEqualTo(NoKeyJwks.JSON);
    assertThat(route(t, "webhook/customer-a/acme/github")).as("webhooks are untouched").isPresent();
  }

  @Test
  void aJwksUriIsFetchedByEnvoyThroughADnsClusterWithVerifiedTls() throws Exception {
    GatewaySettings settings = SETTINGS.withJwt(remote("https://id.example.com/oauth2/jwks"), "/etc/pki/ca.pem");
    Translation t = translate(settings, JwksDocument.NOT_READ);

    JwtProvider provider = provider(t);
    assertThat(provider.getIssuer()).isEqualTo("https://id.example.com/");
    assertThat(provider.getAudiencesList()).containsExactly("bdk", "bdk-cli");
    assertThat(provider.getClockSkewSeconds()).isEqualTo(30);
    var remote = provider.getRemoteJwks();
    assertThat(remote.getHttpUri().getUri()).isEqualTo("https://id.example.com/oauth2/jwks");
    assertThat(remote.getHttpUri().getCluster()).isEqualTo("jwks/id.example.com:443");
    assertThat(remote.getCacheDuration().getSeconds()).isEqualTo(600);
    assertThat(remote.getAsyncFetch().getFastListener()).as("the listener never waits for the provider").isTrue();
    assertThat(remote.getAsyncFetch().hasFailedRefetchDuration()).isTrue();
    assertThat(libraryRoutes(t)).allSatisfy(r -> assertThat(r.hasRoute()).isTrue());

    Cluster cluster = t.resources().clusters().stream().filter(c -> c.getName().equals("jwks/id.example.com:443"))
        .findFirst().orElseThrow();
    assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.LOGICAL_DNS);
    var address = cluster.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress();
    assertThat(address.getAddress() + ":" + address.getPortValue()).isEqualTo("id.example.com:443");
    UpstreamTlsContext tls = cluster.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo("id.example.com");
    var validation = tls.getCommonTlsContext().getValidationContext();
    assertThat(validation.getTrustedCa().getFilename()).isEqualTo("/etc/pki/ca.pem");
    assertThat(validation.getMatchTypedSubjectAltNamesList()).singleElement().satisfies(san -> {
      assertThat(san.getSanType()).isEqualTo(SubjectAltNameMatcher.SanType.DNS);
      assertThat(san.getMatcher().getExact()).isEqualTo("id.example.com");
    });
    assertThat(t.resources().endpoints()).as("no EDS for it").noneMatch(cla -> cla.getClusterName().startsWith("jwks/"));
  }

  @Test
  void aPlainHttpJwksUriAtAnIpIsAStaticClusterWithoutTls() throws Exception {
    Translation t = translate(SETTINGS.withJwt(remote("http://127.0.0.1:9/jwks.json"), GatewaySettings.DEFAULT_JWKS_TRUSTED_CA),
        JwksDocument.NOT_READ);

    Cluster cluster = t.resources().clusters().stream().filter(c -> c.getName().startsWith("jwks/")).findFirst().orElseThrow();
    assertThat(cluster.getName()).isEqualTo("jwks/127.0.0.1:9");
    assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
    assertThat(cluster.hasTransportSocket()).isFalse();
  }

  @Test
  void everyTokenRefusalIsA401WithAFixedRealmChallengeJsonForRestAndUnauthenticatedForGrpc() throws Exception {
    List<ResponseMapper> mappers = hcm(translate(SETTINGS, Fixtures.JWKS)).getLocalReplyConfig().getMappersList();

    assertThat(mappers.get(0).getFilter().getResponseFlagFilter().getFlagsList()).as("ext_authz first").containsExactly("UAEX");
    List<ResponseMapper> jwt = mappers.subList(1, 5);
    for (ResponseMapper mapper : jwt) {
      assertThat(mapper.getStatusCode().getValue()).as("Envoy's 403 for another audience too").isEqualTo(401);
      var metadata = mapper.getFilter().hasMetadataFilter() ? mapper.getFilter().getMetadataFilter()
          : mapper.getFilter().getAndFilter().getFilters(0).getMetadataFilter();
      assertThat(metadata.getMatcher().getFilter()).isEqualTo(JwtAuthnFilter.NAME);
      assertThat(metadata.getMatcher().getPath(0).getKey()).isEqualTo(JwtAuthnFilter.FAILURE_METADATA);
      assertThat(metadata.hasMatchIfKeyNotFound()).isTrue();
      assertThat(metadata.getMatchIfKeyNotFound().getValue())
          .as("Envoy's default (true) would make every local reply a 401").isFalse();
      assertThat(mapper.getHeadersToAddList()).singleElement().satisfies(h -> assertThat(h.getHeader().getKey()).isEqualTo("www-authenticate"));
    }
    assertThat(jwt.get(0).getHeadersToAdd(0).getHeader().getValue()).isEqualTo("Bearer realm=\"bdk\"");
    assertThat(jwt.get(2).getHeadersToAdd(0).getHeader().getValue()).isEqualTo("Bearer realm=\"bdk\", error=\"invalid_token\"");
    for (ResponseMapper json : List.of(jwt.get(0), jwt.get(2))) {
      var body = json.getBodyFormatOverride().getJsonFormat().getFieldsMap();
      assertThat(body.get("code").getNumberValue()).isEqualTo(16);
      assertThat(body.get("message").getStringValue()).isEqualTo("%LOCAL_REPLY_BODY%");
    }
    assertThat(jwt.get(1).hasBodyFormatOverride()).as("gRPC: grpc-status 16 from the 401").isFalse();
    assertThat(jwt.get(3).hasBodyFormatOverride()).isFalse();
  }

  @Test
  void theKeysAreTheOnlyThingThatChangesWhenTheJwksRotates() {
    Translation before = translate(SETTINGS, Fixtures.JWKS);
    JwksDocument rotated = JwksDocument.parse("test",
        DevIssuer.generate("bdk-local", "bdk-library").publicJwks());
    Translation after = translate(SETTINGS, rotated);

    assertThat(after.resources().listeners()).isNotEqualTo(before.resources().listeners());
    assertThat(after.resources().routes()).isEqualTo(before.resources().routes());
    assertThat(after.resources().clusters()).isEqualTo(before.resources().clusters());
    assertThat(new IncrementalTranslator(XDS).translate(
        new GatewayInput(SETTINGS, List.of(book("customer-a", "acme", webhook("github", "github"))), Map.of()).withJwks(rotated)))
        .isEqualTo(after);
  }

  @Test
  void debugSnapshotRendersTheJwtFilterRouteConfigsAndTheTlsClusterAsEnvoyJson() {
    for (Translation t : List.of(
        translate(SETTINGS, Fixtures.JWKS),
        translate(SETTINGS.withJwt(remote("https://id.example.com/jwks"), "/ca.pem"), JwksDocument.NOT_READ))) {
      String json = SnapshotJson.render(ContentVersionedSnapshot.of(t.resources()), Set.copyOf(SnapshotJson.TYPES));
      assertThat(json).contains("\"@type\": \"type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication\"")
          .contains("\"requirement_name\": \"bdk-library\"")
          .contains("\"providers\"");
    }
    String remote = SnapshotJson.render(ContentVersionedSnapshot.of(
        translate(SETTINGS.withJwt(remote("https://id.example.com/jwks"), "/ca.pem"), JwksDocument.NOT_READ).resources()),
        Set.of("clusters"));
    assertThat(remote).contains("UpstreamTlsContext").contains("\"sni\": \"id.example.com\"");
  }

  static Optional<Route> route(Translation t, String name) {
    return GatewayTranslatorTest.route(t, name);
  }
}
