package io.voyager.bdk.xds.translate;

import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ScopedRds;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ScopedRoutes;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.xds.ir.WebhookRouteIr;
import java.util.List;
import java.util.Map;

/**
 * The scoped route layout ({@link RouteLayout#SCOPED}): Envoy's scoped routes (SRDS) pick one
 * small RouteConfiguration per request from a key, so one book's change re-sends only that book's
 * routes instead of every route.
 *
 * <p>The key. Envoy builds a scope key from request headers only, before any HTTP filter runs (the
 * route it selects also decides which per-route filters run, so the key cannot come from a filter).
 * The connection manager's early header mutation sets (overwrites) {@value #KEY_HEADER} to the path without its
 * query followed by {@value #PADDING}; the key is the element after the first
 * {@value WebhookRoutes#PREFIX} in it:
 * <ul>
 *   <li>{@code /api/v1/webhooks/github/4f…} → {@code github/4f…}: the webhook's own scope (its POST
 *       route and its 405), named like its route;
 *   <li>every other path (library REST and gRPC, anything unknown) → {@value #DEFAULT_KEY}: the
 *       scope of {@value XdsTranslator#ROUTE_CONFIG_NAME} (library routes, the JSON 404);
 *   <li>a webhook-looking path no book has → no scope, no route: ext_authz skips it (Envoy checks
 *       only requests with a route) and the router, or with on-demand clusters
 *       {@link XdsTranslator#ROUTE_REQUIRED_FILTER} before it, answers the gateway's JSON 404
 *       ({@code {"code":5,"message":"no route for POST /…"}}).
 * </ul>
 * <p>On demand. Webhook scopes are {@code on_demand} (the default scope is not): Envoy learns every
 * key at once but fetches a webhook's RouteConfiguration over RDS only when the first request with
 * its key arrives, held by the on_demand HTTP filter (first in the chain) meanwhile — 10,000 books
 * no longer mean 15,000 loaded route configurations. Such a request may go on with the filter chain
 * built before its route was known (Envoy re-creates the stream only when the whole body is in), so
 * nothing a webhook route needs may be off at the connection manager: both ext_authz filters are on
 * and read their per-route settings when they run (docs/design-decisions.md).
 * The header is removed before any upstream sees it ({@code request_headers_to_remove} of every
 * scoped route configuration). The key comes from the path as Envoy normalized it (the connection
 * manager's {@code normalize_path} and {@code merge_slashes}): a webhook path sent with {@code //},
 * {@code /./} or {@code /../} reaches its scope as in the single layout (on the pinned Envoy,
 * {@code RouteLayoutsEndToEndTest}).
 * Pure.
 */
public final class WebhookScopes {
  private WebhookScopes() {}

  public static final String SCOPED_ROUTES_NAME = "bdk-scopes";
  /**
   * Not {@code x-bdk-*}: any filter that strips the gateway's {@code x-bdk-*} headers on the way
   * (the library routes' Lua did, before the transcoder re-selected the route for the rewritten
   * gRPC path) would take the key with it, and the route with the key. A client's own copy is
   * overwritten by the early header mutation all the same.
   */
  public static final String KEY_HEADER = "bdk-route-scope";
  static final String DEFAULT_KEY = "-";
  static final String PADDING = WebhookRoutes.PREFIX + DEFAULT_KEY;
  static final String SCOPE_EXTENSION = "bdk.route_scope";

  /** One webhook path's scope: its route configuration and the scope that names it. */
  public record Scope(RouteConfiguration routes, ScopedRouteConfiguration scope) {}

  /** The scope key of a webhook's public path: what follows {@value WebhookRoutes#PREFIX}. */
  static String key(String publicPath) {
    if (!publicPath.startsWith(WebhookRoutes.PREFIX)) {
      throw new IllegalArgumentException("webhook path " + publicPath + " does not start with " + WebhookRoutes.PREFIX);
    }
    return publicPath.substring(WebhookRoutes.PREFIX.length());
  }

