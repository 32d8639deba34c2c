package io.voyager.bdk.xds.translate;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.voyager.bdk.xds.model.EdgeSettings;
import java.util.List;
import java.util.Map;

/**
 * The pre-authentication limit of webhook routes: Envoy's local rate limit with one token bucket
 * per client address (the address Envoy trusts after {@code use_remote_address} and the trusted
 * hops), shared by every webhook route, {@code maxAddresses} buckets at most (least recently used
 * evicted). It runs before ext_authz, so a flood of forged webhooks from one address is answered
 * 429 by Envoy itself without an HMAC, a Secret read or a Check call. The filter is on for the whole
 * listener, but only webhook routes produce its descriptor ({@link #WEBHOOK_ROUTE_LIMIT}, the
 * route's {@code rate_limits} with a {@code remote_address} action); every other request falls to
 * a default bucket that never empties. (Envoy refuses a per-route switch without config for this
 * filter, and a per-route config would give each route its own buckets.) Pure.
 */
final class ClientRateLimitFilter {
  private ClientRateLimitFilter() {}

  static final String NAME = "envoy.filters.http.local_ratelimit";
  static final String STAT_PREFIX = "webhook_client_limit";
  /** On Envoy's 429 (its JSON body comes from {@link LocalReplies}). */
  static final String LIMITED_HEADER = "x-bdk-limited-by";

  /** A webhook route's descriptor: the client address (one set of buckets for all webhook routes). */
  static final io.envoyproxy.envoy.config.route.v3.RateLimit WEBHOOK_ROUTE_LIMIT =
      io.envoyproxy.envoy.config.route.v3.RateLimit.newBuilder()
          .addActions(io.envoyproxy.envoy.config.route.v3.RateLimit.Action.newBuilder()
              .setRemoteAddress(io.envoyproxy.envoy.config.route.v3.RateLimit.Action.RemoteAddress.getDefaultInstance()))
          .build();

  static HttpFilter httpFilter(EdgeSettings.ClientLimit limit) {
    Map<String, Value> everyone = Map.of(
        // Requests without the descriptor (none on webhook routes) fall back to this bucket: never empty.
        "max_tokens", TypedStructs.number(1_000_000_000),
        "tokens_per_fill", TypedStructs.number(1_000_000_000),
        "fill_interval", TypedStructs.string("1s"));
    Map<String, Value> perClient = Map.of(
        "max_tokens", TypedStructs.number(limit.burst()),
        "tokens_per_fill", TypedStructs.number(limit.requestsPerSecond()),
        "fill_interval", TypedStructs.string("1s"));
    Value full = TypedStructs.struct(Map.of(
        "default_value", TypedStructs.struct(Map.of("numerator", TypedStructs.number(100), "denominator", TypedStructs.string("HUNDRED"))),
        "runtime_key", TypedStructs.string(STAT_PREFIX + ".enabled")));
    Value enforced = TypedStructs.struct(Map.of(
        "default_value", TypedStructs.struct(Map.of("numerator", TypedStructs.number(100), "denominator", TypedStructs.string("HUNDRED"))),
        "runtime_key", TypedStructs.string(STAT_PREFIX + ".enforced")));
    Map<String, Value> config = Map.of(
        "stat_prefix", TypedStructs.string(STAT_PREFIX),
        "token_bucket", TypedStructs.struct(everyone),
        "filter_enabled", full,
        "filter_enforced", enforced,
        // An entry without a value matches every address, each address gets its own bucket.
        "descriptors", TypedStructs.list(List.of(TypedStructs.struct(Map.of(
            "entries", TypedStructs.list(List.of(TypedStructs.struct(Map.of("key", TypedStructs.string("remote_address"))))),
            "token_bucket", TypedStructs.struct(perClient))))),
        "always_consume_default_token_bucket", TypedStructs.bool(false),
        "max_dynamic_descriptors", TypedStructs.number(limit.maxAddresses()),
        "response_headers_to_add", TypedStructs.list(List.of(TypedStructs.struct(Map.of(
            "header", TypedStructs.struct(Map.of("key", TypedStructs.string(LIMITED_HEADER), "value", TypedStructs.string("gateway"))),
            "append_action", TypedStructs.string("OVERWRITE_IF_EXISTS_OR_ADD"))))));
    return HttpFilter.newBuilder()
        .setName(NAME)
        .setTypedConfig(TypedStructs.pack("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
            TypedStructs.structOf(config)))
        .build();
  }
}
