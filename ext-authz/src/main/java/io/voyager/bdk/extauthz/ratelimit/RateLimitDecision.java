package io.voyager.bdk.extauthz.ratelimit;

import io.voyager.bdk.extauthz.scheme.Header;
import java.util.ArrayList;
import java.util.List;

/**
 * The outcome of taking one token: allowed or not, tokens left, seconds until a token is back
 * ({@code retryAfterSeconds}) and until the bucket is full again ({@code resetSeconds}).
 */
public record RateLimitDecision(boolean allowed, RateLimitPolicy policy, int remaining, long retryAfterSeconds, long resetSeconds) {

  /** The policy name used in the structured-field headers. */
  public static final String POLICY_NAME = "webhook";

  /**
   * IETF draft-ietf-httpapi-ratelimit-headers (structured fields):
   * {@code RateLimit-Policy: "webhook";q=<burst>;w=<seconds to fill>} and
   * {@code RateLimit: "webhook";r=<remaining>;t=<seconds until full>}, plus {@code Retry-After}
   * when refused.
   */
  public List<Header> headers() {
    List<Header> headers = new ArrayList<>(3);
    headers.add(new Header("RateLimit-Policy", "\"" + POLICY_NAME + "\";q=" + policy.burst() + ";w=" + (long) Math.ceil(policy.windowSeconds())));
    headers.add(new Header("RateLimit", "\"" + POLICY_NAME + "\";r=" + remaining + ";t=" + resetSeconds));
    if (!allowed) {
      headers.add(new Header("Retry-After", Long.toString(retryAfterSeconds)));
    }
    return headers;
  }
}
