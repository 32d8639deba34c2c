package io.voyager.bdk.xds.translate;

import io.voyager.bdk.model.TranscodingHeaders;
import java.util.List;

/**
 * Lua run on library REST responses (after the transcoder, so the transcoder still reads the gRPC
 * status): a successful (200) response whose gRPC initial metadata carried
 * {@link TranscodingHeaders#HTTP_STATUS} with a 2xx code gets that code as {@code :status}; that
 * header and the gRPC-only headers ({@link #GRPC_ONLY_HEADERS}) are removed so they never reach a
 * REST client.
 *
 * <p>Only for requests {@link LibraryRequestLua} marked as REST ({@link #REST_MARK} in the stream's
 * dynamic metadata): the transcoder rewrites a REST request's path to the gRPC method's, so by the
 * time the response passes, Envoy has re-resolved the request to the gRPC route and runs that
 * route's script — the same script, which must leave a genuine gRPC response exactly as it is.
 */
final class StatusHeaderLua {
  private StatusHeaderLua() {}

  /** Headers that mean something to gRPC only; a REST client never sees them. */
  static final List<String> GRPC_ONLY_HEADERS =
      List.of("grpc-status", "grpc-message", "grpc-status-details-bin", "grpc-encoding", "grpc-accept-encoding");

  /** Dynamic-metadata namespace and key the request function sets on a REST (not gRPC) request. */
  static final String REST_MARK_NAMESPACE = "io.voyager.bdk.lua";
  static final String REST_MARK = "rest";

  static final String SOURCE =
      """
      function envoy_on_response(handle)
        local mark = handle:streamInfo():dynamicMetadata():get("%3$s")
        if mark == nil or mark["%4$s"] ~= true then
          return
        end
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
              String.join(", ", GRPC_ONLY_HEADERS.stream().map(h -> "\"" + h + "\"").toList()),
              REST_MARK_NAMESPACE,
              REST_MARK);
}
