package io.voyager.bdk.xds.translate;

import static io.voyager.bdk.xds.Fixtures.book;
import static io.voyager.bdk.xds.Fixtures.ready;
import static io.voyager.bdk.xds.Fixtures.slice;
import static io.voyager.bdk.xds.Fixtures.webhook;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.xds.Fixtures;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EdgeSettings;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.PortSelector;
import io.voyager.bdk.xds.model.QueuedDeliverySettings;
import io.voyager.bdk.xds.model.ServiceKey;
import io.voyager.bdk.xds.model.ServiceRef;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A {@code delivery: queued} binding in the translation: its public route goes, after ext_authz, to
 * the relay's cluster (mutual TLS, HTTP/1.1) with {@code x-bdk-ordered}; the internal listener
 * admits only the relay's certificate and routes each queued binding's delivery path to the same
 * book cluster a direct binding uses, rewritten to the public path with the routing headers set
 * from its own config; direct bindings get no internal route; without a relay a queued route
 * refuses rather than deliver synchronously.
 */
class QueuedDeliveryTranslationTest {
  static final QueuedDeliverySettings QUEUED = new QueuedDeliverySettings(
      new ServiceRef("bdk", "webhook-relay", PortSelector.named("http")), null, "0.0.0.0", 8444, WebhookDelivery.RELAY_IDENTITY);
  static final GatewaySettings SETTINGS = GatewaySettings.defaults().withQueuedDelivery(QUEUED);
  final GatewayTranslator translator = new GatewayTranslator(new XdsTranslator(SETTINGS.transcoder()));

  static ExternalIntegration queued(String name, Boolean ordered) {
    ExternalIntegration w = webhook(name, "github");
    return new ExternalIntegration(w.name(), w.type(), w.endpoint(), w.authentication(), w.rateLimit(), null, "queued", ordered);
  }

  static GatewayInput input(GatewaySettings settings, BookSource... books) {
    Map<ServiceKey, List<EndpointSliceView>> slices = new HashMap<>(GatewayTranslatorTest.CORE_SLICES);
    slices.put(new ServiceKey("bdk", "webhook-relay"), List.of(slice("bdk", "webhook-relay", "http", 18040, ready("10.0.0.9"))));
    return new GatewayInput(settings, List.of(books), slices).withJwks(Fixtures.JWKS);
  }

  static Route route(RouteConfiguration config, String name) {
    return config.getVirtualHosts(0).getRoutesList().stream().filter(r -> r.getName().equals(name)).findFirst().orElseThrow();
  }

  static RouteConfiguration routeConfig(Translation t, String name) {
    return t.resources().routes().stream().filter(r -> r.getName().equals(name)).findFirst().orElseThrow();
  }

