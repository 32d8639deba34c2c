package io.voyager.bdk.xds.admin;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** A snapshot as Envoy JSON (the shapes of Envoy's config_dump), for operators. Pure. */
public final class SnapshotJson {
  private SnapshotJson() {}

  /**
   * What can be shown. Never the SDS secrets: they hold the HTTPS listener's private key (the
   * listeners show which secret they name; the summary version shows whether it changed).
   */
  public static final List<String> TYPES = List.of("listeners", "routes", "scoped_routes", "clusters", "endpoints");

  /** Every type the translator packs into an {@code Any}: what a JSON printer of its resources needs. */
  public static final JsonFormat.TypeRegistry TYPE_REGISTRY =
      JsonFormat.TypeRegistry.newBuilder()
          .add(HttpConnectionManager.getDescriptor())
          .add(Router.getDescriptor())
          .add(Lua.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.lua.v3.LuaPerRoute.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutation.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute.getDescriptor())
          .add(ExtAuthz.getDescriptor())
          .add(ExtAuthzPerRoute.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.on_demand.v3.OnDemand.getDescriptor())
          .add(GrpcJsonTranscoder.getDescriptor())
          .add(FilterConfig.getDescriptor())
          .add(HttpProtocolOptions.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig.getDescriptor())
          .add(com.github.xds.type.v3.TypedStruct.getDescriptor())
          .build();

  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().usingTypeRegistry(TYPE_REGISTRY).preservingProtoFieldNames();

  /** {@code types}: any of {@link #TYPES}; unknown names are refused by the caller. */
  public static String render(ContentVersionedSnapshot snapshot, Set<String> types) {
    StringBuilder out = new StringBuilder("{\n  \"version\": \"").append(snapshot.summaryVersion()).append('"');
    for (String type : TYPES) {
      if (!types.contains(type)) {
        continue;
      }
      switch (type) {
        case "listeners" -> section(out, type, snapshot.listeners().version(), snapshot.listeners().resources().values());
        case "routes" -> section(out, type, snapshot.routes().version(), snapshot.routes().resources().values());
        case "scoped_routes" -> section(out, type, snapshot.version(XdsType.SCOPED_ROUTE),
            snapshot.scopedRoutes().values());
        case "clusters" -> section(out, type, snapshot.clusters().version(), snapshot.clusters().resources().values());
        default -> section(out, type, snapshot.endpoints().version(), snapshot.endpoints().resources().values());
      }
    }
    return out.append("\n}\n").toString();
  }

  private static void section(StringBuilder out, String type, String version, Collection<? extends Message> resources) {
    out.append(",\n  \"").append(type).append("\": {\"version_info\": \"").append(version).append("\", \"resources\": [");
    boolean first = true;
    for (Message m : resources) {
      out.append(first ? "\n" : ",\n").append(print(m));
      first = false;
    }
    out.append("]}");
  }

  static String print(Message message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      return "{\"error\": \"cannot print " + message.getDescriptorForType().getFullName() + ": "
          + e.getMessage().replace('"', '\'') + "\"}";
    }
  }

  public static String normalizeType(String t) {
    return t.toLowerCase(Locale.ROOT).trim();
  }
}
