package io.voyager.bdk.xds.translate;

import io.voyager.bdk.support.auth.JwtSettings;

/**
 * The one thing every library route (REST and gRPC) still needs Lua for on the request, first in
 * the filter chain, before {@code jwt_authn}: an {@code Authorization} header longer than
 * {@code "Bearer "} plus {@link JwtSettings#MAX_TOKEN_BYTES} is refused with 401 (JSON by
 * {@link LocalReplies}) before anything parses it — the same cap the library-service applies, so a
 * token one side accepts the other does too. Larger header blocks (over Envoy's 60 KiB default)
 * never get here: the HTTP codec answers 431.
 *
 * <p>Envoy has no native length check for one header: {@code jwt_authn}'s
 * {@code jwt_max_token_size} only bounds what it caches, and a header matcher's regex counting 8 KiB
 * compiles to a 65k-instruction RE2 program, far over Envoy's default limit of 100. So the check is
 * this short request function — it reads the {@code Authorization} values only (every copy a
 * client sends), nothing else. What the script used to do besides is native now: client-sent
 * {@code x-bdk-*} headers never reach a filter ({@link HeaderHygiene}), the gRPC-only response
 * headers are removed by {@link LibraryResponseHeaders}, and the created status is mapped only on
 * the create route ({@link StatusHeaderLua}).
 */
final class LibraryRequestLua {
  private LibraryRequestLua() {}

  static final int MAX_AUTHORIZATION_BYTES = JwtAuthnFilter.BEARER_PREFIX.length() + JwtSettings.MAX_TOKEN_BYTES;
  static final String TOO_LARGE = "Jwt is too large: at most " + JwtSettings.MAX_TOKEN_BYTES + " bytes are accepted";
  static final String TOO_LARGE_CHALLENGE = LocalReplies.INVALID_TOKEN_CHALLENGE;

  static final String REQUEST_FUNCTION =
      """
      function envoy_on_request(handle)
        local headers = handle:headers()
        for i = 0, headers:getNumValues("authorization") - 1 do
          if #headers:getAtIndex("authorization", i) > %1$d then
            handle:respond({[":status"] = "401", ["www-authenticate"] = '%2$s'}, "%3$s")
            return
          end
        end
      end
      """
          .formatted(MAX_AUTHORIZATION_BYTES, TOO_LARGE_CHALLENGE, TOO_LARGE);

  /** The script of the library routes that read (REST GET, PATCH, DELETE; every gRPC route). */
  static final String SOURCE = REQUEST_FUNCTION;

  /** The script of the REST create route: the size check, then the created status on the way back. */
  static final String CREATE_SOURCE = REQUEST_FUNCTION + "\n" + StatusHeaderLua.SOURCE;
}
