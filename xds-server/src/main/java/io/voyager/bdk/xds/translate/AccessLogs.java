package io.voyager.bdk.xds.translate;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Envoy's access log: one JSON object per request on Envoy's stdout, with what an operator needs
 * and nothing a client could want hidden: method, path WITHOUT its query string (tokens and
 * signatures sometimes travel there), status, duration, upstream cluster, the webhook id ext-authz
 * returned, the client address Envoy trusts, route and response flags. Never a body, a header
 * value carrying credentials (Authorization, signatures) or a query string. Pure.
 */
final class AccessLogs {
  private AccessLogs() {}

  static final String FORMATTER = "envoy.formatter.req_without_query";

  /** Field → Envoy command; order as written. */
  static final Map<String, String> FIELDS;

  static {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("time", "%START_TIME%");
    fields.put("listener", "%DOWNSTREAM_LOCAL_PORT%");
    fields.put("client", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%");
    fields.put("protocol", "%PROTOCOL%");
    fields.put("method", "%REQ(:METHOD)%");
    fields.put("path", "%REQ_WITHOUT_QUERY(X-ENVOY-ORIGINAL-PATH?:PATH)%");
    fields.put("status", "%RESPONSE_CODE%");
    fields.put("flags", "%RESPONSE_FLAGS%");
    fields.put("duration_ms", "%DURATION%");
    fields.put("route", "%ROUTE_NAME%");
    fields.put("upstream_cluster", "%UPSTREAM_CLUSTER%");
    fields.put("webhook_id", "%RESP(X-BDK-WEBHOOK-ID)%");
    FIELDS = java.util.Collections.unmodifiableMap(fields);
  }

  static AccessLog stdoutJson() {
    Struct.Builder json = Struct.newBuilder();
    FIELDS.forEach((k, v) -> json.putFields(k, Value.newBuilder().setStringValue(v).build()));
    StdoutAccessLog log = StdoutAccessLog.newBuilder()
        .setLogFormat(SubstitutionFormatString.newBuilder()
            .setJsonFormat(json)
            .addFormatters(TypedExtensionConfig.newBuilder()
                .setName(FORMATTER)
                .setTypedConfig(TypedStructs.pack("envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery",
                    Struct.getDefaultInstance()))))
        .build();
    return AccessLog.newBuilder().setName("envoy.access_loggers.stdout").setTypedConfig(Anys.pack(log)).build();
  }
}
