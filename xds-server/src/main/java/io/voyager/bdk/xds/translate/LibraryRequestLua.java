package io.voyager.bdk.xds.translate;

import io.voyager.bdk.support.auth.JwtSettings;

/**
 * The Lua of every library route (REST and gRPC), first in the filter chain, before
 * {@code jwt_authn}. On the request:
 * <ul>
 *   <li>removes every header whose name starts with {@value #RESERVED_PREFIX}, whatever the client
 *       sent: that prefix is the platform's own (e.g. the status the library asks for), and no
 *       client-sent copy of a claim or identity header may ever reach the library-service;
 *   <li>refuses an {@code Authorization} header longer than {@code "Bearer "} plus
 *       {@link JwtSettings#MAX_TOKEN_BYTES} with 401 (JSON by {@link LocalReplies}) before anything
 *       parses it — the same cap the library-service applies, so a token one side accepts the
 *       other does too. Larger header blocks (over Envoy's 60 KiB default) never get here: the
 *       HTTP codec answers 431;
 *   <li>marks a request that is not gRPC (its content-type does not start with
 *       {@code application/grpc}, the rule {@link LocalReplies} uses too) as REST, so that
 *       {@link StatusHeaderLua}'s response function maps its status and a gRPC client's response is
 *       left as gRPC sent it.
 * </ul>
 * One script for both kinds of library route ({@link #SOURCE}): after the transcoder rewrites a
 * REST request's path, Envoy resolves it to the gRPC route, whose script then handles the response.
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
        local content_type = headers:get("content-type")
        if content_type == nil or string.sub(content_type, 1, 16) ~= "application/grpc" then
          handle:streamInfo():dynamicMetadata():set("%6$s", "%7$s", true)
        end
        if too_large then
          handle:respond({[":status"] = "401", ["www-authenticate"] = '%4$s'}, "%5$s")
        end
      end
      """
          .formatted(RESERVED_PREFIX.length(), RESERVED_PREFIX, MAX_AUTHORIZATION_BYTES, TOO_LARGE_CHALLENGE, TOO_LARGE,
              StatusHeaderLua.REST_MARK_NAMESPACE, StatusHeaderLua.REST_MARK);

  /** Every library route's script: the request function, then the REST status mapping. */
  static final String SOURCE = REQUEST_FUNCTION + "\n" + StatusHeaderLua.SOURCE;
}
