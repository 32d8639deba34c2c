package io.voyager.bdk.xds.translate;

import io.voyager.bdk.model.TranscodingHeaders;
import java.util.List;

/**
 * Lua run on library REST responses (after the transcoder, so the transcoder still reads the gRPC
 * status): a successful (200) response whose gRPC initial metadata carried
 * {@link TranscodingHeaders#HTTP_STATUS} with a 2xx code gets that code as {@code :status}; that
 * header and the gRPC-only headers ({@link #GRPC_ONLY_HEADERS}) are removed so they never reach a
 * REST client.
 */
final class StatusHeaderLua {
  private StatusHeaderLua() {}

  /** Headers that mean something to gRPC only; a REST client never sees them. */
  static final List<String> GRPC_ONLY_HEADERS =
      List.of("grpc-status", "grpc-message", "grpc-status-details-bin", "grpc-encoding", "grpc-accept-encoding");

  static final String SOURCE =
      """
      function envoy_on_response(handle)
        local headers = handle:headers()
        local wanted = headers:get("%1$s")
        for _, name in ipairs({%2$s}) do
          headers:remove(name)
        end
        if wanted == nil then
          return
        end
        headers:remove("%1$s")
        if headers:get(":status") == "200" and string.match(wanted, "^2%%d%%d$") ~= nil then
          headers:replace(":status", wanted)
        end
      end
      """
          .formatted(
              TranscodingHeaders.HTTP_STATUS,
              String.join(", ", GRPC_ONLY_HEADERS.stream().map(h -> "\"" + h + "\"").toList()));
}
