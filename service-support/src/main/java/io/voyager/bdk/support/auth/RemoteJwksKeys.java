package io.voyager.bdk.support.auth;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import java.io.Closeable;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OIDC provider's JWKS, fetched over HTTP(S) by nimbus-jose-jwt's JWK source: cached for the
 * settings' cache duration, fetched again when a token names a key id the cache lacks (a rotation),
 * at most once per rate-limit interval so forged key ids cannot hammer the provider, one retry on a
 * network error. A JWKS that cannot be fetched (and nothing cached) throws: fail closed.
 */
final class RemoteJwksKeys implements VerificationKeys {
  private static final Logger log = LoggerFactory.getLogger(RemoteJwksKeys.class);

  static final int CONNECT_TIMEOUT_MS = 2_000;
  static final int READ_TIMEOUT_MS = 2_000;
  static final int SIZE_LIMIT_BYTES = 256 * 1024;
  static final long REFRESH_TIMEOUT_MS = 5_000;
  static final long RATE_LIMIT_MS = 30_000;

  private final JwtSettings.RemoteJwks settings;
  private final JWKSource<SecurityContext> source;

  RemoteJwksKeys(JwtSettings.RemoteJwks settings) {
    this.settings = settings;
    URL url;
    try {
      url = settings.uri().toURL();
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("jwks-uri: not a URL: " + settings.uri(), e);
    }
    long ttl = settings.cacheDuration().toMillis();
    // nimbus requires refresh timeout < TTL and the rate limit below it
    long refreshTimeout = Math.min(REFRESH_TIMEOUT_MS, Math.max(1, ttl / 2));
    long rateLimit = Math.min(RATE_LIMIT_MS, Math.max(1, (ttl - refreshTimeout) / 2));
    this.source = JWKSourceBuilder
        .<SecurityContext>create(url, new DefaultResourceRetriever(CONNECT_TIMEOUT_MS, READ_TIMEOUT_MS, SIZE_LIMIT_BYTES))
        .cache(ttl, refreshTimeout)
        .refreshAheadCache(false)
        .rateLimited(rateLimit)
        .retrying(true)
        .build();
  }

  @Override
  public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
    try {
      return source.get(selector, context);
    } catch (RateLimitReachedException e) {
      // The cached JWKS has no such key and a refetch was made moments ago: no key matches (an
      // unknown kid is the token's problem, and cannot be used to hammer the provider).
      return List.of();
    } catch (KeySourceException e) {
      log.warn("event=jwks_unavailable source=\"{}\" error=\"{}\"", describe(), e.getMessage());
      throw new KeySourceException("cannot fetch the JWKS from " + settings.uri() + " (" + e.getMessage() + ")", e);
    }
  }

  @Override
  public String describe() {
    return "JWKS " + settings.uri();
  }

  @Override
  public void close() {
    if (source instanceof Closeable c) {
      try {
        c.close();
      } catch (IOException e) {
        log.warn("event=jwks_close_failed error=\"{}\"", e.toString());
      }
    }
  }
}