  /**
   * {@code route}'s scope holding {@code routes} (its POST route and its 405), named like the route;
   * {@code onDemand}: Envoy learns the scope's key at once but fetches its route configuration only
   * when the first request with that key arrives ({@code on_demand}, with the connection manager's
   * on_demand filter); {@code routeRequiredOff}: the virtual host turns
   * {@link XdsTranslator#ROUTE_REQUIRED_FILTER} off (with on-demand clusters).
   */
  static Scope scope(WebhookRouteIr route, List<Route> routes, boolean onDemand, boolean routeRequiredOff) {
    String name = routes.get(0).getName();
    VirtualHost.Builder host = VirtualHost.newBuilder().setName("bdk").addDomains("*").addAllRoutes(routes);
    if (routeRequiredOff) {
      host.putTypedPerFilterConfig(XdsTranslator.ROUTE_REQUIRED_FILTER, XdsTranslator.ROUTE_REQUIRED_OFF);
    }
    RouteConfiguration config = RouteConfiguration.newBuilder()
        .setName(name)
        .addVirtualHosts(host)
        .addRequestHeadersToRemove(KEY_HEADER)
        .setValidateClusters(com.google.protobuf.BoolValue.of(false))
        .build();
    ScopedRouteConfiguration scope = scope(name, key(route.path()));
    return new Scope(config, onDemand ? scope.toBuilder().setOnDemand(true).build() : scope);
  }

  /** The scope of the library routes and the 404 (the default key). */
  static ScopedRouteConfiguration defaultScope(RouteConfiguration main) {
    return scope(main.getName(), DEFAULT_KEY);
  }

  private static ScopedRouteConfiguration scope(String routeConfigName, String key) {
    return ScopedRouteConfiguration.newBuilder()
        .setName(routeConfigName)
        .setRouteConfigurationName(routeConfigName)
        .setKey(ScopedRouteConfiguration.Key.newBuilder()
            .addFragments(ScopedRouteConfiguration.Key.Fragment.newBuilder().setStringKey(key)))
        .build();
  }

  /** The connection manager's route specifier: scopes over ADS, keyed on {@value #KEY_HEADER}. */
  static ScopedRoutes scopedRoutes() {
    return ScopedRoutes.newBuilder()
        .setName(SCOPED_ROUTES_NAME)
        .setScopeKeyBuilder(ScopedRoutes.ScopeKeyBuilder.newBuilder()
            .addFragments(ScopedRoutes.ScopeKeyBuilder.FragmentBuilder.newBuilder()
                .setHeaderValueExtractor(ScopedRoutes.ScopeKeyBuilder.FragmentBuilder.HeaderValueExtractor.newBuilder()
                    .setName(KEY_HEADER)
                    .setElementSeparator(WebhookRoutes.PREFIX)
                    .setIndex(1))))
        .setRdsConfigSource(EdgeListeners.ads())
        .setScopedRds(ScopedRds.newBuilder().setScopedRdsConfigSource(EdgeListeners.ads()))
        .build();
  }

  /** Sets {@value #KEY_HEADER} (after {@link HeaderHygiene} removed any client-sent one). */
  static TypedExtensionConfig keyHeader() {
    com.google.protobuf.Value header = TypedStructs.struct(Map.of(
        "key", TypedStructs.string(KEY_HEADER),
        "value", TypedStructs.string("%PATH(NQ)%" + PADDING)));
    com.google.protobuf.Value append = TypedStructs.struct(Map.of(
        "header", header,
        "append_action", TypedStructs.string("OVERWRITE_IF_EXISTS_OR_ADD")));
    return TypedExtensionConfig.newBuilder()
        .setName(SCOPE_EXTENSION)
        .setTypedConfig(TypedStructs.pack(
            "envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation",
            TypedStructs.structOf(Map.of("mutations",
                TypedStructs.list(List.of(TypedStructs.struct(Map.of("append", append))))))))
        .build();
  }
}
