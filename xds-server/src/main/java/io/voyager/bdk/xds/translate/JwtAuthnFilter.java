package io.voyager.bdk.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwksAsyncFetch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtCacheConfig;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RemoteJwks;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.xds.ir.AuthIr;

/**
 * Envoy's {@code jwt_authn} filter as the library routes use it. One provider from the settings:
 * the token only from {@code Authorization: Bearer …} (never a query parameter), issuer, audiences,
 * {@code exp} required, clock skew; the header is forwarded as it came ({@code forward: true}) so
 * the library-service verifies the very same signed token — no claim is copied into a header the
 * library would have to trust. The filter is off by default; a route turns it on with
 * {@link #PER_ROUTE} (requirement {@value #REQUIREMENT}), so webhook routes and the JSON 404 never
 * ask for a token.
 *
 * <p>Keys: inlined ({@code local_jwks}) when read from a Kubernetes object; fetched by Envoy
 * ({@code remote_jwks}, asynchronously so the listener never waits for the provider, cached,
 * refetched after a failure) from a JWKS URI; {@link NoKeyJwks} while no usable key exists.
 * Refusals write the verification status to dynamic metadata under {@value #FAILURE_METADATA},
 * which {@link LocalReplies} uses to answer every refusal 401 with a JSON {@code google.rpc.Status}.
 * Verified tokens are cached per worker (at most {@value #CACHE_SIZE}, each up to
 * {@link JwtSettings#MAX_TOKEN_BYTES}); a cached token's {@code exp} and {@code nbf} are still
 * checked on every use.
 */
final class JwtAuthnFilter {
  private JwtAuthnFilter() {}

  static final String NAME = "envoy.filters.http.jwt_authn";
  static final String PROVIDER = "bdk";
  static final String REQUIREMENT = "bdk-library";
  /** Dynamic-metadata key (namespace {@value #NAME}) of a refused token's status. */
  static final String FAILURE_METADATA = "bdk_jwt_failure";
  static final int CACHE_SIZE = 1000;
  static final String AUTHORIZATION = "authorization";
  static final String BEARER_PREFIX = "Bearer ";
  /** How long a remote JWKS fetch may take before it fails (and refuses the requests waiting on it). */
  static final Duration FETCH_TIMEOUT = Duration.newBuilder().setSeconds(5).build();
  /** After a failed fetch, how soon Envoy tries again. */
  static final Duration REFETCH_AFTER_FAILURE = Duration.newBuilder().setSeconds(5).build();

  /** The per-route config that turns the filter on with the library requirement. */
  static final Any PER_ROUTE = Anys.pack(PerRouteConfig.newBuilder().setRequirementName(REQUIREMENT).build());

  static HttpFilter httpFilter(AuthIr auth) {
    return HttpFilter.newBuilder().setName(NAME).setDisabled(true).setTypedConfig(Anys.pack(config(auth))).build();
  }

  static JwtAuthentication config(AuthIr auth) {
    JwtProvider.Builder provider = JwtProvider.newBuilder()
        .setIssuer(auth.issuer())
        .addAllAudiences(auth.audiences())
        .setRequireExpiration(true)
        .setClockSkewSeconds((int) auth.clockSkewSeconds())
        .setForward(true)
        .addFromHeaders(JwtHeader.newBuilder().setName(AUTHORIZATION).setValuePrefix(BEARER_PREFIX))
        .setFailedStatusInMetadata(FAILURE_METADATA)
        .setJwtCacheConfig(JwtCacheConfig.newBuilder()
            .setJwtCacheSize(CACHE_SIZE)
            .setJwtMaxTokenSize(JwtSettings.MAX_TOKEN_BYTES));
    if (auth.jwks() instanceof AuthIr.Inline inline) {
      provider.setLocalJwks(DataSource.newBuilder().setInlineString(inline.json()));
    } else if (auth.jwks() instanceof AuthIr.Remote remote) {
      provider.setRemoteJwks(RemoteJwks.newBuilder()
          .setHttpUri(HttpUri.newBuilder()
              .setUri(remote.uri())
              .setCluster(remote.cluster().name())
              .setTimeout(FETCH_TIMEOUT))
          .setCacheDuration(Duration.newBuilder().setSeconds(Math.max(1, remote.cacheDuration().toSeconds())))
          .setAsyncFetch(JwksAsyncFetch.newBuilder()
              .setFastListener(true)
              .setFailedRefetchDuration(REFETCH_AFTER_FAILURE)));
    } else {
      provider.setLocalJwks(DataSource.newBuilder().setInlineString(NoKeyJwks.JSON));
    }
    return JwtAuthentication.newBuilder()
        .putProviders(PROVIDER, provider.build())
        .putRequirementMap(REQUIREMENT, JwtRequirement.newBuilder().setProviderName(PROVIDER).build())
        .build();
  }
}
