package io.voyager.bdk.xds.translate;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.AndFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ComparisonFilter;
import io.envoyproxy.envoy.config.accesslog.v3.HeaderFilter;
import io.envoyproxy.envoy.config.accesslog.v3.MetadataFilter;
import io.envoyproxy.envoy.config.accesslog.v3.OrFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ResponseFlagFilter;
import io.envoyproxy.envoy.config.accesslog.v3.StatusCodeFilter;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeUInt32;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.LocalReplyConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ResponseMapper;
import io.envoyproxy.envoy.type.matcher.v3.DoubleMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.Map;
import java.util.TreeMap;

/**
 * Envoy's own error replies (those it makes itself: the transcoder's 400s, unknown routes, 413,
 * 503 without upstream, our direct 405) as {@code google.rpc.Status} JSON,
 * {@code {"code":3,"message":"…"}} with {@code content-type: application/json}, like the replies
 * of the library service. The message is Envoy's own text ({@code %LOCAL_REPLY_BODY%}), which
 * names the field or query parameter; a 404 says which method and path had no route.
 *
 * <p>Mappers are tried in order, the first match wins:
 * <ol>
 *   <li>ext_authz replies (response flag {@code UAEX}) keep the body and content type ext-authz
 *       chose (it already answers JSON Status);
 *   <li>{@code jwt_authn} refusals (its failure status in dynamic metadata, see
 *       {@link JwtAuthnFilter#FAILURE_METADATA}) are all 401 — Envoy itself answers a token for
 *       another audience 403, but a token that is not for us is not a valid credential (RFC 6750
 *       {@code invalid_token}), and gRPC callers must get {@code UNAUTHENTICATED}, not
 *       {@code PERMISSION_DENIED}. Each carries one {@code WWW-Authenticate} challenge of fixed
 *       realm ({@link #MISSING_TOKEN_CHALLENGE} without a token, {@link #INVALID_TOKEN_CHALLENGE}
 *       otherwise) instead of Envoy's, which echoes the request URL; the message is Envoy's
 *       ("Jwt is expired", "Jwt issuer is not configured", …). Non-gRPC requests get it as JSON,
 *       gRPC ones as {@code grpc-status} 16 and {@code grpc-message};
 *   <li>per HTTP status, for requests that are not gRPC: gRPC clients get Envoy's reply as
 *       {@code grpc-status}/{@code grpc-message}, which a JSON body would garble.
 * </ol>
 * Statuses not listed keep Envoy's text.
 */
final class LocalReplies {
  private LocalReplies() {}

  /** HTTP status of a local reply → google.rpc.Code (the gRPC ↔ HTTP mapping of google/rpc/code.proto). */
  static final Map<Integer, Integer> RPC_CODES = new TreeMap<>(Map.ofEntries(
      Map.entry(400, 3), // INVALID_ARGUMENT
      Map.entry(401, 16), // UNAUTHENTICATED
      Map.entry(403, 7), // PERMISSION_DENIED
      Map.entry(404, 5), // NOT_FOUND
      Map.entry(405, 12), // UNIMPLEMENTED: the method is not supported on this path
      Map.entry(408, 4), // DEADLINE_EXCEEDED
      Map.entry(413, 3), // INVALID_ARGUMENT: the body is too large
      Map.entry(429, 8), // RESOURCE_EXHAUSTED
      Map.entry(431, 3), // INVALID_ARGUMENT: headers too large
      Map.entry(500, 13), // INTERNAL
      Map.entry(501, 12), // UNIMPLEMENTED
      Map.entry(502, 14), // UNAVAILABLE
      Map.entry(503, 14), // UNAVAILABLE
      Map.entry(504, 4))); // DEADLINE_EXCEEDED

  static final String NOT_FOUND_MESSAGE = "no route for %REQ(:METHOD)% %REQ(:PATH)%";
  static final String ENVOY_MESSAGE = "%LOCAL_REPLY_BODY%";

  /** The challenge of a 401 for a request without a token (RFC 6750 section 3: no error code). */
  static final String MISSING_TOKEN_CHALLENGE = "Bearer realm=\"bdk\"";
  /** The challenge of a 401 for a token that was refused. */
  static final String INVALID_TOKEN_CHALLENGE = "Bearer realm=\"bdk\", error=\"invalid_token\"";
  static final String WWW_AUTHENTICATE = "www-authenticate";
  /** google::jwt_verify::Status::JwtMissed, as jwt_authn writes it into its failure metadata. */
  static final int JWT_MISSED = 1;

