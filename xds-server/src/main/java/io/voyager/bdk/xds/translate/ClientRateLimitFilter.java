package io.voyager.bdk.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.voyager.bdk.xds.model.EdgeSettings;
import java.util.List;
import java.util.Map;

/**
 * The pre-authentication limit of webhook routes: Envoy's local rate limit with one token bucket
 * per client address (the address Envoy trusts after {@code use_remote_address} and the trusted
 * hops), shared by every webhook route, {@code maxAddresses} buckets at most (least recently used
 * evicted). It runs before ext_authz, so a flood of forged webhooks from one address is answered
 * 429 by Envoy itself without an HMAC, a Secret read or a Check call. Off by default in the filter
 * chain; webhook routes switch it on ({@link #ENABLE}). Pure.
 */
final class ClientRateLimitFilter {
  private ClientRateLimitFilter() {}

  static final String NAME = "envoy.filters.http.local_ratelimit";
  static final String STAT_PREFIX = "webhook_client_limit";
  /** On Envoy's 429 (its JSON body comes from {@link LocalReplies}). */
  static final String LIMITED_HEADER = "x-bdk-limited-by";

  /** Per-route switch: on with the listener's config (one set of buckets for all webhook routes). */
  static final Any ENABLE = Anys.pack(FilterConfig.newBuilder().setDisabled(false).build());

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
        "rate_limits", TypedStructs.list(List.of(TypedStructs.struct(Map.of(
            "actions", TypedStructs.list(List.of(TypedStructs.struct(Map.of(
                "remote_address", TypedStructs.struct(Map.of()))))))))),
        "always_consume_default_token_bucket", TypedStructs.bool(false),
        "max_dynamic_descriptors", TypedStructs.number(limit.maxAddresses()),
        "response_headers_to_add", TypedStructs.list(List.of(TypedStructs.struct(Map.of(
            "header", TypedStructs.struct(Map.of("key", TypedStructs.string(LIMITED_HEADER), "value", TypedStructs.string("gateway"))),
            "append_action", TypedStructs.string("OVERWRITE_IF_EXISTS_OR_ADD"))))));
    return HttpFilter.newBuilder()
        .setName(NAME)
        .setDisabled(true)
        .setTypedConfig(TypedStructs.pack("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
            TypedStructs.structOf(config)))
        .build();
  }
}
