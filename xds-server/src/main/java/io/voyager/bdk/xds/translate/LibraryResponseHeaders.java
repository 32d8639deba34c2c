package io.voyager.bdk.xds.translate;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.common.mutation_rules.v3.HeaderMutation;
import io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.Mutations;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.voyager.bdk.model.TranscodingHeaders;
import java.util.List;
import java.util.stream.Stream;

/**
 * Envoy's native {@code header_mutation} filter as the library REST routes use it: on the way back,
 * after the transcoder (and after {@link StatusHeaderLua} on the create route), it removes the
 * headers that mean something to gRPC only ({@link #GRPC_ONLY_HEADERS}) and the library's
 * {@link TranscodingHeaders#HTTP_STATUS}, so a REST client never sees them. The filter is off by
 * default; the REST routes switch it on with {@link #PER_ROUTE}. gRPC routes leave a gRPC
 * response exactly as the library sent it.
 */
final class LibraryResponseHeaders {
  private LibraryResponseHeaders() {}

  static final String FILTER_NAME = "envoy.filters.http.header_mutation";

  /** Headers that mean something to gRPC only; a REST client never sees them. */
  static final List<String> GRPC_ONLY_HEADERS =
      List.of("grpc-status", "grpc-message", "grpc-status-details-bin", "grpc-encoding", "grpc-accept-encoding");

  /** Every header removed from a library REST response. */
  static final List<String> REMOVED = Stream
      .concat(GRPC_ONLY_HEADERS.stream(), Stream.of(TranscodingHeaders.HTTP_STATUS))
      .toList();

  static final Any PER_ROUTE = Anys.pack(HeaderMutationPerRoute.newBuilder()
      .setMutations(Mutations.newBuilder()
          .addAllResponseMutations(REMOVED.stream().map(name -> HeaderMutation.newBuilder().setRemove(name).build()).toList()))
      .build());

  static HttpFilter httpFilter() {
    return HttpFilter.newBuilder()
        .setName(FILTER_NAME)
        .setDisabled(true)
        .setTypedConfig(Anys.pack(io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutation.getDefaultInstance()))
        .build();
  }
}
