package io.voyager.bdk.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.BufferSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.CheckSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.model.WebhookAuthContext;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.transcoder.TranscoderConfig;
import io.voyager.bdk.transcoder.TranscoderSettings;
import io.voyager.bdk.xds.ir.AuthIr;
import io.voyager.bdk.xds.ir.BackendIr;
import io.voyager.bdk.xds.ir.GatewayIr;
import io.voyager.bdk.xds.ir.HostPort;
import io.voyager.bdk.xds.ir.Provenance;
import io.voyager.bdk.xds.ir.WebhookRouteIr;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Gateway IR → Envoy resources. Pure: the same IR always yields equal resources (with
 * deterministic bytes, see {@link Anys}).
 *
 * <p>Listeners: {@link EdgeListeners} (plain HTTP and HTTPS, header hygiene, limits, access log).
 * Filter chain of the serving listeners, in order: the per-client limit (off unless a route
 * matters on webhook routes only; {@link ClientRateLimitFilter}), header_mutation (off unless a route
 * enables it: library REST routes — removes gRPC-only response headers; {@link LibraryResponseHeaders}),
 * Lua (off unless a route enables it: library routes — caps the token's size, and on the REST create
 * route maps the created status on the way back; {@link LibraryRequestLua}), jwt_authn (off unless
 * enabled: library routes; see
 * {@link JwtAuthnFilter}), ext_authz and its twin for books that sleep (on: every route that does
 * not want them turns them off), grpc_json_transcoder (off unless enabled: library routes), router;
 * in the scoped layout the on_demand filter comes first ({@link WebhookScopes}), and with on-demand
 * clusters a second one, with {@code odcds}, comes just before the router ({@link ClusterDelivery}). Filters that are
 * off by default cannot touch routes that did not ask for them, so the transcoder never rejects a
 * webhook path, a webhook never reaches the transcoder and never needs a token, and the JSON 404
 * asks for nothing.
 *
 * <p>ext_authz fails closed. A request whose webhook scope Envoy loads on demand may continue with
 * the filter chain built before its route was known; a filter off at the connection manager would
 * be missing from that chain. So both ext_authz filters are on there: library routes and the JSON
 * 404 leave them out of their chain ({@link #FILTER_OFF}; those routes are never loaded on demand),
 * a webhook's 405 and the twin a webhook route does not use skip themselves
 * ({@link #EXT_AUTHZ_SKIPPED}). A request that finds no route at all is not checked (Envoy's
 * ext_authz skips a request without a route): the router answers it 404 (the gateway's JSON "no
 * route"), and with on-demand clusters {@link #ROUTE_REQUIRED_FILTER} does so before the on_demand
 * filter that could look its route up again after ext_authz. Nothing reaches a book unchecked,
 * however its route was found.
 *
 * <p>Every library route (REST and gRPC) requires a verified bearer token. While the gateway has
 * no usable JWKS ({@link AuthIr.Unavailable}) those routes answer 401 themselves, saying so, and
 * reach no upstream: the gateway fails closed.
 */
public final class XdsTranslator {

  public static final String LISTENER_NAME = EdgeListeners.PLAIN;
  public static final String HTTPS_LISTENER_NAME = EdgeListeners.HTTPS;
  public static final String ROUTE_CONFIG_NAME = "bdk-routes";
  public static final String METADATA_NAMESPACE = "io.voyager.bdk";
  static final String EXT_AUTHZ_FILTER = "envoy.filters.http.ext_authz";
  /**
   * The same ext_authz, for the routes of books that sleep when idle: ext-authz may hold such a
   * check while the book wakes (its --wake-hold-seconds, 20 s by default, must stay below
   * {@link #WAKE_CHECK_TIMEOUT_SECONDS}), so this instance waits longer than the 2 s every other
   * webhook is held to. Only those routes enable it; everything else about it is the same.
   */
  static final String EXT_AUTHZ_WAKE_FILTER = "bdk.filters.http.ext_authz_wake";
  static final int CHECK_TIMEOUT_SECONDS = 2;
  static final int WAKE_CHECK_TIMEOUT_SECONDS = 25;
  static final String JWT_AUTHN_FILTER = JwtAuthnFilter.NAME;
  static final String LUA_FILTER = "envoy.filters.http.lua";
  static final String TRANSCODER_FILTER = TranscoderConfig.FILTER_NAME;
  static final String ROUTER_FILTER = "envoy.filters.http.router";
  static final String ON_DEMAND_FILTER = "envoy.filters.http.on_demand";
  /**
   * The second on_demand filter, just before the router, with on-demand cluster discovery
   * ({@link ClusterDelivery}): it runs after ext_authz, so only a request ext-authz let through
   * makes Envoy fetch its book's cluster (an unsigned webhook is answered 401 without loading it).
   * It also looks up a route that is still missing: {@link #ROUTE_REQUIRED_FILTER} comes just
   * before it so that it never has to.
   * Its own name: the first on_demand filter (scopes, no {@code odcds}) keeps the well-known one.
   */
  static final String ON_DEMAND_CLUSTER_FILTER = "bdk.filters.http.on_demand_cluster";
  /**
   * With on-demand clusters, just before {@link #ON_DEMAND_CLUSTER_FILTER}: answers 404 (the
   * gateway's JSON "no route", {@link LocalReplies}) to a request that still has no route there,
   * and is off (at runtime: {@link #ROUTE_REQUIRED_OFF}) on every virtual host, so a request with a
   * route never runs it. Why: ext_authz skips its check for a request without a route (Envoy 1.40:
   * no route, no check; the router would answer 404), but the on_demand filter with {@code odcds}
   * also discovers a missing route (its {@code RdsCdsDecodeHeadersBehavior} asks for the route
   * before the cluster). A webhook arriving just as its book's scope reached Envoy found no scope in
   * the first on_demand filter, went through both ext_authz filters unchecked, then had its route
   * found by the second on_demand filter, its cluster fetched, and reached the book without
   * ext-authz's check ({@code NewBookWebhookRaceEndToEndTest}). With this filter a request reaches
   * the second on_demand filter only with the route ext_authz saw.
   */
  static final String ROUTE_REQUIRED_FILTER = "bdk.filters.http.route_required";
  static final String ROUTE_REQUIRED_SOURCE = """
      -- Runs only for a request without a route (every virtual host turns it off): ext_authz did not
      -- check it, so it must not go on to the on_demand filter that would look its route up again.
      function envoy_on_request(request_handle)
        request_handle:respond({[":status"] = "404"}, "")
      end
      """;
  /** {@link #ROUTE_REQUIRED_FILTER} off, on every virtual host (read when the request runs). */
  static final Any ROUTE_REQUIRED_OFF = Anys.pack(
      io.envoyproxy.envoy.extensions.filters.http.lua.v3.LuaPerRoute.newBuilder().setDisabled(true).build());
  /** How long a request waits for its on-demand cluster (Envoy's default is 5 s). */
  static final int ODCDS_TIMEOUT_SECONDS = 5;
  /**
   * Both ext_authz filters off on a route of the default scope (library routes, the JSON 404):
   * Envoy leaves them out of the chain it builds for such a route. Those routes are always loaded
   * (never on demand), so their chain is always built knowing the route.
   */
  static final Any FILTER_OFF = Anys.pack(
      io.envoyproxy.envoy.config.route.v3.FilterConfig.newBuilder().setDisabled(true).build());
  /**
   * An ext_authz filter skipped on a webhook scope's route (the 405, and the twin a webhook route
   * does not use). A per-route setting the filter itself reads when the request runs, not a switch
   * for building the chain: a request whose chain was built before its on-demand scope arrived
   * has both ext_authz filters, and each then reads this from the route found after the load.
   */
  static final Any EXT_AUTHZ_SKIPPED = Anys.pack(ExtAuthzPerRoute.newBuilder().setDisabled(true).build());
  static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
  public static final String LIBRARY_PREFIX = "/api/v1/books";

  private final TranscoderSettings transcoderSettings;
  private final RouteLayout layout;
  private final boolean onDemandScopes;
  private final boolean onDemandClusters;
  private final Any transcoder;
  /** Envoy refuses an empty per-route FilterConfig: routes enable filters with their own config. */
  private static final Any LIBRARY_LUA = luaPerRoute(LibraryRequestLua.SOURCE);
  private static final Any LIBRARY_CREATE_LUA = luaPerRoute(LibraryRequestLua.CREATE_SOURCE);
  static final String KEYS_UNAVAILABLE =
      "Jwt cannot be verified: the gateway has no usable signing keys (JWKS) at the moment";

  private static Any luaPerRoute(String source) {
    return Anys.pack(
        io.envoyproxy.envoy.extensions.filters.http.lua.v3.LuaPerRoute.newBuilder()
            .setSourceCode(DataSource.newBuilder().setInlineString(source))
            .build());
  }

  /** Loads the descriptor set once; the translator is then reusable and thread-safe. Single route layout. */
  public XdsTranslator(TranscoderSettings transcoderSettings) {
    this(transcoderSettings, RouteLayout.SINGLE);
  }

  /**
   * As {@link #XdsTranslator(TranscoderSettings)}, with the public routes laid out as {@code layout};
   * in the scoped layout each webhook's scope and each book's cluster load on demand ({@link WebhookScopes},
   * {@link ClusterDelivery}).
   */
  public XdsTranslator(TranscoderSettings transcoderSettings, RouteLayout layout) {
    this(transcoderSettings, layout, true);
  }

  /**
   * As {@link #XdsTranslator(TranscoderSettings, RouteLayout)}; {@code onDemandScopes} false makes
   * every webhook scope eager (Envoy loads all their route configurations at once: the layout
   * before on-demand scopes, kept for {@code make bench-envoy-memory}'s comparison). Books'
   * clusters are on demand in the scoped layout.
   */
  public XdsTranslator(TranscoderSettings transcoderSettings, RouteLayout layout, boolean onDemandScopes) {
    this(transcoderSettings, layout, onDemandScopes, BookClusters.ON_DEMAND);
  }

  /**
   * As {@link #XdsTranslator(TranscoderSettings, RouteLayout, boolean)}; {@code bookClusters}
   * {@link BookClusters#ON_DEMAND} leaves books' clusters out of the wildcard CDS answer, for
   * Envoy to fetch by name when a request first needs one ({@link ClusterDelivery}; scoped layout
   * only — it needs delta xDS, which the scoped layout needs anyway; ignored in the single layout).
   */
  public XdsTranslator(TranscoderSettings transcoderSettings, RouteLayout layout, boolean onDemandScopes,
      BookClusters bookClusters) {
    this.transcoderSettings = transcoderSettings;
    this.layout = Objects.requireNonNull(layout, "layout");
    this.onDemandScopes = onDemandScopes && layout == RouteLayout.SCOPED;
    this.onDemandClusters = bookClusters == BookClusters.ON_DEMAND && layout == RouteLayout.SCOPED;
    this.transcoder = Anys.pack(TranscoderConfig.bookLibrary(transcoderSettings));
  }

  /** Whether books' clusters are fetched by Envoy on demand (scoped layout only). */
  public boolean onDemandClusters() {
    return onDemandClusters;
  }

  /** Whether webhook scopes load on demand (scoped layout only). */
  public boolean onDemandScopes() {
    return onDemandScopes;
  }

  public RouteLayout layout() {
    return layout;
  }

  public XdsResources translate(GatewayIr ir) {
    return translate(ir, this::webhookRoutes, XdsTranslator::cluster, XdsTranslator::loadAssignment);
  }

  /**
   * As {@link #translate(GatewayIr, Function, Function, Function)}, building each webhook's scope
   * from its routes (no reuse of scopes).
   */
  public XdsResources translate(
      GatewayIr ir,
      Function<WebhookRouteIr, List<Route>> webhookRoutes,
      Function<BackendIr, Cluster> clusters,
      Function<BackendIr, ClusterLoadAssignment> loadAssignments) {
    return translate(ir, webhookRoutes, route -> webhookScope(route, webhookRoutes.apply(route)), clusters, loadAssignments);
  }

  /**
   * One webhook's scope in the scoped layout ({@link WebhookScopes}): a RouteConfiguration with
   * {@code routes} (its {@link #webhookRoutes}) and the ScopedRouteConfiguration naming it.
   */
  public WebhookScopes.Scope webhookScope(WebhookRouteIr route, List<Route> routes) {
    return WebhookScopes.scope(route, routes, onDemandScopes, onDemandClusters);
  }

  /**
   * Translation with caller-supplied (e.g. memoizing) builders for the per-book parts: webhook
   * routes (single layout), webhook scopes (scoped layout), clusters and load assignments. They
   * must be equivalent to {@link #webhookRoutes}, {@link #webhookScope}, {@link #cluster} and
   * {@link #loadAssignment}.
   */
  public XdsResources translate(
      GatewayIr ir,
      Function<WebhookRouteIr, List<Route>> webhookRoutes,
      Function<WebhookRouteIr, WebhookScopes.Scope> webhookScopes,
      Function<BackendIr, Cluster> clusters,
      Function<BackendIr, ClusterLoadAssignment> loadAssignments) {
    return translate(ir, webhookRoutes, webhookScopes, clusters, loadAssignments, Reuse.NOTHING);
  }

  /**
   * Messages a caller (the incremental translator) vouches are equal to what this IR would give,
   * taken as they are so that their identity — and the content versions cached by it — holds; each
   * null: built. {@code routes}: the single layout's route configuration (every webhook route), or
   * the scoped layout's main one; {@code defaultScope}: the scoped layout's default scope.
   * {@code routeConfigurations}, {@code scopes}, {@code clusters}, {@code endpoints}, {@code secrets}: a previous
   * translation's whole output list of that type, when the caller vouches the list would come out
   * the same (element by element): taken as it is, without walking the routes or backends, so an
   * unchanged type costs nothing here nor in the snapshot (which compares lists by identity first).
   */
  public record Reuse(List<Listener> listeners, RouteConfiguration routes,
      io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration defaultScope,
      List<RouteConfiguration> routeConfigurations,
      List<io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration> scopes,
      List<Cluster> clusters,
      List<ClusterLoadAssignment> endpoints,
      List<io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret> secrets) {
    public static final Reuse NOTHING = new Reuse(null, null, null);

    /** Reusing single messages only: every output list built. */
    public Reuse(List<Listener> listeners, RouteConfiguration routes,
        io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration defaultScope) {
      this(listeners, routes, defaultScope, null, null, null, null, null);
    }
  }

  /**
   * As {@link #translate(GatewayIr, Function, Function, Function, Function)}, taking the messages
   * of {@code reuse} instead of building them (the caller vouches they are equal: e.g. no webhook
   * route and no global input changed since they were built).
   */
  public XdsResources translate(
      GatewayIr ir,
      Function<WebhookRouteIr, List<Route>> webhookRoutes,
      Function<WebhookRouteIr, WebhookScopes.Scope> webhookScopes,
      Function<BackendIr, Cluster> clusters,
      Function<BackendIr, ClusterLoadAssignment> loadAssignments,
      Reuse reuse) {
    if (!ir.transcoder().equals(transcoderSettings)) {
      throw new IllegalArgumentException("transcoder settings differ from this translator's");
    }
    List<Cluster> built = reuse.clusters();
    List<ClusterLoadAssignment> endpoints = reuse.endpoints();
    if (built == null || endpoints == null) {
      List<Cluster> newClusters = built == null ? new ArrayList<>() : null;
      List<ClusterLoadAssignment> newEndpoints = endpoints == null ? new ArrayList<>() : null;
      for (BackendIr backend : backends(ir)) {
        if (newClusters != null) {
          newClusters.add(clusters.apply(backend));
        }
        if (newEndpoints != null) {
          newEndpoints.add(loadAssignments.apply(backend));
        }
      }
      if (newClusters != null) {
        if (ir.auth().jwks() instanceof AuthIr.Remote remote) {
          newClusters.add(JwksClusterBuilder.cluster(remote.cluster())); // endpoint inline: no EDS
        }
        built = newClusters;
      }
      if (newEndpoints != null) {
        endpoints = newEndpoints;
      }
    }
    List<RouteConfiguration> routes = new ArrayList<>();
    List<io.envoyproxy.envoy.config.route.v3.ScopedRouteConfiguration> scopes = new ArrayList<>();
    boolean routesReused = reuse.routeConfigurations() != null && reuse.scopes() != null;
    if (routesReused) {
      routes = reuse.routeConfigurations();
      scopes = reuse.scopes();
    } else if (layout == RouteLayout.SCOPED) {
      RouteConfiguration main = reuse.routes() != null ? reuse.routes() : routeConfiguration(ir, route -> List.of()).toBuilder()
          .addRequestHeadersToRemove(WebhookScopes.KEY_HEADER)
          .build();
      routes.add(main);
      scopes.add(reuse.defaultScope() != null ? reuse.defaultScope() : WebhookScopes.defaultScope(main));
      for (WebhookRouteIr route : ir.webhookRoutes()) {
        WebhookScopes.Scope scope = webhookScopes.apply(route);
        routes.add(scope.routes());
        scopes.add(scope.scope());
      }
    } else {
      routes.add(reuse.routes() != null ? reuse.routes() : routeConfiguration(ir, webhookRoutes));
    }
    if (ir.internal() != null && !routesReused) {
      routes.add(InternalDeliveryRoutes.routeConfiguration(ir));
    }
    return new XdsResources(reuse.listeners() != null ? reuse.listeners() : listeners(ir), routes, built, endpoints,
        reuse.secrets() != null ? reuse.secrets() : EdgeSecrets.secrets(ir.edge()), scopes, clusterDelivery(ir));
  }

  /**
   * Eager: our own services' clusters (the library, ext-authz, the relay, the JWKS host); on
   * demand, with {@link #onDemandClusters}: every other cluster, i.e. the books'.
   */
  ClusterDelivery clusterDelivery(GatewayIr ir) {
    if (!onDemandClusters) {
      return ClusterDelivery.ALL_EAGER;
    }
    Set<String> eager = new HashSet<>();
    eager.add(ir.library().clusterName());
    eager.add(ir.extAuthz().clusterName());
    if (ir.relay() != null) {
      eager.add(ir.relay().clusterName());
    }
    if (ir.auth().jwks() instanceof AuthIr.Remote remote) {
      eager.add(remote.cluster().name());
    }
    return new ClusterDelivery(true, eager);
  }

  private static List<BackendIr> backends(GatewayIr ir) {
    List<BackendIr> all = new ArrayList<>();
    all.add(ir.library());
    if (!ir.extAuthz().clusterName().equals(ir.library().clusterName())) {
      all.add(ir.extAuthz());
    }
    if (ir.relay() != null) {
      all.add(ir.relay());
    }
    all.addAll(ir.webhookBackends());
    return all;
  }

  // ---- listeners ----

  /**
   * The public listeners ({@link EdgeListeners}) around this translator's HTTP filter chain, and,
   * with queued delivery, the internal delivery listener ({@link InternalListeners}).
   */
  List<Listener> listeners(GatewayIr ir) {
    List<Listener> listeners = new ArrayList<>(EdgeListeners.listeners(ir.edge(), httpFilters(ir), ROUTE_CONFIG_NAME, layout,
        ir.extAuthz().clusterName()));
    if (ir.internal() != null) {
      listeners.add(InternalListeners.listener(ir.internal(), onDemandClusters ? onDemandClusterFilter() : null));
    }
    return listeners;
  }

  /** The first (plain HTTP) listener; kept for tests. */
  Listener listener(GatewayIr ir) {
    return listeners(ir).get(0);
  }

  /**
   * The HTTP filters of the serving listeners, in order: the per-client limit (only webhook routes
   * give it a descriptor), header_mutation (library REST routes; before Lua so that on the way back
   * it runs after the create route's status mapping), Lua (library routes), jwt_authn (library
   * routes), ext_authz (webhook
   * routes) and its twin with a longer timeout (webhook routes of books that sleep when idle), the
   * transcoder (library REST), the router. header_mutation, Lua, jwt_authn, ext_authz and the
   * transcoder are off unless a route switches them on.
   */
  private List<HttpFilter> httpFilters(GatewayIr ir) {
    List<HttpFilter> filters = new ArrayList<>();
    if (onDemandScopes) {
      filters.add(HttpFilter.newBuilder()
          .setName(ON_DEMAND_FILTER)
          .setTypedConfig(Anys.pack(io.envoyproxy.envoy.extensions.filters.http.on_demand.v3.OnDemand.getDefaultInstance()))
          .build());
    }
    filters.addAll(List.of(
        ClientRateLimitFilter.httpFilter(ir.edge().webhookClientLimit()),
        LibraryResponseHeaders.httpFilter(),
        HttpFilter.newBuilder()
            .setName(LUA_FILTER)
            .setDisabled(true)
            .setTypedConfig(
                Anys.pack(
                    Lua.newBuilder()
                        .setDefaultSourceCode(DataSource.newBuilder().setInlineString(LibraryRequestLua.SOURCE))
                        .build()))
            .build(),
        JwtAuthnFilter.httpFilter(ir.auth()),
        // On by default (fail closed): see the class comment.
        HttpFilter.newBuilder()
            .setName(EXT_AUTHZ_FILTER)
            .setTypedConfig(Anys.pack(extAuthz(ir, CHECK_TIMEOUT_SECONDS)))
            .build(),
        HttpFilter.newBuilder()
            .setName(EXT_AUTHZ_WAKE_FILTER)
            .setTypedConfig(Anys.pack(extAuthz(ir, WAKE_CHECK_TIMEOUT_SECONDS)))
            .build(),
        HttpFilter.newBuilder().setName(TRANSCODER_FILTER).setDisabled(true).setTypedConfig(transcoder).build()));
    if (onDemandClusters) {
      filters.add(routeRequiredFilter());
      filters.add(onDemandClusterFilter());
    }
    filters.addAll(List.of(
        HttpFilter.newBuilder()
            .setName(ROUTER_FILTER)
            // No x-envoy-* response headers (upstream service time, …) to clients.
            .setTypedConfig(Anys.pack(Router.newBuilder().setSuppressEnvoyHeaders(true).build()))
            .build()));
    return List.copyOf(filters);
  }

  /** {@link #ROUTE_REQUIRED_FILTER}: on at the connection manager, off on every virtual host. */
  private static HttpFilter routeRequiredFilter() {
    return HttpFilter.newBuilder()
        .setName(ROUTE_REQUIRED_FILTER)
        .setTypedConfig(Anys.pack(Lua.newBuilder()
            .setDefaultSourceCode(DataSource.newBuilder().setInlineString(ROUTE_REQUIRED_SOURCE))
            .build()))
        .build();
  }

  /**
   * The on_demand filter with on-demand cluster discovery over ADS: a route whose cluster Envoy
   * does not hold waits (at most {@value #ODCDS_TIMEOUT_SECONDS} s) while Envoy subscribes to it by
   * name on the delta stream; then the request goes on (Envoy 1.38+ continues the stream, so the
   * filters before it, ext_authz above all, run once).
   */
  static HttpFilter onDemandClusterFilter() {
    return HttpFilter.newBuilder()
        .setName(ON_DEMAND_CLUSTER_FILTER)
        .setTypedConfig(Anys.pack(io.envoyproxy.envoy.extensions.filters.http.on_demand.v3.OnDemand.newBuilder()
            .setOdcds(io.envoyproxy.envoy.extensions.filters.http.on_demand.v3.OnDemandCds.newBuilder()
                .setSource(EdgeListeners.ads())
                .setTimeout(seconds(ODCDS_TIMEOUT_SECONDS)))
            .build()))
        .build();
  }

  private static ExtAuthz extAuthz(GatewayIr ir, int timeoutSeconds) {
    return ExtAuthz.newBuilder()
        .setGrpcService(
            GrpcService.newBuilder()
                .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(ir.extAuthz().clusterName()))
                .setTimeout(seconds(timeoutSeconds)))
        .setTransportApiVersion(ApiVersion.V3)
        .setFailureModeAllow(false)
        .setStatusOnError(HttpStatus.newBuilder().setCode(StatusCode.ServiceUnavailable))
        .setWithRequestBody(bodyBuffer(ir.maxWebhookBodyBytes()))
        // No cluster.<book>.ext_authz.* counters per check (on by default): nothing reads them, the
        // bootstrap's stats matcher drops customer clusters' stats anyway, and the filter's own
        // http.<listener>.ext_authz.* counters stay. Saves Envoy the per-check stat lookups.
        .setChargeClusterResponseStats(com.google.protobuf.BoolValue.of(false))
        .setDisallowedHeaders(CHECK_HEADERS_LEFT_OUT)
        // The headers as header_map lines with raw_value bytes, not the merged headers map: Envoy
        // joins no repeated header into one string and rewrites no byte (the map's proto strings
        // have it replace non-UTF-8 bytes with '!'), and ext-authz decodes only the values a scheme reads.
        .setEncodeRawHeaders(true)
        .build();
  }

  /**
   * Request headers left out of the CheckRequest: the webhook scope key ({@link WebhookScopes#KEY_HEADER}),
   * which the connection manager's early header mutation sets on every request (overwriting any a
   * client sent) and routing alone reads — ext-authz does not, and no client can have signed it. The
   * path it holds (≈ 70 bytes with the name) is no longer built, sent and parsed per Check. Headers a
   * client may send stay (the hmac scheme reads a header each book names: no allow-list).
   */
  static final io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher CHECK_HEADERS_LEFT_OUT =
      io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher.newBuilder()
          .addPatterns(StringMatcher.newBuilder().setExact(WebhookScopes.KEY_HEADER).setIgnoreCase(true))
          .build();

  /** The exact body bytes for the signature check, whole or refused (413) above {@code maxBytes}. */
  private static BufferSettings bodyBuffer(int maxBytes) {
    return BufferSettings.newBuilder()
        .setMaxRequestBytes(maxBytes)
        .setAllowPartialMessage(false)
        .setPackAsBytes(true)
        .build();
  }

  // ---- routes ----

  RouteConfiguration routeConfiguration(GatewayIr ir, Function<WebhookRouteIr, List<Route>> webhookRoutes) {
    VirtualHost.Builder host = VirtualHost.newBuilder().setName("bdk").addDomains("*");
    for (WebhookRouteIr route : ir.webhookRoutes()) {
      host.addAllRoutes(webhookRoutes.apply(route));
    }
    host.addRoutes(libraryRestRoute(ir, true));
    host.addRoutes(libraryRestRoute(ir, false));
    for (String service : transcoderSettings.services()) {
      host.addRoutes(libraryGrpcRoute(ir, service));
    }
    host.addRoutes(
        withoutExtAuthz(Route.newBuilder())
            .setName("no-route")
            .setMatch(RouteMatch.newBuilder().setPrefix("/"))
            .setDirectResponse(
                DirectResponseAction.newBuilder()
                    .setStatus(404)
                    .setBody(DataSource.newBuilder().setInlineString("{\"code\":5,\"message\":\"no route\"}"))));
    if (onDemandClusters) {
      host.putTypedPerFilterConfig(ROUTE_REQUIRED_FILTER, ROUTE_REQUIRED_OFF);
    }
    return RouteConfiguration.newBuilder()
        .setName(ROUTE_CONFIG_NAME)
        .addVirtualHosts(host)
        .setValidateClusters(com.google.protobuf.BoolValue.of(false))
        .build();
  }

  /**
   * The library's REST API, transcoded. Two routes on the same prefix: {@code POST} (the creates:
   * the only REST method whose status is not the transcoder's, so the only one running
   * {@link StatusHeaderLua}) and everything else. The transcoder keeps the matched route for the
   * transcoded request ({@code match_incoming_request_route}), so these per-route configs also
   * apply to the response.
   */
  private Route libraryRestRoute(GatewayIr ir, boolean create) {
    RouteMatch.Builder match = RouteMatch.newBuilder().setPathSeparatedPrefix(LIBRARY_PREFIX);
    if (create) {
      match.addHeaders(io.envoyproxy.envoy.config.route.v3.HeaderMatcher.newBuilder()
          .setName(":method")
          .setStringMatch(io.envoyproxy.envoy.type.matcher.v3.StringMatcher.newBuilder().setExact("POST")));
    }
    Route.Builder route = Route.newBuilder()
        .setName(create ? "library-rest-create" : "library-rest")
        .setMatch(match)
        .setMetadata(provenance(new Provenance(Provenance.FLAG, ir.library().service().namespace(), ir.library().service().name(), null)));
    withoutExtAuthz(route);
    if (ir.auth().jwks() instanceof AuthIr.Unavailable) {
      return refuseAll(route);
    }
    return route
        .setRoute(RouteAction.newBuilder().setCluster(ir.library().clusterName()).setTimeout(seconds(15)))
        .putTypedPerFilterConfig(LibraryResponseHeaders.FILTER_NAME, LibraryResponseHeaders.PER_ROUTE)
        .putTypedPerFilterConfig(LUA_FILTER, create ? LIBRARY_CREATE_LUA : LIBRARY_LUA)
        .putTypedPerFilterConfig(JWT_AUTHN_FILTER, JwtAuthnFilter.PER_ROUTE)
        .putTypedPerFilterConfig(TRANSCODER_FILTER, transcoder)
        .build();
  }

  /** Both ext_authz filters left out of the chain of {@code route}, a route of the default scope. */
  private static Route.Builder withoutExtAuthz(Route.Builder route) {
    return route.putTypedPerFilterConfig(EXT_AUTHZ_FILTER, FILTER_OFF).putTypedPerFilterConfig(EXT_AUTHZ_WAKE_FILTER, FILTER_OFF);
  }

  /** gRPC clients may call the library through the gateway too (no transcoding), with a token. */
  private static Route libraryGrpcRoute(GatewayIr ir, String service) {
    Route.Builder route = Route.newBuilder()
        .setName("library-grpc/" + service)
        .setMatch(
            RouteMatch.newBuilder()
                .setPrefix("/" + service + "/")
                .setGrpc(RouteMatch.GrpcRouteMatchOptions.getDefaultInstance()));
    withoutExtAuthz(route);
    if (ir.auth().jwks() instanceof AuthIr.Unavailable) {
      return refuseAll(route);
    }
    return route
        .setRoute(RouteAction.newBuilder().setCluster(ir.library().clusterName()).setTimeout(seconds(15)))
        .putTypedPerFilterConfig(LUA_FILTER, LIBRARY_LUA)
        .putTypedPerFilterConfig(JWT_AUTHN_FILTER, JwtAuthnFilter.PER_ROUTE)
        .build();
  }

  /**
   * Without usable keys a library route answers 401 itself ({@value #KEYS_UNAVAILABLE}; JSON, or
   * {@code UNAUTHENTICATED} for gRPC, by {@link LocalReplies}) and nothing is forwarded. Why the
   * keys are unusable is for operators (the xds-server's log and gauge), not for callers.
   */
  private static Route refuseAll(Route.Builder route) {
    return route
        .setDirectResponse(DirectResponseAction.newBuilder()
            .setStatus(401)
            .setBody(DataSource.newBuilder().setInlineString(KEYS_UNAVAILABLE)))
        .addResponseHeadersToAdd(io.envoyproxy.envoy.config.core.v3.HeaderValueOption.newBuilder()
            .setHeader(io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder()
                .setKey(LocalReplies.WWW_AUTHENTICATE).setValue(LocalReplies.MISSING_TOKEN_CHALLENGE))
            .setAppendAction(io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
        .build();
  }

  /**
   * The routes of one webhook integration: {@link #webhookRoute} and, for any other method on the
   * same path, a direct 405 with {@code Allow: POST} (JSON by {@link LocalReplies}).
   */
  public List<Route> webhookRoutes(WebhookRouteIr route) {
    return List.of(webhookRoute(route), webhookMethodNotAllowed(route));
  }

  static final String WEBHOOK_METHOD_NOT_ALLOWED = "only POST is allowed on a webhook path";

  private static Route webhookMethodNotAllowed(WebhookRouteIr route) {
    Provenance source = route.source();
    return Route.newBuilder()
        .setName("webhook-method/" + source.namespace() + "/" + source.name() + "/" + source.integration())
        .setMatch(RouteMatch.newBuilder().setPath(route.path()))
        .setDirectResponse(
            DirectResponseAction.newBuilder()
                .setStatus(405)
                .setBody(DataSource.newBuilder().setInlineString(WEBHOOK_METHOD_NOT_ALLOWED)))
        .addResponseHeadersToAdd(
            io.envoyproxy.envoy.config.core.v3.HeaderValueOption.newBuilder()
                .setHeader(io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder().setKey("allow").setValue("POST"))
                .setAppendAction(io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
        .putTypedPerFilterConfig(EXT_AUTHZ_FILTER, EXT_AUTHZ_SKIPPED)
        .putTypedPerFilterConfig(EXT_AUTHZ_WAKE_FILTER, EXT_AUTHZ_SKIPPED)
        .setMetadata(provenance(source))
        .build();
  }

  /**
   * The route of one webhook integration: exact path, POST only, ext_authz on with its context.
   * An integration with a body limit below the gateway's ({@link WebhookRouteIr#maxBodyBytes},
   * already capped by the IR builder) overrides the filter's {@code with_request_body} for this
   * route (CheckSettings.with_request_body, Envoy ≥ 1.27): a larger body gets 413 from Envoy
   * before ext-authz is called, exactly as at the gateway's limit.
   */
  public Route webhookRoute(WebhookRouteIr route) {
    CheckSettings.Builder check = CheckSettings.newBuilder().putAllContextExtensions(route.authContext());
    if (route.maxBodyBytes() != null) {
      check.setWithRequestBody(bodyBuffer(route.maxBodyBytes()));
    }
    ExtAuthzPerRoute authz = ExtAuthzPerRoute.newBuilder().setCheckSettings(check).build();
    boolean wake = route.authContext().containsKey(WebhookAuthContext.WAKE_LEASE);
    Provenance source = route.source();
    Route.Builder built = Route.newBuilder()
        .setName("webhook/" + source.namespace() + "/" + source.name() + "/" + source.integration())
        .setMatch(
            RouteMatch.newBuilder()
                .setPath(route.path())
                .addHeaders(
                    HeaderMatcher.newBuilder()
                        .setName(":method")
                        .setStringMatch(StringMatcher.newBuilder().setExact("POST"))))
        .putTypedPerFilterConfig(wake ? EXT_AUTHZ_WAKE_FILTER : EXT_AUTHZ_FILTER, Anys.pack(authz))
        // The other twin is skipped by a setting it reads itself, never left out of the chain: see EXT_AUTHZ_SKIPPED.
        .putTypedPerFilterConfig(wake ? EXT_AUTHZ_FILTER : EXT_AUTHZ_WAKE_FILTER, EXT_AUTHZ_SKIPPED)
        .setMetadata(provenance(source));
    if (route.queued() == null) {
      built.setRoute(RouteAction.newBuilder().setCluster(route.clusterName()).setTimeout(seconds(30))
          .addRateLimits(ClientRateLimitFilter.WEBHOOK_ROUTE_LIMIT));
    } else if (route.queued().relayCluster() != null) {
      // Queued: after ext_authz, to the relay, which answers 202 once JetStream stored it.
      built.setRoute(RouteAction.newBuilder().setCluster(route.queued().relayCluster()).setTimeout(seconds(30))
              .addRateLimits(ClientRateLimitFilter.WEBHOOK_ROUTE_LIMIT))
          .addRequestHeadersToAdd(InternalDeliveryRoutes.overwrite(
              WebhookDelivery.HEADER_ORDERED, Boolean.toString(route.queued().ordered())));
      if (route.queued().wakeLease() != null) {
        built.addRequestHeadersToAdd(InternalDeliveryRoutes.overwrite(
            BookWake.HEADER_WAKE_LEASE, route.queued().wakeLease()));
      }
    } else {
      // Queued, but this gateway has no relay: refuse rather than deliver synchronously what the
      // binding asked to queue (the per-client limit still applies; ext_authz has checked it).
      built.setDirectResponse(DirectResponseAction.newBuilder().setStatus(503)
              .setBody(DataSource.newBuilder().setInlineString(QUEUED_WITHOUT_RELAY)))
          .addResponseHeadersToAdd(InternalDeliveryRoutes.overwrite("content-type", "application/json"));
    }
    return built.build();
  }

  static final String QUEUED_WITHOUT_RELAY =
      "{\"code\":14,\"message\":\"this webhook asks for queued delivery, which this gateway does not offer at the moment\"}";

  static Metadata provenance(Provenance source) {
    Struct.Builder fields = Struct.newBuilder();
    fields.putFields("kind", Value.newBuilder().setStringValue(source.kind()).build());
    fields.putFields("namespace", Value.newBuilder().setStringValue(source.namespace()).build());
    fields.putFields("name", Value.newBuilder().setStringValue(source.name()).build());
    if (source.integration() != null) {
      fields.putFields("integration", Value.newBuilder().setStringValue(source.integration()).build());
    }
    return Metadata.newBuilder().putFilterMetadata(METADATA_NAMESPACE, fields.build()).build();
  }

  // ---- clusters and endpoints ----

  /**
   * The EDS cluster of a backend: depends on its name, Service, protocol and TLS, never on its
   * endpoints. Our own services' clusters speak mutual TLS ({@link UpstreamTlsSockets}). No
   * metadata: the name already says which Service it is ({@link BackendIr#clusterName}), and Envoy
   * keeps a parsed copy of any metadata per cluster (about 1.2 KB each; 12 MiB at 10,000 books,
   * measured with {@code make bench-envoy-memory --clusters-only --cluster-variant no-metadata}).
   */
  public static Cluster cluster(BackendIr backend) {
    Cluster.Builder cluster =
        Cluster.newBuilder()
            .setName(backend.clusterName())
            .setType(Cluster.DiscoveryType.EDS)
            .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(adsConfigSource()))
            .setConnectTimeout(seconds(2))
            .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
    if (backend.tls() != null) {
      cluster.setTransportSocket(UpstreamTlsSockets.socket(backend.tls(), backend.http2()));
    }
    if (backend.http2()) {
      cluster.putTypedExtensionProtocolOptions(
          HTTP_PROTOCOL_OPTIONS,
          Anys.pack(
              HttpProtocolOptions.newBuilder()
                  .setExplicitHttpConfig(
                      HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                          .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                  .build()));
    }
    return cluster.build();
  }

  public static ClusterLoadAssignment loadAssignment(BackendIr backend) {
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
    for (HostPort hp : backend.endpoints()) {
      locality.addLbEndpoints(
          LbEndpoint.newBuilder().setEndpoint(Endpoint.newBuilder().setAddress(socketAddress(hp.host(), hp.port()))));
    }
    ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(backend.clusterName());
    if (!backend.endpoints().isEmpty()) {
      cla.addEndpoints(locality);
    }
    return cla.build();
  }

  private static ConfigSource adsConfigSource() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  private static Address socketAddress(String host, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port))
        .build();
  }

  private static Duration seconds(long s) {
    return Duration.newBuilder().setSeconds(s).build();
  }

  /**
   * The ext_authz filters that check a request on {@code route}: both are on at the connection
   * manager, so each checks unless the route turns it off ({@link #FILTER_OFF},
   * {@link #EXT_AUTHZ_SKIPPED}). Exposed for tests.
   */
  static Set<String> extAuthzChecking(Route route) throws com.google.protobuf.InvalidProtocolBufferException {
    Set<String> checking = new TreeSet<>();
    for (String filter : List.of(EXT_AUTHZ_FILTER, EXT_AUTHZ_WAKE_FILTER)) {
      Any config = route.getTypedPerFilterConfigOrDefault(filter, null);
      boolean off = config != null && (config.equals(FILTER_OFF)
          || (config.is(ExtAuthzPerRoute.class) && config.unpack(ExtAuthzPerRoute.class).getDisabled()));
      if (!off) {
        checking.add(filter);
      }
    }
    return checking;
  }

  /** Context extensions are a sorted map already; exposed for tests. */
  static Map<String, String> contextExtensions(Route route) throws com.google.protobuf.InvalidProtocolBufferException {
    ExtAuthzPerRoute normal = route.getTypedPerFilterConfigOrThrow(EXT_AUTHZ_FILTER).unpack(ExtAuthzPerRoute.class);
    ExtAuthzPerRoute chosen = normal.hasCheckSettings() ? normal
        : route.getTypedPerFilterConfigOrThrow(EXT_AUTHZ_WAKE_FILTER).unpack(ExtAuthzPerRoute.class);
    return chosen.getCheckSettings().getContextExtensionsMap();
  }
}
