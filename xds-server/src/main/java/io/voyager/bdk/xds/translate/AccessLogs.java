package io.voyager.bdk.xds.translate;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.AndFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ComparisonFilter;
import io.envoyproxy.envoy.config.accesslog.v3.HeaderFilter;
import io.envoyproxy.envoy.config.accesslog.v3.OrFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ResponseFlagFilter;
import io.envoyproxy.envoy.config.accesslog.v3.StatusCodeFilter;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.RuntimeUInt32;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.CommonGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.voyager.bdk.model.WebhookAuthContext;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
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
    FIELDS = Collections.unmodifiableMap(fields);
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

  /** The gRPC access log's name in Envoy's stats and ext-authz's logs. */
  static final String REPLAY_RELEASE_LOG = "bdk_replay_release";
  /** Response flags of a request that did not get an answer from its upstream. */
  static final List<String> UPSTREAM_FAILURE_FLAGS = List.of("UF", "UH", "URX", "UT", "UC", "UO", "NR", "UMSDR");

  /**
   * The delivery-failure log: for a webhook ext-authz allowed (it carries
   * {@link WebhookAuthContext#HEADER_REPLAY_RELEASE}, which ext-authz added and a client cannot
   * send: {@link HeaderHygiene}) that got no answer from the book or an answer of 500 or more,
   * Envoy streams the entry with that header to ext-authz's AccessLogService, which forgets the
   * delivery's replay digests so the sender's retry is not refused as a replay. Sent over the
   * ext-authz cluster (its mTLS); asynchronous and best effort. Pure.
   */
  static AccessLog replayRelease(String extAuthzCluster) {
    HttpGrpcAccessLogConfig config = HttpGrpcAccessLogConfig.newBuilder()
        .setCommonConfig(CommonGrpcAccessLogConfig.newBuilder()
            .setLogName(REPLAY_RELEASE_LOG)
            .setGrpcService(GrpcService.newBuilder()
                .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(extAuthzCluster)))
            .setTransportApiVersion(ApiVersion.V3))
        .addAdditionalRequestHeadersToLog(WebhookAuthContext.HEADER_REPLAY_RELEASE)
        .build();
    AccessLogFilter carriesHeader = AccessLogFilter.newBuilder()
        .setHeaderFilter(HeaderFilter.newBuilder().setHeader(HeaderMatcher.newBuilder()
            .setName(WebhookAuthContext.HEADER_REPLAY_RELEASE).setPresentMatch(true)))
        .build();
    AccessLogFilter serverError = AccessLogFilter.newBuilder()
        .setStatusCodeFilter(StatusCodeFilter.newBuilder().setComparison(ComparisonFilter.newBuilder()
            .setOp(ComparisonFilter.Op.GE)
            .setValue(RuntimeUInt32.newBuilder().setDefaultValue(500).setRuntimeKey("bdk.replay_release.min_status"))))
        .build();
    AccessLogFilter upstreamFailed = AccessLogFilter.newBuilder()
        .setResponseFlagFilter(ResponseFlagFilter.newBuilder().addAllFlags(UPSTREAM_FAILURE_FLAGS))
        .build();
    AccessLogFilter filter = AccessLogFilter.newBuilder()
        .setAndFilter(AndFilter.newBuilder()
            .addFilters(carriesHeader)
            .addFilters(AccessLogFilter.newBuilder().setOrFilter(OrFilter.newBuilder()
                .addFilters(serverError)
                .addFilters(upstreamFailed))))
        .build();
    return AccessLog.newBuilder()
        .setName("envoy.access_loggers.http_grpc")
        .setFilter(filter)
        .setTypedConfig(Anys.pack(config))
        .build();
  }
}
