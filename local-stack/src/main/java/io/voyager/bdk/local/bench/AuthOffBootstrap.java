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
import java.util.HashMap;
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
    return renderEdited(resources, authOff ? "bench-auth-off" : "bench-lua-off",
        authOff ? AuthOffBootstrap::withoutAuth : AuthOffBootstrap::withoutLua,
        authOff ? AuthOffBootstrap::withoutAuthFilters : hcm -> { });
  }

  /** An edit of one proto that may unpack an {@code Any}. */
  interface Edit<T> {
    T apply(T value) throws InvalidProtocolBufferException;
  }

  /** An in-place edit of an HTTP connection manager that may unpack an {@code Any}. */
  interface HcmEdit {
    void apply(HttpConnectionManager.Builder hcm) throws InvalidProtocolBufferException;
  }

  /**
   * Bootstrap JSON (Envoy reads it as YAML) of {@code resources} made static as node {@code nodeId}
   * (admin on a free port, EDS clusters with their endpoints inline, the route configuration inline
   * and the per-client webhook limit left out), with {@code routes} applied to the route
   * configuration and {@code hcm} to every HTTP connection manager: a variant of the translation.
   */
  static String renderEdited(XdsResources resources, String nodeId, Edit<RouteConfiguration> routes, HcmEdit hcm)
      throws InvalidProtocolBufferException {
    return renderEdited(resources, nodeId, routes, hcm, false);
  }

  /**
   * As above; {@code keepClientLimit}: the per-client webhook limit stays, its TypedStruct written
   * out as the typed config it names (whole numbers as integers), as the xDS-programmed Envoy runs it.
   */
  static String renderEdited(XdsResources resources, String nodeId, Edit<RouteConfiguration> routes, HcmEdit hcm,
      boolean keepClientLimit) throws InvalidProtocolBufferException {
    Map<String, ClusterLoadAssignment> endpoints = new HashMap<>();
    resources.endpoints().forEach(cla -> endpoints.put(cla.getClusterName(), cla));
    Bootstrap.Builder bootstrap = Bootstrap.newBuilder()
        .setNode(Node.newBuilder().setId(nodeId).setCluster(nodeId))
        .setAdmin(Admin.newBuilder().setAddress(Address.newBuilder()
            .setSocketAddress(SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(0))));
    RouteConfiguration edited = routes.apply(resources.routes().get(0));
    for (Listener listener : resources.listeners()) {
      bootstrap.getStaticResourcesBuilder().addListeners(withStaticRoutes(listener, edited, hcm, keepClientLimit));
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
    String json = JsonFormat.printer().usingTypeRegistry(SnapshotJson.TYPE_REGISTRY).print(bootstrap.build());
    return keepClientLimit ? typedStructsUnpacked(json) : json;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
  private static final String TYPED_STRUCT = "type.googleapis.com/xds.type.v3.TypedStruct";

  /** {@code json} with every {@code xds.type.v3.TypedStruct} replaced by the message it names, whole numbers as integers. */
  static String typedStructsUnpacked(String json) {
    try {
      com.fasterxml.jackson.databind.JsonNode root = JSON.readTree(json);
      return JSON.writeValueAsString(unpackTypedStructs(root));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode unpackTypedStructs(com.fasterxml.jackson.databind.JsonNode node) {
    if (node.isObject()) {
      com.fasterxml.jackson.databind.node.ObjectNode object = (com.fasterxml.jackson.databind.node.ObjectNode) node;
      if (TYPED_STRUCT.equals(object.path("@type").asText()) && object.has("value")) {
        com.fasterxml.jackson.databind.node.ObjectNode typed = JSON.createObjectNode();
        typed.put("@type", object.path("typeUrl").asText());
        object.path("value").fields().forEachRemaining(e -> typed.set(e.getKey(), wholeNumbers(e.getValue())));
        return typed;
      }
      object.fields().forEachRemaining(e -> e.setValue(unpackTypedStructs(e.getValue())));
      return object;
    }
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        ((com.fasterxml.jackson.databind.node.ArrayNode) node).set(i, unpackTypedStructs(node.get(i)));
      }
    }
    return node;
  }

  private static com.fasterxml.jackson.databind.JsonNode wholeNumbers(com.fasterxml.jackson.databind.JsonNode node) {
    if (node.isNumber() && node.asDouble() == Math.rint(node.asDouble())) {
      return com.fasterxml.jackson.databind.node.LongNode.valueOf((long) node.asDouble());
    }
    if (node.isObject()) {
      node.fields().forEachRemaining(e -> e.setValue(wholeNumbers(e.getValue())));
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        ((com.fasterxml.jackson.databind.node.ArrayNode) node).set(i, wholeNumbers(node.get(i)));
      }
    }
    return node;
  }

  private static Listener withStaticRoutes(Listener listener, RouteConfiguration routes, HcmEdit edit, boolean keepClientLimit)
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
          if (!keepClientLimit && hcm.getHttpFilters(i).getName().equals(CLIENT_LIMIT)) {
            hcm.removeHttpFilters(i);
          }
        }
        edit.apply(hcm);
        filter.setTypedConfig(Any.pack(hcm.build()));
      }
    }
    return builder.build();
  }

  private static void withoutAuthFilters(HttpConnectionManager.Builder hcm) throws InvalidProtocolBufferException {
    for (int i = hcm.getHttpFiltersCount() - 1; i >= 0; i--) {
      HttpFilter f = hcm.getHttpFilters(i);
      if (f.getName().equals(JWT_AUTHN)) {
        hcm.removeHttpFilters(i);
      } else if (f.getName().equals(LUA)) {
        String off = offLua(f.getTypedConfig().unpack(Lua.class).getDefaultSourceCode().getInlineString());
        hcm.setHttpFilters(i, f.toBuilder().setTypedConfig(Any.pack(Lua.newBuilder()
            .setDefaultSourceCode(DataSource.newBuilder().setInlineString(off == null ? NO_SCRIPT : off)).build())));
      }
    }
  }

  static RouteConfiguration withoutAuth(RouteConfiguration routes) throws InvalidProtocolBufferException {
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

  static RouteConfiguration withoutLua(RouteConfiguration routes) {
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
