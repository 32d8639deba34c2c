package io.voyager.bdk.local.bench;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Admin;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.LuaPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.voyager.bdk.xds.admin.SnapshotJson;
import io.voyager.bdk.xds.translate.XdsResources;
import java.util.Map;

/**
 * The benchmark's "authentication off" Envoy: the xds-server's own resources for the gateway (the
 * listener, routes and clusters the translator makes), made static, with the authentication taken
 * out — no {@code jwt_authn} filter or per-route config, and the library routes' Lua reduced to
 * what the gateway did before tokens (the create route maps its status back), without the token
 * size guard. Everything else (transcoder, response header removal, local replies, routes,
 * timeouts) is identical, so the two Envoys differ by the authentication alone. The xds-server never
 * emits a library route without a token requirement, by design: this config exists only here.
 */
final class AuthOffBootstrap {
  private AuthOffBootstrap() {}

  static final String JWT_AUTHN = "envoy.filters.http.jwt_authn";
  static final String LUA = "envoy.filters.http.lua";
  /**
   * The per-client webhook limit: left out of these static Envoys. Its config is a TypedStruct
   * (fields newer than java-control-plane's protos) that Envoy accepts over xDS but not from a
   * bootstrap file (a Struct number becomes "10000.0" for a UInt32Value); library routes give it no
   * descriptor, so it never limits what these benchmarks send.
   */
  static final String CLIENT_LIMIT = "envoy.filters.http.local_ratelimit";
  /** The Lua filter's default script when the translator's has no response function (never runs: the filter is off by default). */
  static final String NO_SCRIPT = "-- the library routes' request guard is off in this benchmark Envoy\n";

  /** Bootstrap JSON (Envoy reads it as YAML) of {@code resources} without authentication; admin on a free port. */
  static String render(XdsResources resources) throws InvalidProtocolBufferException {
    return render(resources, true);
  }

  /**
   * Bootstrap JSON of {@code resources} with authentication but without the library routes' Lua
   * (no per-route Lua, so the listener's disabled Lua filter never runs): what Lua costs a call.
   * Responses then keep the gRPC-only headers and a create answers 200: for the GetBook benchmark only.
   */
  static String renderWithoutLua(XdsResources resources) throws InvalidProtocolBufferException {
    return render(resources, false);
  }

  private static String render(XdsResources resources, boolean authOff) throws InvalidProtocolBufferException {
    Map<String, ClusterLoadAssignment> endpoints = new java.util.HashMap<>();
    resources.endpoints().forEach(cla -> endpoints.put(cla.getClusterName(), cla));
    Bootstrap.Builder bootstrap = Bootstrap.newBuilder()
        .setNode(Node.newBuilder().setId(authOff ? "bench-auth-off" : "bench-lua-off")
            .setCluster(authOff ? "bench-auth-off" : "bench-lua-off"))
        .setAdmin(Admin.newBuilder().setAddress(Address.newBuilder()
            .setSocketAddress(SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(0))));
    RouteConfiguration routes = authOff ? withoutAuth(resources.routes().get(0)) : withoutLua(resources.routes().get(0));
    for (Listener listener : resources.listeners()) {
      bootstrap.getStaticResourcesBuilder().addListeners(withStaticRoutes(listener, routes, authOff));
    }
    for (Cluster cluster : resources.clusters()) {
      if (cluster.getType() == Cluster.DiscoveryType.EDS) {
        cluster = cluster.toBuilder().clearEdsClusterConfig().setType(Cluster.DiscoveryType.STATIC)
            .setLoadAssignment(endpoints.getOrDefault(cluster.getName(),
                ClusterLoadAssignment.newBuilder().setClusterName(cluster.getName()).build()))
            .build();
      }
      bootstrap.getStaticResourcesBuilder().addClusters(cluster);
    }
    return JsonFormat.printer().usingTypeRegistry(SnapshotJson.TYPE_REGISTRY).print(bootstrap.build());
  }

  private static Listener withStaticRoutes(Listener listener, RouteConfiguration routes, boolean authOff)
      throws InvalidProtocolBufferException {
    Listener.Builder builder = listener.toBuilder();
    for (var chain : builder.getFilterChainsBuilderList()) {
      for (var filter : chain.getFiltersBuilderList()) {
        if (!filter.getTypedConfig().is(HttpConnectionManager.class)) {
          continue;
        }
        HttpConnectionManager.Builder hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class).toBuilder();
        hcm.clearRds().setRouteConfig(routes);
        for (int i = hcm.getHttpFiltersCount() - 1; i >= 0; i--) {
          if (hcm.getHttpFilters(i).getName().equals(CLIENT_LIMIT)) {
            hcm.removeHttpFilters(i);
          }
        }
        for (int i = authOff ? hcm.getHttpFiltersCount() - 1 : -1; i >= 0; i--) {
          HttpFilter f = hcm.getHttpFilters(i);
          if (f.getName().equals(JWT_AUTHN)) {
            hcm.removeHttpFilters(i);
          } else if (f.getName().equals(LUA)) {
            String off = offLua(f.getTypedConfig().unpack(Lua.class).getDefaultSourceCode().getInlineString());
            hcm.setHttpFilters(i, f.toBuilder().setTypedConfig(Any.pack(Lua.newBuilder()
                .setDefaultSourceCode(DataSource.newBuilder().setInlineString(off == null ? NO_SCRIPT : off)).build())));
          }
        }
        filter.setTypedConfig(Any.pack(hcm.build()));
      }
    }
    return builder.build();
  }

  private static RouteConfiguration withoutAuth(RouteConfiguration routes) throws InvalidProtocolBufferException {
    RouteConfiguration.Builder builder = routes.toBuilder();
    for (VirtualHost.Builder host : builder.getVirtualHostsBuilderList()) {
      for (Route.Builder route : host.getRoutesBuilderList()) {
        route.removeTypedPerFilterConfig(JWT_AUTHN);
        if (route.containsTypedPerFilterConfig(LUA)) {
          String off = offLua(route.getTypedPerFilterConfigOrThrow(LUA).unpack(LuaPerRoute.class).getSourceCode().getInlineString());
          if (off == null) {
            route.removeTypedPerFilterConfig(LUA); // the filter is off by default: this route runs no Lua
          } else {
            route.putTypedPerFilterConfig(LUA, Any.pack(LuaPerRoute.newBuilder()
                .setSourceCode(DataSource.newBuilder().setInlineString(off)).build()));
          }
        }
      }
    }
    return builder.build();
  }

  private static RouteConfiguration withoutLua(RouteConfiguration routes) {
    RouteConfiguration.Builder builder = routes.toBuilder();
    for (VirtualHost.Builder host : builder.getVirtualHostsBuilderList()) {
      for (Route.Builder route : host.getRoutesBuilderList()) {
        route.removeTypedPerFilterConfig(LUA);
      }
    }
    return builder.build();
  }

  /** {@code source}'s response function (the create route's status mapping), or null when it has none. */
  static String offLua(String source) {
    int response = source.indexOf("function envoy_on_response");
    return response < 0 ? null : source.substring(response);
  }
}
