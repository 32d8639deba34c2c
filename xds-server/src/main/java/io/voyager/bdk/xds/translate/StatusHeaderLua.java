package io.voyager.bdk.xds.translate;

import io.voyager.bdk.model.TranscodingHeaders;

/**
 * Lua run on library responses (after the transcoder): a successful (200) response whose gRPC
 * initial metadata carried {@link TranscodingHeaders#HTTP_STATUS} with a 2xx code gets that code as
 * {@code :status}; the header is always removed so it never reaches a client.
 */
final class StatusHeaderLua {
  private StatusHeaderLua() {}

  static final String SOURCE =
      """
      function envoy_on_response(handle)
        local headers = handle:headers()
        local wanted = headers:get("%1$s")
        if wanted == nil then
          return
        end
        headers:remove("%1$s")
        if headers:get(":status") == "200" and string.match(wanted, "^2%%d%%d$") ~= nil then
          headers:replace(":status", wanted)
        end
      end
      """
          .formatted(TranscodingHeaders.HTTP_STATUS);
}
