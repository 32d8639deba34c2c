package io.voyager.bdk.xds.translate;

import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import java.util.List;
import java.util.Map;

/**
 * The earliest rule of both public listeners: every request header a client sends whose name
 * starts with {@code x-bdk-} or {@code x-envoy-} is removed by the connection manager's early
 * header mutation, before route selection and before any HTTP filter runs. So nothing a client
 * sends can pose as what the gateway itself adds ({@code x-bdk-webhook-id}, {@code x-bdk-instance},
 * …) or steer Envoy ({@code x-envoy-retry-on}, {@code x-envoy-max-retries},
 * {@code x-envoy-upstream-rq-timeout-ms}, …), whatever Envoy considers an "internal" client:
 * with {@code use_remote_address} Envoy itself drops x-envoy-* only from external clients, and by
 * default RFC 1918 and loopback peers count as internal — in a cluster, every client behind a load
 * balancer that does not keep the source address. Pure.
 */
final class HeaderHygiene {
  private HeaderHygiene() {}

  static final String EXTENSION = "envoy.http.early_header_mutation.header_mutation";
  static final List<String> STRIPPED_PREFIXES = List.of("x-bdk-", "x-envoy-");

  static TypedExtensionConfig earlyHeaderMutation() {
    List<com.google.protobuf.Value> mutations = STRIPPED_PREFIXES.stream()
        .map(prefix -> TypedStructs.struct(Map.of("remove_on_match", TypedStructs.struct(Map.of(
            "key_matcher", TypedStructs.struct(Map.of("prefix", TypedStructs.string(prefix))))))))
        .toList();
    return TypedExtensionConfig.newBuilder()
        .setName(EXTENSION)
        .setTypedConfig(TypedStructs.pack(
            "envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation",
            TypedStructs.structOf(Map.of("mutations", TypedStructs.list(mutations)))))
        .build();
  }
}
