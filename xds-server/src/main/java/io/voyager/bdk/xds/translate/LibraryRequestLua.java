package io.voyager.bdk.xds.translate;

import io.voyager.bdk.support.auth.JwtSettings;

/**
 * Lua run on every library request (REST and gRPC), first in the filter chain, before
 * {@code jwt_authn}:
 * <ul>
 *   <li>removes every header whose name starts with {@value #RESERVED_PREFIX}, whatever the client
 *       sent: that prefix is the platform's own (e.g. the status the library asks for), and no
 *       client-sent copy of a claim or identity header may ever reach the library-service;
 *   <li>refuses an {@code Authorization} header longer than {@code "Bearer "} plus
 *       {@link JwtSettings#MAX_TOKEN_BYTES} with 401 (JSON by {@link LocalReplies}) before anything
 *       parses it — the same cap the library-service applies, so a token one side accepts the
 *       other does too. Larger header blocks (over Envoy's 60 KiB default) never get here: the
 *       HTTP codec answers 431.
 * </ul>
 * REST routes run {@link #REST} (this plus {@link StatusHeaderLua}'s response function); gRPC
 * routes {@link #GRPC} (no response rewriting: a gRPC client must see the status gRPC sent).
 */
final class LibraryRequestLua {
  private LibraryRequestLua() {}

  static final String RESERVED_PREFIX = "x-bdk-";
  static final int MAX_AUTHORIZATION_BYTES = JwtAuthnFilter.BEARER_PREFIX.length() + JwtSettings.MAX_TOKEN_BYTES;
  static final String TOO_LARGE = "Jwt is too large: at most " + JwtSettings.MAX_TOKEN_BYTES + " bytes are accepted";
  static final String TOO_LARGE_CHALLENGE = LocalReplies.INVALID_TOKEN_CHALLENGE;

  static final String REQUEST_FUNCTION =
      """
      function envoy_on_request(handle)
        local headers = handle:headers()
        local reserved = {}
        local too_large = false
        for name, value in pairs(headers) do
          if string.sub(name, 1, %1$d) == "%2$s" then
            reserved[#reserved + 1] = name
          elseif name == "authorization" and #value > %3$d then
            too_large = true
          end
        end
        for _, name in ipairs(reserved) do
          headers:remove(name)
        end
        if too_large then
          handle:respond({[":status"] = "401", ["www-authenticate"] = '%4$s'}, "%5$s")
        end
      end
      """
          .formatted(RESERVED_PREFIX.length(), RESERVED_PREFIX, MAX_AUTHORIZATION_BYTES, TOO_LARGE_CHALLENGE, TOO_LARGE);

  /** Library REST routes: request hygiene and size cap, then the response status mapping. */
  static final String REST = REQUEST_FUNCTION + "\n" + StatusHeaderLua.SOURCE;

  /** Library gRPC routes: request hygiene and size cap only. */
  static final String GRPC = REQUEST_FUNCTION;
}
