package io.voyager.bdk.xds.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.ir.WebhookRouteIr;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the scoped route layout's golden file cannot show: it holds the same routes as the single
 * layout, one scope per webhook path keyed by what follows {@link WebhookRoutes#PREFIX}, every
 * scope's route configuration exists, and the incremental translator keeps the identical scope
 * objects of unchanged books (so their content versions stay cached and only a changed book's
 * scope is re-sent).
 */
class ScopedRouteLayoutTest {
  private static final TranslatorCase MANY = TranslatorCase.load(TranslatorCase.DIR.resolve("in/many-books.yaml"));

  @Test
  void aLayoutOtherThanSingleOrScopedIsRefusedNamingTheFlag() {
    assertThat(RouteLayout.parse(" Scoped ")).isEqualTo(RouteLayout.SCOPED);
    assertThatThrownBy(() -> RouteLayout.parse("sharded"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--route-layout").hasMessageContaining("sharded");
  }

  @Test
  void theScopesHoldTheSameRoutesAsTheSingleRouteConfiguration() {
    XdsResources single = translate(RouteLayout.SINGLE, MANY.input());
    XdsResources scoped = translate(RouteLayout.SCOPED, MANY.input());

    Map<String, Route> singleRoutes = routes(single.routes().stream().filter(rc -> rc.getName().equals(XdsTranslator.ROUTE_CONFIG_NAME)));
    Map<String, Route> scopedRoutes = routes(scoped.routes().stream()
        .filter(rc -> !rc.getName().equals(InternalListeners.ROUTE_CONFIG)));
    assertThat(scopedRoutes).as("every route, by name, identical").isEqualTo(singleRoutes);

    Map<String, RouteConfiguration> configs = scoped.routes().stream()
        .collect(Collectors.toMap(RouteConfiguration::getName, Function.identity()));
    List<String> keys = new ArrayList<>();
    for (ScopedRouteConfiguration scope : scoped.scopedRoutes()) {
      RouteConfiguration config = configs.get(scope.getRouteConfigurationName());
      assertThat(config).as("scope %s names an existing route configuration", scope.getName()).isNotNull();
      assertThat(config.getRequestHeadersToRemoveList()).as("the key header never reaches an upstream")
          .contains(WebhookScopes.KEY_HEADER);
      keys.add(scope.getKey().getFragments(0).getStringKey());
    }
    List<String> expected = new ArrayList<>(List.of(WebhookScopes.DEFAULT_KEY));
    for (BookTranslation book : new GatewayTranslator(new XdsTranslator(MANY.input().settings().transcoder()))
        .translate(MANY.input()).books()) {
      if (book instanceof BookTranslation.Accepted accepted) {
        accepted.routes().stream().map(WebhookRouteIr::path)
            .map(path -> path.substring(WebhookRoutes.PREFIX.length())).forEach(expected::add);
      }
    }
    assertThat(keys).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(configs.get(XdsTranslator.ROUTE_CONFIG_NAME).getVirtualHosts(0).getRoutesList())
        .extracting(Route::getName).noneMatch(name -> name.startsWith("webhook"));

    ContentVersionedSnapshot snapshot = ContentVersionedSnapshot.of(scoped);
    org.assertj.core.api.Assertions.assertThatCode(snapshot::ensureConsistent).doesNotThrowAnyException();
  }

  @Test
  void booksClustersAreServedByNameOnlyInTheScopedLayoutOurServicesEagerlyAndTheSingleLayoutOrEagerFlagKeepsAllEager()
      throws Exception {
    XdsResources scoped = translate(RouteLayout.SCOPED, MANY.input());
    ClusterDelivery delivery = scoped.clusterDelivery();
    assertThat(delivery.onDemand()).isTrue();
    String library = MANY.input().settings().library().toString();
    List<String> byNameOnly = scoped.clusters().stream().map(c -> c.getName()).filter(delivery::byNameOnly).toList();
    List<String> eager = scoped.clusters().stream().map(c -> c.getName()).filter(n -> !delivery.byNameOnly(n)).toList();
    assertThat(eager).as("the library and ext-authz: %s", library).hasSize(2).allMatch(n -> n.startsWith("k8s/bdk/"));
    assertThat(byNameOnly).as("every book's cluster").hasSize(scoped.clusters().size() - 2).noneMatch(n -> n.startsWith("k8s/bdk/"));

    for (var listener : scoped.listeners()) {
      HttpConnectionManager hcm = listener.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
      List<String> filters = hcm.getHttpFiltersList().stream().map(f -> f.getName()).toList();
      assertThat(filters).as("%s: the cluster is fetched just before the router, after ext_authz", listener.getName())
          .endsWith(XdsTranslator.ON_DEMAND_CLUSTER_FILTER, XdsTranslator.ROUTER_FILTER);
      var onDemand = hcm.getHttpFiltersList().get(filters.indexOf(XdsTranslator.ON_DEMAND_CLUSTER_FILTER)).getTypedConfig()
          .unpack(io.envoyproxy.envoy.extensions.filters.http.on_demand.v3.OnDemand.class);
      assertThat(onDemand.getOdcds().getSource().hasAds()).isTrue();
      if (!listener.getName().equals(InternalListeners.NAME)) {
        assertThat(filters.indexOf(XdsTranslator.EXT_AUTHZ_FILTER)).isLessThan(filters.indexOf(XdsTranslator.ON_DEMAND_CLUSTER_FILTER));
        assertThat(filters).as("%s: a request still without a route is answered 404 before the cluster's on_demand filter,"
            + " which would look the route up after ext_authz skipped it", listener.getName())
            .containsSubsequence(XdsTranslator.EXT_AUTHZ_WAKE_FILTER, XdsTranslator.ROUTE_REQUIRED_FILTER,
                XdsTranslator.ON_DEMAND_CLUSTER_FILTER);
        assertThat(filters.indexOf(XdsTranslator.ROUTE_REQUIRED_FILTER)).isEqualTo(filters.size() - 3);
      }
    }
    for (var routes : scoped.routes()) {
      if (routes.getName().equals(InternalListeners.ROUTE_CONFIG)) {
        continue;
      }
      assertThat(routes.getVirtualHostsList()).as("%s: every virtual host turns the no-route guard off", routes.getName())
          .isNotEmpty()
          .allMatch(host -> XdsTranslator.ROUTE_REQUIRED_OFF.equals(
              host.getTypedPerFilterConfigMap().get(XdsTranslator.ROUTE_REQUIRED_FILTER)));
    }

    XdsResources single = translate(RouteLayout.SINGLE, MANY.input());
    XdsResources eagerFlag = new GatewayTranslator(new XdsTranslator(MANY.input().settings().transcoder(), RouteLayout.SCOPED, true,
        BookClusters.EAGER)).translate(MANY.input()).resources();
    for (XdsResources allEager : List.of(single, eagerFlag)) {
      assertThat(allEager.clusterDelivery()).isEqualTo(ClusterDelivery.ALL_EAGER);
      for (var listener : allEager.listeners()) {
        HttpConnectionManager hcm = listener.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
        assertThat(hcm.getHttpFiltersList()).extracting(f -> f.getName())
            .doesNotContain(XdsTranslator.ON_DEMAND_CLUSTER_FILTER, XdsTranslator.ROUTE_REQUIRED_FILTER);
      }
    }
    assertThat(BookClusters.ofFlag("on-demand")).isEqualTo(BookClusters.ON_DEMAND);
    assertThatThrownBy(() -> BookClusters.ofFlag("lazy")).hasMessageContaining("--book-clusters").hasMessageContaining("lazy");
  }

  @Test
  void theServingListenersSelectScopesFromTheKeyHeaderTheySetThemselves() throws Exception {
    for (var listener : translate(RouteLayout.SCOPED, MANY.input()).listeners()) {
      if (listener.getName().equals(InternalListeners.NAME)) {
        continue;
      }
      HttpConnectionManager hcm = listener.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
      assertThat(hcm.hasRds()).isFalse();
      assertThat(hcm.getScopedRoutes().getScopeKeyBuilder().getFragments(0).getHeaderValueExtractor().getName())
          .isEqualTo(WebhookScopes.KEY_HEADER);
      assertThat(hcm.getEarlyHeaderMutationExtensionsList()).extracting(e -> e.getName())
          .as("the key is set after the client's x-bdk-*/x-envoy-* headers are gone")
          .containsExactly(HeaderHygiene.EXTENSION, WebhookScopes.SCOPE_EXTENSION);
    }
  }

  /**
   * Webhook scopes load on demand, the default scope (library routes, the JSON 404) is eager; the
   * on_demand filter comes first. Fail closed: both ext_authz filters are on at the connection
   * manager, so a request whose chain was built before its scope arrived still has them, and every
   * route says itself whether each checks (the webhook route: exactly one, with its context).
   */
  @Test
  void webhookScopesLoadOnDemandBehindFiltersThatFailClosed() throws Exception {
    XdsResources scoped = translate(RouteLayout.SCOPED, MANY.input());
    assertThat(scoped.scopedRoutes()).filteredOn(ScopedRouteConfiguration::getOnDemand)
        .hasSize(scoped.scopedRoutes().size() - 1)
        .allSatisfy(scope -> assertThat(scope.getKey().getFragments(0).getStringKey()).isNotEqualTo(WebhookScopes.DEFAULT_KEY));
    for (var listener : scoped.listeners()) {
      if (listener.getName().equals(InternalListeners.NAME)) {
        continue;
      }
      HttpConnectionManager hcm = listener.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
      assertThat(hcm.getHttpFilters(0).getName()).isEqualTo(XdsTranslator.ON_DEMAND_FILTER);
      assertThat(hcm.getHttpFiltersList()).filteredOn(f -> f.getName().contains("ext_authz"))
          .hasSize(2).noneMatch(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter::getDisabled);
    }
    Map<String, Route> all = routes(scoped.routes().stream().filter(rc -> !rc.getName().equals(InternalListeners.ROUTE_CONFIG)));
    for (Route route : all.values()) {
      if (route.getName().startsWith("webhook/")) {
        assertThat(XdsTranslator.extAuthzChecking(route)).as(route.getName()).hasSize(1);
        assertThat(XdsTranslator.contextExtensions(route)).as(route.getName()).isNotEmpty();
      } else {
        assertThat(XdsTranslator.extAuthzChecking(route)).as(route.getName()).isEmpty();
      }
    }

    XdsResources eager = new GatewayTranslator(new XdsTranslator(MANY.input().settings().transcoder(), RouteLayout.SCOPED, false))
        .translate(MANY.input()).resources();
    assertThat(eager.scopedRoutes()).noneMatch(ScopedRouteConfiguration::getOnDemand);
    assertThat(hcmFilterNames(eager)).doesNotContain(XdsTranslator.ON_DEMAND_FILTER);
    assertThat(hcmFilterNames(translate(RouteLayout.SINGLE, MANY.input()))).doesNotContain(XdsTranslator.ON_DEMAND_FILTER);
  }

  private static List<String> hcmFilterNames(XdsResources resources) throws Exception {
    return resources.listeners().get(0).getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class)
        .getHttpFiltersList().stream().map(f -> f.getName()).toList();
  }

  @Test
  void theIncrementalTranslatorKeepsUnchangedBooksScopesAndRebuildsAChangedOne() {
    IncrementalTranslator incremental = new IncrementalTranslator(
        new XdsTranslator(MANY.input().settings().transcoder(), RouteLayout.SCOPED));
    GatewayInput input = MANY.input();
    Map<String, RouteConfiguration> before = byName(incremental.translate(input).resources().routes());

    // book-00 loses its integrations' rate limit: only its scope's route configuration changes.
    List<BookSource> books = new ArrayList<>();
    String changed = null;
    for (BookSource book : input.books()) {
      if (book.name().equals("book-00")) {
        var spec = book.spec();
        var integration = spec.externalIntegrations().get(0);
        var without = new ExternalBookDefinitionSpec.ExternalIntegration(integration.name(), integration.type(),
            integration.endpoint(), integration.authentication(), null, integration.maxBodyBytes(), integration.delivery(),
            integration.ordered());
        books.add(new BookSource(book.namespace(), book.name(), new ExternalBookDefinitionSpec(spec.bookType(),
            spec.version(), List.of(without), spec.networking(), spec.resources(), spec.scaling(), spec.service(), spec.instanceRef(),
            spec.wake())));
        changed = "webhook/" + book.namespace() + "/" + book.name() + "/" + integration.name();
      } else {
        books.add(book);
      }
    }
    GatewayInput next = new GatewayInput(input.settings(), books, input.slices(), input.heldOut(), input.jwks(), input.edgeCertificate());
    Map<String, RouteConfiguration> after = byName(incremental.translate(next).resources().routes());

    assertThat(after.keySet()).isEqualTo(before.keySet());
    for (String name : after.keySet()) {
      if (name.equals(changed)) {
        assertThat(after.get(name)).as(name).isNotEqualTo(before.get(name));
      } else if (name.startsWith("webhook/")) {
        assertThat(after.get(name)).as("%s: the identical object", name).isSameAs(before.get(name));
      }
    }
  }

  private static XdsResources translate(RouteLayout layout, GatewayInput input) {
    return new GatewayTranslator(new XdsTranslator(input.settings().transcoder(), layout)).translate(input).resources();
  }

  private static Map<String, Route> routes(Stream<RouteConfiguration> configs) {
    return configs.flatMap(rc -> rc.getVirtualHostsList().stream()).flatMap(vh -> vh.getRoutesList().stream())
        .collect(Collectors.toMap(Route::getName, Function.identity()));
  }

  private static Map<String, RouteConfiguration> byName(List<RouteConfiguration> configs) {
    return configs.stream().collect(Collectors.toMap(RouteConfiguration::getName, Function.identity()));
  }
}
