package io.voyager.bdk.xds.translate;

import io.voyager.bdk.model.TranscodingHeaders;

/**
 * Lua run on the library's REST create responses (POST, the only REST method that creates; after
 * the transcoder, so the transcoder still reads the gRPC status): a successful (200) response whose
 * gRPC initial metadata carried {@link TranscodingHeaders#HTTP_STATUS} with a 2xx code gets that
 * code as {@code :status}. That header and the gRPC-only headers are then removed natively
 * ({@link LibraryResponseHeaders}), so they never reach a REST client.
 *
 * <p>Why Lua: no native Envoy filter sets an upstream response's {@code :status}. The
 * {@code header_mutation} filter and route-level header options refuse {@code :}-prefixed headers
 * ("{@code :-prefixed or host headers may not be modified}", Envoy 1.36.4 and 1.40.0),
 * {@code local_reply_config} rewrites only Envoy's own replies, and {@code custom_response}'s local
 * policy (a work-in-progress API) answers with its own body — tried: 201 with an empty body, the
 * created resource lost. So only the create route runs it; reads never do.
 *
 * <p>The transcoder keeps the REST route for the transcoded request
 * ({@code match_incoming_request_route}), so this script and the route's other per-route configs
 * apply to the response of the request they were chosen for; a gRPC client's response (on a gRPC
 * route) never meets it.
 */
final class StatusHeaderLua {
  private StatusHeaderLua() {}

  static final String SOURCE =
      """
      function envoy_on_response(handle)
        local headers = handle:headers()
        local wanted = headers:get("%1$s")
        if wanted ~= nil and headers:get(":status") == "200" and string.match(wanted, "^2%%d%%d$") ~= nil then
          headers:replace(":status", wanted)
        end
      end
      """
          .formatted(TranscodingHeaders.HTTP_STATUS);
}