  static LocalReplyConfig config() {
    LocalReplyConfig.Builder config = LocalReplyConfig.newBuilder();
    config.addMappers(ResponseMapper.newBuilder()
        .setFilter(AccessLogFilter.newBuilder()
            .setResponseFlagFilter(ResponseFlagFilter.newBuilder().addFlags("UAEX"))));
    for (boolean missing : new boolean[] {true, false}) {
      AccessLogFilter refused = jwtRefused(missing);
      HeaderValueOption challenge = HeaderValueOption.newBuilder()
          .setHeader(HeaderValue.newBuilder()
              .setKey(WWW_AUTHENTICATE)
              .setValue(missing ? MISSING_TOKEN_CHALLENGE : INVALID_TOKEN_CHALLENGE))
          .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
          .build();
      config.addMappers(ResponseMapper.newBuilder()
          .setFilter(AccessLogFilter.newBuilder()
              .setAndFilter(AndFilter.newBuilder().addFilters(refused).addFilters(notGrpc())))
          .setStatusCode(UInt32Value.of(401))
          .addHeadersToAdd(challenge)
          .setBodyFormatOverride(SubstitutionFormatString.newBuilder()
              .setJsonFormat(status(RPC_CODES.get(401), ENVOY_MESSAGE))
              .setContentType("application/json")));
      config.addMappers(ResponseMapper.newBuilder()
          .setFilter(refused)
          .setStatusCode(UInt32Value.of(401))
          .addHeadersToAdd(challenge));
    }
    RPC_CODES.forEach((status, code) -> config.addMappers(ResponseMapper.newBuilder()
        .setFilter(AccessLogFilter.newBuilder()
            .setAndFilter(AndFilter.newBuilder()
                .addFilters(statusIs(status))
                .addFilters(notGrpc())))
        .setBodyFormatOverride(SubstitutionFormatString.newBuilder()
            .setJsonFormat(status(code, status == 404 ? NOT_FOUND_MESSAGE : ENVOY_MESSAGE))
            .setContentType("application/json"))));
    return config.build();
  }

  private static Struct status(int code, String message) {
    return Struct.newBuilder()
        .putFields("code", Value.newBuilder().setNumberValue(code).build())
        .putFields("message", Value.newBuilder().setStringValue(message).build())
        .build();
  }

  /**
   * jwt_authn refused the request ({@code missing}: because it had no token). The key must be
   * required to exist ({@code match_if_key_not_found: false}): Envoy's default matches every reply
   * without it, which would turn every local reply into a 401.
   */
  private static AccessLogFilter jwtRefused(boolean missing) {
    MetadataMatcher.Builder matcher = MetadataMatcher.newBuilder()
        .setFilter(JwtAuthnFilter.NAME)
        .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(JwtAuthnFilter.FAILURE_METADATA));
    if (missing) {
      matcher.addPath(MetadataMatcher.PathSegment.newBuilder().setKey("code"))
          .setValue(ValueMatcher.newBuilder().setDoubleMatch(DoubleMatcher.newBuilder().setExact(JWT_MISSED)));
    } else {
      matcher.setValue(ValueMatcher.newBuilder().setPresentMatch(true));
    }
    return AccessLogFilter.newBuilder()
        .setMetadataFilter(MetadataFilter.newBuilder()
            .setMatcher(matcher)
            .setMatchIfKeyNotFound(BoolValue.of(false)))
        .build();
  }

  private static AccessLogFilter statusIs(int status) {
    return AccessLogFilter.newBuilder()
        .setStatusCodeFilter(StatusCodeFilter.newBuilder()
            .setComparison(ComparisonFilter.newBuilder()
                .setOp(ComparisonFilter.Op.EQ)
                .setValue(RuntimeUInt32.newBuilder()
                    .setDefaultValue(status)
                    .setRuntimeKey("bdk.local_reply.status_" + status))))
        .build();
  }

  /**
   * Not a gRPC request: its content-type does not start with application/grpc (absent counts as
   * not gRPC), or the transcoder made it gRPC (it rewrote content-type and path, and kept the
   * original path in {@value #ORIGINAL_PATH}).
   */
  private static AccessLogFilter notGrpc() {
    return AccessLogFilter.newBuilder()
        .setOrFilter(OrFilter.newBuilder()
            .addFilters(AccessLogFilter.newBuilder()
                .setHeaderFilter(HeaderFilter.newBuilder()
                    .setHeader(HeaderMatcher.newBuilder()
                        .setName("content-type")
                        .setStringMatch(StringMatcher.newBuilder().setPrefix("application/grpc"))
                        .setTreatMissingHeaderAsEmpty(true)
                        .setInvertMatch(true))))
            .addFilters(AccessLogFilter.newBuilder()
                .setHeaderFilter(HeaderFilter.newBuilder()
                    .setHeader(HeaderMatcher.newBuilder().setName(ORIGINAL_PATH).setPresentMatch(true)))))
        .build();
  }

  static final String ORIGINAL_PATH = "x-envoy-original-path";
}
