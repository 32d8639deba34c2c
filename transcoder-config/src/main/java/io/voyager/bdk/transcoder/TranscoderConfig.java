package io.voyager.bdk.transcoder;

import com.google.protobuf.ByteString;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder.PrintOptions;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder.RequestValidationOptions;
import java.util.Set;

/**
 * Builds Envoy's {@code envoy.filters.http.grpc_json_transcoder} config for a descriptor set.
 *
 * <p>Choices, each for a REST client's sake:
 * <ul>
 *   <li>JSON uses the proto field names (snake_case: {@code book_id}), prints fields that hold
 *       their default value ({@code 0}, {@code false}, {@code ""}) so responses have a stable shape,
 *       and prints enums by name.
 *   <li>{@code convert_grpc_status}: a gRPC error becomes its HTTP status with the
 *       {@code google.rpc.Status} JSON as body (the descriptor set carries google/rpc types).
 *   <li>{@code reject_unknown_method} and {@code reject_unknown_query_parameters}: a path/verb or
 *       query parameter the API does not declare is answered by Envoy (404/400) and never reaches
 *       the gRPC upstream (which would answer 415/503 otherwise).
 *   <li>Percent-escapes in path variables are decoded ({@code ALL_CHARACTERS_EXCEPT_SLASH});
 *       {@code +} in query values means space.
 *   <li>Request and response bodies are bounded.
 *   <li>{@code match_incoming_request_route}: the transcoded request keeps the route its REST path
 *       matched (that route's upstream, timeout and per-route filter configs, which then also see
 *       the response) instead of Envoy matching the whole route table again for the gRPC path.
 * </ul>
 */
public final class TranscoderConfig {
  private TranscoderConfig() {}

  /** Envoy's name and type URL for the filter. */
  public static final String FILTER_NAME = "envoy.filters.http.grpc_json_transcoder";

  /** Config for the Book Library API from its descriptor set on the classpath. */
  public static GrpcJsonTranscoder bookLibrary(TranscoderSettings settings) {
    return build(DescriptorSets.load(DescriptorSets.BOOK_LIBRARY_RESOURCE), settings);
  }

  /**
   * Config for {@code descriptorSet}; fails naming the service when a configured service is not
   * declared in the set (Envoy would reject the whole listener otherwise).
   */
  public static GrpcJsonTranscoder build(ByteString descriptorSet, TranscoderSettings settings) {
    Set<String> declared = DescriptorSets.serviceNames(descriptorSet);
    for (String service : settings.services()) {
      if (!declared.contains(service)) {
        throw new IllegalArgumentException(
            "services: '" + service + "' is not declared in the descriptor set (declared: " + declared + ")");
      }
    }
    return GrpcJsonTranscoder.newBuilder()
        .setProtoDescriptorBin(descriptorSet)
        .addAllServices(settings.services())
        .setPrintOptions(
            PrintOptions.newBuilder()
                .setAddWhitespace(false)
                .setAlwaysPrintPrimitiveFields(true)
                .setAlwaysPrintEnumsAsInts(false)
                .setPreserveProtoFieldNames(true))
        .setConvertGrpcStatus(true)
        .setMatchIncomingRequestRoute(true)
        .setRequestValidationOptions(
            RequestValidationOptions.newBuilder()
                .setRejectUnknownMethod(true)
                .setRejectUnknownQueryParameters(true))
        .setUrlUnescapeSpec(GrpcJsonTranscoder.UrlUnescapeSpec.ALL_CHARACTERS_EXCEPT_SLASH)
        .setQueryParamUnescapePlus(true)
        .setMaxRequestBodySize(UInt32Value.of(settings.maxRequestBodyBytes()))
        .setMaxResponseBodySize(UInt32Value.of(settings.maxResponseBodyBytes()))
        .build();
  }
}
