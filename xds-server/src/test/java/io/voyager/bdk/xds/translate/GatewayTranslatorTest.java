package io.voyager.bdk.xds.translate;

import static io.voyager.bdk.xds.Fixtures.book;
import static io.voyager.bdk.xds.Fixtures.notReady;
import static io.voyager.bdk.xds.Fixtures.ready;
import static io.voyager.bdk.xds.Fixtures.slice;
import static io.voyager.bdk.xds.Fixtures.webhook;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.xds.Fixtures;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.FixedEndpoint;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.ServiceKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GatewayTranslatorTest {
  static final GatewaySettings SETTINGS = GatewaySettings.defaults();
  static final XdsTranslator XDS = new XdsTranslator(SETTINGS.transcoder());
  final GatewayTranslator translator = new GatewayTranslator(XDS);

  static final Map<ServiceKey, List<EndpointSliceView>> CORE_SLICES = Map.of(
      new ServiceKey("bdk", "book-library"), List.of(slice("bdk", "book-library", "grpc", 50051, ready("127.0.0.1"))),
      new ServiceKey("bdk", "ext-authz"), List.of(slice("bdk", "ext-authz", "grpc", 18010, ready("127.0.0.1"))));

  static GatewayInput input(List<BookSource> books, Map<ServiceKey, List<EndpointSliceView>> extra) {
    Map<ServiceKey, List<EndpointSliceView>> all = new HashMap<>(CORE_SLICES);
    all.putAll(extra);
    return new GatewayInput(SETTINGS, books, all).withJwks(Fixtures.JWKS);
  }

  static RouteConfiguration routes(Translation t) {
    return t.resources().routes().get(0);
  }

  static Optional<Route> route(Translation t, String name) {
    return routes(t).getVirtualHosts(0).getRoutesList().stream().filter(r -> r.getName().equals(name)).findFirst();
  }

  static HttpConnectionManager hcm(Translation t) throws InvalidProtocolBufferException {
    return t.resources().listeners().get(0).getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
  }

  static HttpFilter filter(HttpConnectionManager hcm, String name) {
    return hcm.getHttpFiltersList().stream().filter(f -> f.getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void listenerOnTheConfiguredAddressWithFiltersInOrderAndRouterLast() throws Exception {
    Translation t = translator.translate(input(List.of(), Map.of()));
    var listener = t.resources().listeners().get(0);
    assertThat(listener.getAddress().getSocketAddress().getAddress()).isEqualTo("127.0.0.1");
    assertThat(listener.getAddress().getSocketAddress().getPortValue()).isEqualTo(8080);
    HttpConnectionManager hcm = hcm(t);
    assertThat(hcm.getRds().getRouteConfigName()).isEqualTo(XdsTranslator.ROUTE_CONFIG_NAME);
    assertThat(hcm.getHttpFiltersList()).extracting(HttpFilter::getName).containsExactly(
        "envoy.filters.http.local_ratelimit", "envoy.filters.http.header_mutation", "envoy.filters.http.lua",
        "envoy.filters.http.jwt_authn",
        "envoy.filters.http.ext_authz", "bdk.filters.http.ext_authz_wake", "envoy.filters.http.grpc_json_transcoder",
        "envoy.filters.http.router");
    // Off unless a route switches them on: header_mutation, Lua, jwt_authn, the transcoder. Both
    // ext_authz filters are on (fail closed) and every route that does not want them turns them off.
    assertThat(hcm.getHttpFiltersList()).filteredOn(HttpFilter::getDisabled).extracting(HttpFilter::getName).containsExactly(
        "envoy.filters.http.header_mutation", "envoy.filters.http.lua", "envoy.filters.http.jwt_authn",
        "envoy.filters.http.grpc_json_transcoder");
  }

  @Test
  void libraryRouteTranscodesToTheHttp2LibraryClusterWithReadyEndpoints() throws Exception {
    Translation t = translator.translate(input(List.of(), Map.of()));
    Route library = route(t, "library-rest").orElseThrow();
    assertThat(library.getMatch().getPathSeparatedPrefix()).isEqualTo("/api/v1/books");
    assertThat(library.getRoute().getCluster()).isEqualTo("k8s/bdk/book-library/grpc");
    GrpcJsonTranscoder transcoder =
        library.getTypedPerFilterConfigOrThrow("envoy.filters.http.grpc_json_transcoder").unpack(GrpcJsonTranscoder.class);
    assertThat(transcoder.getServicesList()).containsExactly("bdk.library.v1.BookLibrary");
    assertThat(transcoder.getRequestValidationOptions().getRejectUnknownMethod()).isTrue();
    assertThat(library.getTypedPerFilterConfigMap()).containsKeys("envoy.filters.http.lua", "envoy.filters.http.jwt_authn");
    assertThat(XdsTranslator.extAuthzChecking(library)).isEmpty();

    Cluster cluster = t.resources().clusters().stream().filter(c -> c.getName().equals("k8s/bdk/book-library/grpc")).findFirst().orElseThrow();
    assertThat(cluster.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
    assertThat(cluster.getTypedExtensionProtocolOptionsMap()).containsKey("envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
    ClusterLoadAssignment cla = t.resources().endpoints().stream().filter(c -> c.getClusterName().equals("k8s/bdk/book-library/grpc")).findFirst().orElseThrow();
    assertThat(cla.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getPortValue()).isEqualTo(50051);
  }

  @Test
  void aBookThatSleepsWhenIdleIsCheckedByTheWakeFilter_whichWaitsLongerForAHeldCheck() throws Exception {
    BookSource sleeper = book("customer-a", "sleeper", webhook("github", "github"));
    sleeper = new BookSource(sleeper.namespace(), sleeper.name(), new ExternalBookDefinitionSpec(
        sleeper.spec().bookType(), sleeper.spec().version(), sleeper.spec().externalIntegrations(), null, null, null, null, null,
        new ExternalBookDefinitionSpec.Wake("sleeper-wake")));
    Translation t = translator.translate(input(List.of(sleeper, book("customer-b", "awake", webhook("github", "github"))), Map.of()));

    Route held = routes(t).getVirtualHosts(0).getRoutesList().stream()
        .filter(r -> r.getName().startsWith("webhook/customer-a/sleeper/")).findFirst().orElseThrow();
    assertThat(XdsTranslator.extAuthzChecking(held)).containsExactly("bdk.filters.http.ext_authz_wake");
    assertThat(XdsTranslator.contextExtensions(held)).containsEntry(WebhookAuthContext.WAKE_LEASE, "customer-a/sleeper-wake");
    Route plain = routes(t).getVirtualHosts(0).getRoutesList().stream()
        .filter(r -> r.getName().startsWith("webhook/customer-b/awake/")).findFirst().orElseThrow();
    assertThat(XdsTranslator.extAuthzChecking(plain)).containsExactly("envoy.filters.http.ext_authz");
    assertThat(XdsTranslator.contextExtensions(plain)).doesNotContainKey(WebhookAuthContext.WAKE_LEASE);

    ExtAuthz wake = filter(hcm(t), "bdk.filters.http.ext_authz_wake").getTypedConfig().unpack(ExtAuthz.class);
    ExtAuthz normal = filter(hcm(t), "envoy.filters.http.ext_authz").getTypedConfig().unpack(ExtAuthz.class);
    assertThat(wake.getGrpcService().getTimeout().getSeconds()).isEqualTo(25);
    assertThat(normal.getGrpcService().getTimeout().getSeconds()).isEqualTo(2);
    assertThat(wake.toBuilder().setGrpcService(normal.getGrpcService()).build()).isEqualTo(normal);
  }

  @Test
  void aWakeLeaseThatIsNoLeaseNameIsRefusedNamingTheField() {
    BookSource bad = book("customer-a", "bad", webhook("github", "github"));
    bad = new BookSource(bad.namespace(), bad.name(), new ExternalBookDefinitionSpec(
        bad.spec().bookType(), bad.spec().version(), bad.spec().externalIntegrations(), null, null, null, null, null,
        new ExternalBookDefinitionSpec.Wake("../kube-system/x")));
    Translation t = translator.translate(input(List.of(bad), Map.of()));
    assertThat(t.books()).singleElement().isInstanceOf(BookTranslation.Rejected.class)
        .satisfies(b -> assertThat(((BookTranslation.Rejected) b).reason()).contains("spec.wake.lease:"));
  }

  @Test
  void extAuthzFailsClosedWithExactBodyBytes() throws Exception {
    ExtAuthz authz = filter(hcm(translator.translate(input(List.of(), Map.of()))), "envoy.filters.http.ext_authz")
        .getTypedConfig().unpack(ExtAuthz.class);
    assertThat(authz.getFailureModeAllow()).isFalse();
    assertThat(authz.getStatusOnError().getCodeValue()).isEqualTo(503);
    assertThat(authz.getWithRequestBody().getMaxRequestBytes()).isEqualTo(1024 * 1024);
    assertThat(authz.getWithRequestBody().getAllowPartialMessage()).isFalse();
    assertThat(authz.getWithRequestBody().getPackAsBytes()).isTrue();
    assertThat(authz.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("k8s/bdk/ext-authz/grpc");
  }

  @Test
  void webhookRouteAtThePublicPathWithContextExtensionsAndProvenance() throws Exception {
    Translation t = translator.translate(input(List.of(book("customer-a", "acme", webhook("github", "github"))), Map.of()));
    Route route = route(t, "webhook/customer-a/acme/github").orElseThrow();
    assertThat(route.getMatch().getPath()).isEqualTo(WebhookRoutes.publicPath("customer-a", "acme", "github"));
    assertThat(route.getMatch().getHeaders(0).getName()).isEqualTo(":method");
    assertThat(route.getMatch().getHeaders(0).getStringMatch().getExact()).isEqualTo("POST");
    assertThat(route.getRoute().getCluster()).isEqualTo("k8s/customer-a/acme/8080");
    assertThat(route.getTypedPerFilterConfigMap()).doesNotContainKeys("envoy.filters.http.grpc_json_transcoder", "envoy.filters.http.lua",
        "envoy.filters.http.jwt_authn");
    assertThat(XdsTranslator.contextExtensions(route)).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
        Map.entry(WebhookAuthContext.SCHEME, "github"),
        Map.entry(WebhookAuthContext.SECRET_NAMESPACE, "customer-a"),
        Map.entry(WebhookAuthContext.SECRET_NAME, "support-credentials"),
        Map.entry(WebhookAuthContext.SECRET_KEY, "github"),
        Map.entry(WebhookAuthContext.TOLERANCE_SECONDS, "300"),
        Map.entry(WebhookAuthContext.RATE_PER_SECOND, "10"),
        Map.entry(WebhookAuthContext.BURST, "20"),
        Map.entry(WebhookAuthContext.ENDPOINT_KEY, WebhookRoutes.endpointKey("customer-a", "acme", "github")),
        Map.entry(WebhookAuthContext.INSTANCE, "customer-a/acme"),
        Map.entry(WebhookAuthContext.INTEGRATION, "github"),
        Map.entry(WebhookAuthContext.ROUTED_TO, "customer-a/customer-support")));
    var provenance = route.getMetadata().getFilterMetadataOrThrow(XdsTranslator.METADATA_NAMESPACE).getFieldsMap();
    assertThat(provenance.get("kind").getStringValue()).isEqualTo("ExternalBookDefinition");
    assertThat(provenance.get("namespace").getStringValue()).isEqualTo("customer-a");
    assertThat(provenance.get("name").getStringValue()).isEqualTo("acme");
    // the book's cluster and its load assignment travel together
    assertThat(t.resources().clusters()).extracting(Cluster::getName).contains("k8s/customer-a/acme/8080");
    assertThat(t.resources().endpoints()).extracting(ClusterLoadAssignment::getClusterName).contains("k8s/customer-a/acme/8080");
  }

  @Test
  void twoCustomersWithTheSameIntegrationGetDistinctPathsAndClusters() {
    Translation t = translator.translate(input(List.of(
        book("customer-a", "support", webhook("zendesk", null)),
        book("customer-b", "support", webhook("zendesk", null))), Map.of()));
    Route a = route(t, "webhook/customer-a/support/zendesk").orElseThrow();
    Route b = route(t, "webhook/customer-b/support/zendesk").orElseThrow();
    assertThat(a.getMatch().getPath()).isNotEqualTo(b.getMatch().getPath()).startsWith("/api/v1/webhooks/zendesk/");
    assertThat(a.getRoute().getCluster()).isEqualTo("k8s/customer-a/support/8080");
    assertThat(b.getRoute().getCluster()).isEqualTo("k8s/customer-b/support/8080");
  }

  @Test
  void removingABookRemovesItsRouteAndCluster() {
    BookSource acme = book("customer-a", "acme", webhook("github", "github"));
    Translation with = translator.translate(input(List.of(acme), Map.of()));
    Translation without = translator.translate(input(List.of(), Map.of()));
    assertThat(route(with, "webhook/customer-a/acme/github")).isPresent();
    assertThat(route(without, "webhook/customer-a/acme/github")).isEmpty();
    assertThat(without.resources().clusters()).extracting(Cluster::getName).doesNotContain("k8s/customer-a/acme/8080");
    assertThat(without.resources().endpoints()).extracting(ClusterLoadAssignment::getClusterName).doesNotContain("k8s/customer-a/acme/8080");
  }

  @Test
  void badBookIsRejectedNamingTheFieldWhileOthersAreKept() {
    var noSecret = new ExternalBookDefinitionSpec.ExternalIntegration("github", "webhook", null,
        new ExternalBookDefinitionSpec.Authentication("signature", "github", null, null, null), null);
    var unknownScheme = new ExternalBookDefinitionSpec.ExternalIntegration("custom", "webhook", null,
        new ExternalBookDefinitionSpec.Authentication("signature", "md5", new ExternalBookDefinitionSpec.SecretRef("bad2-credentials", "k"), null, null), null);
    Translation t = translator.translate(input(List.of(
        book("customer-a", "bad1", noSecret),
        book("customer-a", "bad2", unknownScheme),
        book("customer-b", "good", webhook("stripe", "stripe"))), Map.of()));
    assertThat(route(t, "webhook/customer-b/good/stripe")).isPresent();
    assertThat(routes(t).getVirtualHosts(0).getRoutesList()).extracting(Route::getName).noneMatch(n -> n.contains("bad"));
    assertThat(t.books()).filteredOn(b -> b instanceof BookTranslation.Rejected).extracting(b -> ((BookTranslation.Rejected) b).reason())
        .containsExactlyInAnyOrder(
            "spec.externalIntegrations[0].authentication.secret_ref: is required for a webhook",
            "spec.externalIntegrations[0].authentication.scheme: 'md5' is not one of [github, hmac, shopify, slack, standard, stripe, zendesk]");
  }

  /** The caps of WebhookLimits and the credentials-Secret rule, as ext-authz applies them: refused here, naming the field. */
  @Test
  void numbersBeyondTheCapsAndOtherSecretsAreRejectedNamingTheFieldWhileOthersAreKept() {
    var tooTolerant = new ExternalBookDefinitionSpec.ExternalIntegration("github", "webhook", null,
        new ExternalBookDefinitionSpec.Authentication("signature", "github",
            new ExternalBookDefinitionSpec.SecretRef("caps-credentials", "github"), 7200, null),
        new RateLimit(1000.0, 0), 100);
    var otherSecret = new ExternalBookDefinitionSpec.ExternalIntegration("github", "webhook", null,
        new ExternalBookDefinitionSpec.Authentication("signature", "github",
            new ExternalBookDefinitionSpec.SecretRef("tailscale-state", "github"), null, null), null);
    var infiniteRate = new ExternalBookDefinitionSpec.ExternalIntegration("github", "webhook", null,
        new ExternalBookDefinitionSpec.Authentication("signature", "github",
            new ExternalBookDefinitionSpec.SecretRef("inf-credentials", "github"), null, null),
        new RateLimit(Double.POSITIVE_INFINITY, 5));
    Translation t = translator.translate(input(List.of(
        book("customer-a", "caps", tooTolerant),
        book("customer-a", "other", otherSecret),
        book("customer-a", "inf", infiniteRate),
        book("customer-b", "good", webhook("stripe", "stripe"))), Map.of()));
    assertThat(route(t, "webhook/customer-b/good/stripe")).isPresent();
    assertThat(routes(t).getVirtualHosts(0).getRoutesList()).extracting(Route::getName)
        .noneMatch(n -> n.contains("caps") || n.contains("other") || n.contains("inf"));
    Map<String, String> reasons = new HashMap<>();
    t.books().stream().filter(b -> b instanceof BookTranslation.Rejected).map(b -> (BookTranslation.Rejected) b)
        .forEach(r -> reasons.put(r.name(), r.reason()));
    assertThat(reasons.get("caps")).isEqualTo(String.join("; ",
        "spec.externalIntegrations[0].authentication.tolerance_seconds: must be from 1 to 3600 seconds (1 h); got 7200",
        "spec.externalIntegrations[0].rate_limit.requests_per_second: must be a number above 0 and at most 100; got 1000",
        "spec.externalIntegrations[0].rate_limit.burst: must be from 1 to 1000; got 0",
        "spec.externalIntegrations[0].max_body_bytes: must be from 1024 to 1048576 bytes (1 MiB, the gateway's maximum); got 100"));
    assertThat(reasons.get("other")).isEqualTo("spec.externalIntegrations[0].authentication.secret_ref.name: "
        + "'tailscale-state' must name an instance's credentials Secret: <instance>-credentials");
    assertThat(reasons.get("inf")).startsWith("spec.externalIntegrations[0].rate_limit.requests_per_second: must be a number above 0");
  }

  /** A per-integration body limit overrides ext_authz's with_request_body on that route only, capped by the gateway's. */
  @Test
  void aBodyLimitBelowTheGatewaysOverridesTheBufferOnThatRouteOnly() throws Exception {
    var small = new ExternalBookDefinitionSpec.ExternalIntegration("small", "webhook", null,
        new ExternalBookDefinitionSpec.Authentication("signature", "github",
            new ExternalBookDefinitionSpec.SecretRef("limits-credentials", "github"), null, null), null, 4096);
    var atMax = new ExternalBookDefinitionSpec.ExternalIntegration("atmax", "webhook", null,
        new ExternalBookDefinitionSpec.Authentication("signature", "github",
            new ExternalBookDefinitionSpec.SecretRef("limits-credentials", "github"), null, null), null, 1024 * 1024);
    var plain = webhook("plain", "github");
    Translation t = translator.translate(input(List.of(book("customer-a", "limits", small, atMax, plain)), Map.of()));

    var smallSettings = checkSettings(route(t, "webhook/customer-a/limits/small").orElseThrow());
    assertThat(smallSettings.hasWithRequestBody()).isTrue();
    assertThat(smallSettings.getWithRequestBody().getMaxRequestBytes()).isEqualTo(4096);
    assertThat(smallSettings.getWithRequestBody().getAllowPartialMessage()).isFalse();
    assertThat(smallSettings.getWithRequestBody().getPackAsBytes()).isTrue();
    assertThat(smallSettings.getContextExtensionsMap()).containsEntry(WebhookAuthContext.SCHEME, "github");
    assertThat(checkSettings(route(t, "webhook/customer-a/limits/atmax").orElseThrow()).hasWithRequestBody())
        .as("at the gateway's limit: no override").isFalse();
    assertThat(checkSettings(route(t, "webhook/customer-a/limits/plain").orElseThrow()).hasWithRequestBody()).isFalse();

    // A gateway run with a lower --max-request-bytes caps every route's limit at its own.
    GatewaySettings lower = new GatewaySettings("127.0.0.1", 8080, SETTINGS.library(), SETTINGS.extAuthz(), 2048, SETTINGS.transcoder(), SETTINGS.jwt());
    Map<ServiceKey, List<EndpointSliceView>> slices = new HashMap<>(CORE_SLICES);
    Translation capped = translator.translate(new GatewayInput(lower, List.of(book("customer-a", "limits", small)), slices));
    assertThat(checkSettings(route(capped, "webhook/customer-a/limits/small").orElseThrow()).hasWithRequestBody()).isFalse();
  }

  static io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.CheckSettings checkSettings(Route route) throws Exception {
    return route.getTypedPerFilterConfigOrThrow("envoy.filters.http.ext_authz")
        .unpack(io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute.class).getCheckSettings();
  }

  @Test
  void bookOutsideACustomerNamespaceIsRejected() {
    Translation t = translator.translate(input(List.of(book("kube-system", "sneaky", webhook("github", "github"))), Map.of()));
    assertThat(t.books().get(0)).isInstanceOf(BookTranslation.Rejected.class);
    assertThat(((BookTranslation.Rejected) t.books().get(0)).reason()).startsWith("metadata.namespace:");
  }

  @Test
  void anyOtherApiPathIsADirectJsonNotFound() throws Exception {
    Translation t = translator.translate(input(List.of(), Map.of()));
    List<Route> all = routes(t).getVirtualHosts(0).getRoutesList();
    Route last = all.get(all.size() - 1);
    assertThat(last.getMatch().getPrefix()).isEqualTo("/");
    assertThat(last.getDirectResponse().getStatus()).isEqualTo(404);
    assertThat(last.getDirectResponse().getBody().getInlineString()).contains("\"code\":5");
    assertThat(last.getTypedPerFilterConfigMap()).as("both ext_authz filters left out, nothing else on")
        .containsOnlyKeys("envoy.filters.http.ext_authz", "bdk.filters.http.ext_authz_wake");
    assertThat(XdsTranslator.extAuthzChecking(last)).isEmpty();
  }

  static io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ResponseMapper mapperFor(
      HttpConnectionManager hcm, int status) {
    return hcm.getLocalReplyConfig().getMappersList().stream()
        .filter(m -> m.getFilter().getAndFilter().getFiltersList().stream()
            .anyMatch(f -> f.hasStatusCodeFilter()
                && f.getStatusCodeFilter().getComparison().getValue().getDefaultValue() == status))
        .findFirst().orElseThrow();
  }

  @Test
  void localNotFoundRepliesAreJsonStatusNamingMethodAndPath() throws Exception {
    var mapper = mapperFor(hcm(translator.translate(input(List.of(), Map.of()))), 404);
    var json = mapper.getBodyFormatOverride().getJsonFormat().getFieldsMap();
    assertThat(json.get("code").getNumberValue()).isEqualTo(5);
    assertThat(json.get("message").getStringValue()).isEqualTo("no route for %REQ(:METHOD)% %REQ(:PATH)%");
    assertThat(mapper.getBodyFormatOverride().getContentType()).isEqualTo("application/json");
  }

  @Test
  void envoysOwnBadRequestsAreJsonStatusKeepingEnvoysMessage() throws Exception {
    HttpConnectionManager hcm = hcm(translator.translate(input(List.of(), Map.of())));
    var invalid = mapperFor(hcm, 400);
    var json = invalid.getBodyFormatOverride().getJsonFormat().getFieldsMap();
    assertThat(json.get("code").getNumberValue()).isEqualTo(3);
    assertThat(json.get("message").getStringValue()).isEqualTo("%LOCAL_REPLY_BODY%");
    assertThat(invalid.getBodyFormatOverride().getContentType()).isEqualTo("application/json");
    assertThat(mapperFor(hcm, 503).getBodyFormatOverride().getJsonFormat().getFieldsMap().get("code").getNumberValue())
        .isEqualTo(14);
    assertThat(mapperFor(hcm, 413).getBodyFormatOverride().getJsonFormat().getFieldsMap().get("code").getNumberValue())
        .isEqualTo(3);
  }

  @Test
  void genuineGrpcRequestsKeepEnvoysGrpcRepliesButTranscodedOnesGetJson() throws Exception {
    var filters = mapperFor(hcm(translator.translate(input(List.of(), Map.of()))), 400).getFilter().getAndFilter().getFiltersList();
    var notGrpc = filters.stream().filter(f -> f.hasOrFilter()).findFirst().orElseThrow().getOrFilter().getFiltersList();
    var contentType = notGrpc.get(0).getHeaderFilter().getHeader();
    assertThat(contentType.getName()).isEqualTo("content-type");
    assertThat(contentType.getStringMatch().getPrefix()).isEqualTo("application/grpc");
    assertThat(contentType.getInvertMatch()).isTrue();
    assertThat(contentType.getTreatMissingHeaderAsEmpty()).as("a GET without content-type is not gRPC").isTrue();
    // the transcoder rewrites content-type to application/grpc and keeps the REST path here
    assertThat(notGrpc.get(1).getHeaderFilter().getHeader().getName()).isEqualTo("x-envoy-original-path");
  }

  @Test
  void extAuthzRepliesKeepTheirOwnJsonBody() throws Exception {
    var first = hcm(translator.translate(input(List.of(), Map.of()))).getLocalReplyConfig().getMappers(0);
    assertThat(first.getFilter().getResponseFlagFilter().getFlagsList()).containsExactly("UAEX");
    assertThat(first.hasBodyFormatOverride()).isFalse();
  }

  @Test
  void restResponsesLoseGrpcOnlyHeadersNatively() throws Exception {
    var mutations = LibraryResponseHeaders.PER_ROUTE
        .unpack(io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute.class)
        .getMutations();
    assertThat(mutations.getRequestMutationsList()).isEmpty();
    assertThat(mutations.getResponseMutationsList()).extracting(m -> m.getRemove())
        .contains("grpc-status", "grpc-message", "grpc-status-details-bin", "grpc-encoding", "grpc-accept-encoding",
            "x-bdk-http-status");
    assertThat(StatusHeaderLua.SOURCE).as("the status mapping only reads").doesNotContain("remove");
  }

  @Test
  void theResponseHeaderFilterRunsAfterTheStatusMappingOnTheWayBack() throws Exception {
    List<String> names = hcm(translator.translate(input(List.of(), Map.of()))).getHttpFiltersList().stream()
        .map(f -> f.getName()).toList();
    // encoders run in reverse: header_mutation (earlier in the chain) sees the response after Lua
    assertThat(names.indexOf(LibraryResponseHeaders.FILTER_NAME)).isLessThan(names.indexOf(XdsTranslator.LUA_FILTER));
    assertThat(names.indexOf(XdsTranslator.LUA_FILTER)).isLessThan(names.indexOf(XdsTranslator.TRANSCODER_FILTER));
  }

  @Test
  void aWebhookPathWithAnotherMethodIs405AllowPost() throws Exception {
    Translation t = translator.translate(input(List.of(book("customer-a", "acme", webhook("github", "github"))), Map.of()));
    List<String> names = routes(t).getVirtualHosts(0).getRoutesList().stream().map(Route::getName).toList();
    assertThat(names.indexOf("webhook-method/customer-a/acme/github"))
        .as("after the POST route").isEqualTo(names.indexOf("webhook/customer-a/acme/github") + 1);
    Route wrongMethod = route(t, "webhook-method/customer-a/acme/github").orElseThrow();
    assertThat(wrongMethod.getMatch().getPath()).isEqualTo(WebhookRoutes.publicPath("customer-a", "acme", "github"));
    assertThat(wrongMethod.getMatch().getHeadersList()).isEmpty();
    assertThat(wrongMethod.getDirectResponse().getStatus()).isEqualTo(405);
    assertThat(wrongMethod.getResponseHeadersToAddList())
        .anySatisfy(h -> assertThat(h.getHeader().getKey() + ": " + h.getHeader().getValue()).isEqualTo("allow: POST"));
    assertThat(XdsTranslator.extAuthzChecking(wrongMethod)).as("no ext_authz for a refused method").isEmpty();
    assertThat(wrongMethod.getTypedPerFilterConfigMap().values()).as("skipped by the filters themselves (see EXT_AUTHZ_SKIPPED)")
        .containsOnly(XdsTranslator.EXT_AUTHZ_SKIPPED);
    assertThat(wrongMethod.getMetadata().getFilterMetadataOrThrow(XdsTranslator.METADATA_NAMESPACE)
        .getFieldsOrThrow("name").getStringValue()).isEqualTo("acme");
  }

  @Test
  void edsCarriesOnlyReadyEndpoints() {
    Translation t = translator.translate(input(List.of(book("customer-a", "acme", webhook("github", "github"))),
        Map.of(new ServiceKey("customer-a", "acme"),
            List.of(slice("customer-a", "acme", "http", 9000, ready("10.0.0.1"), notReady("10.0.0.2"), ready("10.0.0.3"))))));
    ClusterLoadAssignment cla = t.resources().endpoints().stream()
        .filter(c -> c.getClusterName().equals("k8s/customer-a/acme/8080")).findFirst().orElseThrow();
    assertThat(cla.getEndpoints(0).getLbEndpointsList())
        .extracting(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress() + ":" + e.getEndpoint().getAddress().getSocketAddress().getPortValue())
        .containsExactly("10.0.0.1:9000", "10.0.0.3:9000");
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {0, 65536, 70000, -1})
  void aSlicePortEnvoyWouldRefuseNeverReachesEdsAndCostsNothingElse(int bad) {
    Translation t = translator.translate(input(
        List.of(book("customer-a", "broken", webhook("github", "github")), book("customer-b", "fine", webhook("github", "github"))),
        Map.of(new ServiceKey("customer-a", "broken"), List.of(
                slice("customer-a", "broken", "http", bad, ready("10.0.0.1")),
                new EndpointSliceView("customer-a", "broken-def", "broken",
                    List.of(new EndpointSliceView.Port("http", 9001)), List.of(ready("10.0.0.2")))),
            new ServiceKey("customer-b", "fine"), List.of(slice("customer-b", "fine", "http", 9000, ready("10.0.1.1"))))));
    assertThat(endpointsOf(t, "k8s/customer-a/broken/8080")).as("the bad slice's endpoints are dropped, its sibling slice's kept")
        .containsExactly("10.0.0.2:9001");
    assertThat(endpointsOf(t, "k8s/customer-b/fine/8080")).containsExactly("10.0.1.1:9000");
    assertThat(endpointsOf(t, "k8s/bdk/book-library/grpc")).containsExactly("127.0.0.1:50051");
    assertThat(t.books()).allMatch(b -> b instanceof BookTranslation.Accepted);
    assertThat(route(t, "webhook/customer-a/broken/github")).as("the book keeps its route").isPresent();
    assertThat(t.resources().endpoints()).flatMap(cla -> cla.getEndpointsList()).flatMap(l -> l.getLbEndpointsList())
        .extracting(e -> e.getEndpoint().getAddress().getSocketAddress().getPortValue())
        .allMatch(port -> port >= 1 && port <= 65535);
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {0, 65536, -1})
  void aServicePortOutOfRangeRefusesTheBookNamingTheFieldWhileOthersAreKept(int bad) {
    BookSource badPort = new BookSource("customer-a", "badport", new ExternalBookDefinitionSpec("orders", "1.0.0",
        List.of(webhook("github", "github")), null, null, null, new ExternalBookDefinitionSpec.ServiceRef("badport", bad), null));
    BookSource goodPort = new BookSource("customer-a", "goodport", new ExternalBookDefinitionSpec("orders", "1.0.0",
        List.of(webhook("github", "github")), null, null, null, new ExternalBookDefinitionSpec.ServiceRef("goodport", 65535), null));
    Translation t = translator.translate(input(List.of(badPort, goodPort, book("customer-b", "fine", webhook("github", "github"))), Map.of()));
    assertThat(t.books()).filteredOn(b -> b instanceof BookTranslation.Rejected).extracting(b -> ((BookTranslation.Rejected) b).reason())
        .containsExactly("spec.service.port: " + bad + " is not a port number (1-65535)");
    assertThat(t.resources().clusters()).extracting(Cluster::getName)
        .contains("k8s/customer-a/goodport/65535", "k8s/customer-b/fine/8080")
        .noneMatch(n -> n.contains("badport"));
    assertThat(route(t, "webhook/customer-a/goodport/github")).isPresent();
    assertThat(route(t, "webhook/customer-b/fine/github")).isPresent();
  }

  static List<String> endpointsOf(Translation t, String cluster) {
    ClusterLoadAssignment cla = t.resources().endpoints().stream()
        .filter(c -> c.getClusterName().equals(cluster)).findFirst().orElseThrow();
    return cla.getEndpointsList().stream().flatMap(l -> l.getLbEndpointsList().stream())
        .map(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress() + ":" + e.getEndpoint().getAddress().getSocketAddress().getPortValue())
        .toList();
  }

  @Test
  void fixedEndpointsReplaceTheLibraryAndExtAuthzSlicesWhileBooksKeepTheirs() {
    GatewaySettings fixed = SETTINGS.withFixedEndpoints(new FixedEndpoint("127.0.0.1", 40001), new FixedEndpoint("::1", 40002));
    Map<ServiceKey, List<EndpointSliceView>> slices = Map.of(
        new ServiceKey("bdk", "book-library"), List.of(slice("bdk", "book-library", "grpc", 50051, ready("10.1.0.1"))),
        new ServiceKey("customer-a", "acme"), List.of(slice("customer-a", "acme", "http", 9000, ready("10.0.0.1"))));
    GatewayInput in = new GatewayInput(fixed, List.of(book("customer-a", "acme", webhook("github", "github"))), slices);
    for (Translation t : List.of(translator.translate(in), new IncrementalTranslator(XDS).translate(in))) {
      assertThat(endpointsOf(t, "k8s/bdk/book-library/grpc")).as("the slice's 10.1.0.1 is ignored").containsExactly("127.0.0.1:40001");
      assertThat(endpointsOf(t, "k8s/bdk/ext-authz/grpc")).as("fixed even without slices").containsExactly("::1:40002");
      assertThat(endpointsOf(t, "k8s/customer-a/acme/8080")).containsExactly("10.0.0.1:9000");
      assertThat(t.resources().clusters()).filteredOn(c -> c.getName().equals("k8s/bdk/book-library/grpc"))
          .singleElement().satisfies(c -> assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS));
    }
  }

  @Test
  void withoutFixedEndpointsTheLibraryClusterFollowsItsSlices() {
    Map<ServiceKey, List<EndpointSliceView>> slices = Map.of(
        new ServiceKey("bdk", "book-library"), List.of(slice("bdk", "book-library", "grpc", 50051, ready("10.1.0.1"))));
    Translation t = translator.translate(new GatewayInput(SETTINGS, List.of(), slices));
    assertThat(endpointsOf(t, "k8s/bdk/book-library/grpc")).containsExactly("10.1.0.1:50051");
    assertThat(endpointsOf(t, "k8s/bdk/ext-authz/grpc")).isEmpty();
  }

  @Test
  void onlyIpLiteralsBecomeEndpointsSoAnFqdnSliceCannotGetEdsRejected() {
    Translation t = translator.translate(input(List.of(book("customer-a", "acme", webhook("github", "github"))),
        Map.of(new ServiceKey("customer-a", "acme"), List.of(slice("customer-a", "acme", "http", 9000,
            ready("shop.example.com"), ready("fd00::1"), ready("10.0.0.1"), ready("999.1.1.1"))))));
    ClusterLoadAssignment cla = t.resources().endpoints().stream()
        .filter(c -> c.getClusterName().equals("k8s/customer-a/acme/8080")).findFirst().orElseThrow();
    assertThat(cla.getEndpoints(0).getLbEndpointsList())
        .extracting(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress())
        .containsExactly("10.0.0.1", "fd00::1");
  }

  @Test
  void incrementalTranslationEqualsTheFullOneAndRetranslatesOnlyChangedBooks() {
    IncrementalTranslator incremental = new IncrementalTranslator(XDS);
    List<BookSource> books = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      books.add(book("customer-" + i, "book", webhook("github", "github")));
    }
    GatewayInput first = input(books, Map.of());
    assertThat(incremental.translate(first)).isEqualTo(translator.translate(first));
    assertThat(incremental.lastTranslatedBooks()).isEqualTo(50);

    books.set(7, book("customer-7", "book", webhook("stripe", "stripe")));
    GatewayInput second = input(books, Map.of());
    assertThat(incremental.translate(second)).isEqualTo(translator.translate(second));
    assertThat(incremental.lastTranslatedBooks()).isEqualTo(1);
  }
}
