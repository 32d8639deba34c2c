package io.voyager.bdk.support.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWK;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Tokens {@link TokenVerifier} verified lately and the {@link Caller} each vouched for, so a client
 * that reuses its token (as clients do for the token's lifetime) costs one signature verification,
 * not one per call. Keyed by the token's SHA-256 (the token itself is not kept); bounded in entries;
 * an entry lives until the token's {@code exp} plus the clock skew or {@code maxAge}, whichever comes
 * first.
 *
 * <p>A hit is checked against the verifier's clock every time: a token past {@code exp} (plus skew)
 * or not yet at {@code nbf} (minus skew) is never served from here, it goes through the full
 * verification again, which refuses it with the reason. {@link TokenVerifier} also checks, on every
 * hit, that a key which verified the token is still in the JWKS (a key lookup, no signature), so a
 * rotation that removes a key refuses its tokens at once. Refused tokens are not kept.
 */
final class VerifiedTokens {
  /** Default bound on entries: one per active client token; about 200 B each. */
  static final int DEFAULT_MAX_ENTRIES = 10_000;
  /** Default longest time a verified token is trusted without verifying it again. */
  static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(60);

  /**
   * What a verified token vouched for, the window it is valid in (skew included), its header and the
   * JWKS keys its header selected when it was verified (a hit is good only while one of them still is).
   */
  record Entry(Caller caller, Instant validFrom, Instant validUntil, JWSHeader header, List<JWK> keys) {}

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  });

  private final Cache<String, Entry> cache;
  private final Clock clock;
  private final Duration maxAge;

  VerifiedTokens(int maxEntries, Duration maxAge, Clock clock) {
    if (maxEntries < 1 || maxAge.isNegative() || maxAge.isZero()) {
      throw new IllegalArgumentException("verified-token cache: maxEntries >= 1 and a positive maxAge, got "
          + maxEntries + ", " + maxAge);
    }
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxAge = maxAge;
    this.cache = Caffeine.newBuilder()
        .maximumSize(maxEntries)
        .expireAfter(Expiry.<String, Entry>creating((key, entry) -> {
          Duration untilExpiry = Duration.between(clock.instant(), entry.validUntil());
          return untilExpiry.isNegative() ? Duration.ZERO : untilExpiry;
        }))
        .build();
  }

  /** A token verified lately and valid now; null when it must be verified (again). */
  Entry lookup(String token) {
    String key = key(token);
    Entry entry = cache.getIfPresent(key);
    if (entry == null) {
      return null;
    }
    Instant now = clock.instant();
    if (now.isAfter(entry.validUntil()) || now.isBefore(entry.validFrom())) {
      cache.invalidate(key);
      return null;
    }
    return entry;
  }

  /** Forgets a token (its key left the JWKS, or the JWKS cannot be read). */
  void forget(String token) {
    cache.invalidate(key(token));
  }

  /**
   * Remembers a token that has just been verified: valid from {@code validFrom} until
   * {@code validUntil} (its nbf and exp, skew included), and for no longer than the max age from now.
   */
  void remember(String token, Caller caller, Instant validFrom, Instant validUntil, JWSHeader header, List<JWK> keys) {
    Instant latest = clock.instant().plus(maxAge);
    cache.put(key(token), new Entry(caller, validFrom, validUntil.isBefore(latest) ? validUntil : latest, header,
        List.copyOf(keys)));
  }

  long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  private static String key(String token) {
    MessageDigest sha256 = SHA256.get();
    return Base64.getEncoder().encodeToString(sha256.digest(token.getBytes(StandardCharsets.UTF_8)));
  }
}
