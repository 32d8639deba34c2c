package io.voyager.bdk.extauthz.ratelimit;

import io.voyager.bdk.extauthz.scheme.Header;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The outcome of taking one token: allowed or not, tokens left, seconds until a token is back
 * ({@code retryAfterSeconds}) and until the bucket is full again ({@code resetSeconds}), and where
 * a granted token came from ({@code source}), so that {@link RateLimits#refund} puts it back there.
 */
public record RateLimitDecision(boolean allowed, RateLimitPolicy policy, int remaining, long retryAfterSeconds, long resetSeconds,
    Source source) {

  /** Where a granted token was taken from (a refused take took nothing: {@link #BUCKET}). */
  public enum Source {
    /** The endpoint's bucket: this replica's memory, or the shared key by a compare-and-set. */
    BUCKET,
    /** This replica's lease of tokens taken from the shared key earlier ({@link JetStreamRateLimiter}). */
    LEASE
  }

  /** The policy name used in the structured-field headers. */
  public static final String POLICY_NAME = "webhook";

  /**
   * IETF draft-ietf-httpapi-ratelimit-headers (structured fields):
   * {@code RateLimit-Policy: "webhook";q=<burst>;w=<seconds to fill>} and
   * {@code RateLimit: "webhook";r=<remaining>;t=<seconds until full>}, plus {@code Retry-After}
   * when refused.
   */
  public List<Header> headers() {
    long window = (long) Math.ceil(policy.windowSeconds());
    boolean packable = policy.burst() >= 0 && window >= 0 && window <= Integer.MAX_VALUE;
    long policyKey = ((long) policy.burst() << 32) | window;
    Header policyHeader = packable ? POLICY_HEADERS.get(policyKey) : null;
    if (policyHeader == null) {
      policyHeader = remember(POLICY_HEADERS, packable, policyKey,
          new Header("RateLimit-Policy", "\"" + POLICY_NAME + "\";q=" + policy.burst() + ";w=" + window));
    }
    boolean ratePackable = remaining >= 0 && resetSeconds >= 0 && resetSeconds <= Integer.MAX_VALUE;
    long rateKey = ((long) remaining << 32) | resetSeconds;
    Header rateHeader = ratePackable ? RATE_HEADERS.get(rateKey) : null;
    if (rateHeader == null) {
      rateHeader = remember(RATE_HEADERS, ratePackable, rateKey,
          new Header("RateLimit", "\"" + POLICY_NAME + "\";r=" + remaining + ";t=" + resetSeconds));
    }
    if (allowed) {
      return List.of(policyHeader, rateHeader);
    }
    return List.of(policyHeader, rateHeader, new Header("Retry-After", Long.toString(retryAfterSeconds)));
  }

  /**
   * The header values repeat (a policy's burst and window; tokens left and seconds until full are
   * small numbers): each is built once and shared (Header is immutable), up to
   * {@link #MAX_CACHED_HEADERS} per kind, beyond which new values are built per check as before.
   */
  static final int MAX_CACHED_HEADERS = 4096;
  private static final ConcurrentHashMap<Long, Header> POLICY_HEADERS = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<Long, Header> RATE_HEADERS = new ConcurrentHashMap<>();

  private static Header remember(ConcurrentHashMap<Long, Header> cache, boolean packable, long key, Header header) {
    if (packable && cache.size() < MAX_CACHED_HEADERS) {
      cache.putIfAbsent(key, header);
    }
    return header;
  }
}