  static Map<String, String> headers(List<HeaderValueOption> options) {
    Map<String, String> map = new HashMap<>();
    options.forEach(o -> {
      assertThat(o.getAppendAction()).isEqualTo(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
      map.put(o.getHeader().getKey(), o.getHeader().getValue());
    });
    return map;
  }

  @Test
  void aQueuedBindingGoesToTheRelayAfterExtAuthzWithItsOrderedHeader() throws Exception {
    Translation t = translator.translate(input(SETTINGS,
        book("customer-a", "acme", queued("github", true), webhook("zendesk", "zendesk"))));
    RouteConfiguration publicRoutes = routeConfig(t, XdsTranslator.ROUTE_CONFIG_NAME);
    Route queuedRoute = route(publicRoutes, "webhook/customer-a/acme/github");
    assertThat(queuedRoute.getRoute().getCluster()).isEqualTo("k8s/bdk/webhook-relay/http");
    assertThat(queuedRoute.getTypedPerFilterConfigMap()).containsKey("envoy.filters.http.ext_authz");
    assertThat(headers(queuedRoute.getRequestHeadersToAddList())).containsExactly(Map.entry("x-bdk-ordered", "true"));
    Route directRoute = route(publicRoutes, "webhook/customer-a/acme/zendesk");
    assertThat(directRoute.getRoute().getCluster()).isEqualTo("k8s/customer-a/acme/8080");
    assertThat(directRoute.getRequestHeadersToAddList()).isEmpty();

    Cluster relay = t.resources().clusters().stream().filter(c -> c.getName().equals("k8s/bdk/webhook-relay/http"))
        .findFirst().orElseThrow();
    assertThat(relay.getTypedExtensionProtocolOptionsMap()).as("HTTP/1.1").isEmpty();
    UpstreamTlsContext tls = relay.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo("webhook-relay.bdk.svc");
    assertThat(tls.getCommonTlsContext().getAlpnProtocolsList()).containsExactly("http/1.1");
    assertThat(t.resources().endpoints().stream().filter(c -> c.getClusterName().equals("k8s/bdk/webhook-relay/http"))
        .findFirst().orElseThrow().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getAddress())
        .isEqualTo("10.0.0.9");
  }

  /**
   * Books live in customer namespaces, so only a relay an operator placed in one can share a book's
   * cluster name (like the library's and ext-authz's): the book's routes then use the relay's
   * cluster, never a second cluster of that name (which would fail every snapshot).
   */
  @Test
  void aBookWhoseServiceIsTheRelaysDoesNotDeclareTheRelaysClusterAgain() {
    QueuedDeliverySettings relayInCustomerNamespace = new QueuedDeliverySettings(
        new ServiceRef("customer-a", "webhook-relay", PortSelector.numbered(8080)), null, "0.0.0.0", 8444, WebhookDelivery.RELAY_IDENTITY);
    GatewaySettings settings = GatewaySettings.defaults().withQueuedDelivery(relayInCustomerNamespace);
    BookSource plain = book("customer-a", "relay-named", webhook("github", "github"));
    BookSource onRelay = new BookSource(plain.namespace(), plain.name(), new ExternalBookDefinitionSpec(
        plain.spec().bookType(), plain.spec().version(), plain.spec().externalIntegrations(), null, null, null,
        new ExternalBookDefinitionSpec.ServiceRef("webhook-relay", 8080), null));
    Map<ServiceKey, List<EndpointSliceView>> slices = new HashMap<>(GatewayTranslatorTest.CORE_SLICES);
    slices.put(new ServiceKey("customer-a", "webhook-relay"), List.of(slice("customer-a", "webhook-relay", null, 8080, ready("10.0.0.9"))));
    GatewayInput input = new GatewayInput(settings, List.of(onRelay, book("customer-a", "acme", webhook("github", "github"))), slices)
        .withJwks(Fixtures.JWKS);

    for (Translation t : List.of(translator.translate(input), new IncrementalTranslator(new XdsTranslator(settings.transcoder())).translate(input))) {
      assertThat(t.resources().clusters().stream().filter(c -> c.getName().equals("k8s/customer-a/webhook-relay/8080")))
          .as("one cluster of that name: the relay's").hasSize(1);
      assertThat(t.resources().clusters().stream().map(Cluster::getName)).contains("k8s/customer-a/acme/8080");
    }
  }

  @Test
  void aQueuedBindingOfABookThatSleepsIsNotHeldByExtAuthzAndCarriesItsWakeLeaseToTheRelay() throws Exception {
    BookSource sleeper = book("customer-a", "sleeper", queued("github", null), webhook("zendesk", "zendesk"));
    sleeper = new BookSource(sleeper.namespace(), sleeper.name(), new ExternalBookDefinitionSpec(
        sleeper.spec().bookType(), sleeper.spec().version(), sleeper.spec().externalIntegrations(), null, null, null, null,
        null, new ExternalBookDefinitionSpec.Wake("sleeper-wake")));
    RouteConfiguration publicRoutes = routeConfig(translator.translate(input(SETTINGS, sleeper)), XdsTranslator.ROUTE_CONFIG_NAME);

    Route queuedRoute = route(publicRoutes, "webhook/customer-a/sleeper/github");
    assertThat(queuedRoute.getRoute().getCluster()).isEqualTo("k8s/bdk/webhook-relay/http");
    assertThat(XdsTranslator.extAuthzChecking(queuedRoute)).as("answered at once: the relay holds the message, not the sender")
        .containsExactly("envoy.filters.http.ext_authz");
    assertThat(XdsTranslator.contextExtensions(queuedRoute)).doesNotContainKey(WebhookAuthContext.WAKE_LEASE);
    assertThat(headers(queuedRoute.getRequestHeadersToAddList()))
        .containsEntry(BookWake.HEADER_WAKE_LEASE, "customer-a/sleeper-wake")
        .containsEntry("x-bdk-ordered", "false");

    Route directRoute = route(publicRoutes, "webhook/customer-a/sleeper/zendesk");
    assertThat(XdsTranslator.extAuthzChecking(directRoute)).containsExactly("bdk.filters.http.ext_authz_wake");
    assertThat(XdsTranslator.contextExtensions(directRoute))
        .containsEntry(WebhookAuthContext.WAKE_LEASE, "customer-a/sleeper-wake");
  }

  @Test
  void theInternalListenerAdmitsOnlyTheRelayAndRoutesQueuedDeliveriesToTheBookAsDirectDeliveryWould() throws Exception {
    Translation t = translator.translate(input(SETTINGS,
        book("customer-a", "acme", queued("github", null), webhook("zendesk", "zendesk"))));
    Listener internal = t.resources().listeners().stream().filter(l -> l.getName().equals(InternalListeners.NAME))
        .findFirst().orElseThrow();
    assertThat(internal.getAddress().getSocketAddress().getPortValue()).isEqualTo(8444);
    DownstreamTlsContext tls = internal.getFilterChains(0).getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
    assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
    SubjectAltNameMatcher san = tls.getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
        .getMatchTypedSubjectAltNames(0);
    assertThat(san.getSanType()).isEqualTo(SubjectAltNameMatcher.SanType.URI);
    assertThat(san.getMatcher().getExact()).isEqualTo("spiffe://bdk/webhook-relay");
    assertThat(tls.getCommonTlsContext().getCombinedValidationContext().getValidationContextSdsSecretConfig().getName())
        .isEqualTo(EdgeSettings.MutualTlsUpstreams.CA_SECRET);
    HttpConnectionManager hcm = internal.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
    assertThat(hcm.getRds().getRouteConfigName()).isEqualTo(InternalListeners.ROUTE_CONFIG);
    assertThat(hcm.getEarlyHeaderMutationExtensions(0).toString()).contains("x-envoy-").doesNotContain("x-bdk-");

    RouteConfiguration internalRoutes = routeConfig(t, InternalListeners.ROUTE_CONFIG);
    Route delivery = route(internalRoutes, "delivery/customer-a/acme/github");
    assertThat(delivery.getMatch().getPath()).isEqualTo("/bdk-internal/v1/deliveries/customer-a/acme/github");
    assertThat(delivery.getMatch().getHeadersList()).extracting(h -> h.getName()).containsExactly(":method", "x-bdk-webhook-id");
    // no counted repetition: RE2 unrolls {1,128} past Envoy's program-size limit and the whole
    // route configuration is NACKed (QueuedWebhookEndToEndTest found it on a real Envoy)
    assertThat(delivery.getMatch().getHeaders(1).getStringMatch().getSafeRegex().getRegex()).doesNotContain("{")
        .isEqualTo("[A-Za-z0-9._:@+=-]+");
    assertThat(delivery.getRoute().getCluster()).as("the same book cluster as direct delivery").isEqualTo("k8s/customer-a/acme/8080");
    assertThat(delivery.getRoute().getPrefixRewrite()).isEqualTo(WebhookRoutes.publicPath("customer-a", "acme", "github"));
    assertThat(headers(delivery.getRequestHeadersToAddList())).containsOnly(
        Map.entry("x-bdk-instance", "customer-a/acme"), Map.entry("x-bdk-integration", "github"),
        Map.entry("x-bdk-routed-to", "customer-a/customer-support"));
    assertThat(internalRoutes.getVirtualHosts(0).getRoutesList()).extracting(Route::getName)
        .as("a direct binding has no delivery route").containsExactly("delivery/customer-a/acme/github", "delivery-unrouted", "no-route");
    Route unrouted = route(internalRoutes, "delivery-unrouted");
    assertThat(unrouted.getDirectResponse().getStatus()).as("retried by the relay, not dead-lettered").isEqualTo(503);
    assertThat(headers(unrouted.getResponseHeadersToAddList())).containsEntry("retry-after", "30");
    assertThat(routeConfig(t, XdsTranslator.ROUTE_CONFIG_NAME).getVirtualHosts(0).getRoutesList())
        .as("no public route reaches the internal prefix").noneMatch(r -> r.getMatch().getPath().startsWith("/bdk-internal"));
  }

  @Test
  void orderedOnADirectBindingAndAnUnknownModeAreRefusedNamingTheField() {
    ExternalIntegration w = webhook("github", "github");
    Translation t = translator.translate(input(SETTINGS,
        book("customer-a", "ordered-direct", new ExternalIntegration(w.name(), w.type(), w.endpoint(), w.authentication(),
            w.rateLimit(), null, null, true)),
        book("customer-a", "unknown-mode", new ExternalIntegration(w.name(), w.type(), w.endpoint(), w.authentication(),
            w.rateLimit(), null, "eventually", null))));
    assertThat(t.books()).extracting(b -> ((BookTranslation.Rejected) b).reason()).containsExactly(
        "spec.externalIntegrations[0].ordered: only a queued binding can be ordered (delivery: queued)",
        "spec.externalIntegrations[0].delivery: must be one of [direct, queued]; got 'eventually'");
  }

  @Test
  void withoutARelayAQueuedRouteRefusesAndNoInternalListenerExists() {
    Translation t = translator.translate(input(GatewaySettings.defaults(), book("customer-a", "acme", queued("github", false))));
    Route queuedRoute = route(routeConfig(t, XdsTranslator.ROUTE_CONFIG_NAME), "webhook/customer-a/acme/github");
    assertThat(queuedRoute.getDirectResponse().getStatus()).isEqualTo(503);
    assertThat(queuedRoute.getDirectResponse().getBody().getInlineString()).contains("queued delivery");
    assertThat(t.resources().listeners()).extracting(Listener::getName).doesNotContain(InternalListeners.NAME);
    assertThat(t.resources().routes()).hasSize(1);
    assertThat(t.resources().clusters()).extracting(Cluster::getName).doesNotContain("k8s/bdk/webhook-relay/http");
  }

  @Test
  void theIncrementalTranslatorGivesTheSameResources() {
    GatewayInput in = input(SETTINGS, book("customer-a", "acme", queued("github", true), webhook("zendesk", "zendesk")));
    assertThat(new IncrementalTranslator(new XdsTranslator(SETTINGS.transcoder())).translate(in).resources())
        .isEqualTo(translator.translate(in).resources());
  }
}
