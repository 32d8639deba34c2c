package io.voyager.bdk.support.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link TokenVerifier}'s cache of verified tokens ({@link VerifiedTokens}): a reused token costs
 * one signature check, and the cache never accepts what the full verification would refuse: because
 * of time (exp, nbf), a key that left the JWKS, or a JWKS that cannot be had (fails closed).
 */
class VerifiedTokensTest {
  private final Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  private final MovingClock clock = new MovingClock(start);
  private final AtomicReference<JWKSet> jwks = new AtomicReference<>(TokenVerifierTest.ISSUER.publicJwks());
  private final AtomicBoolean jwksUnavailable = new AtomicBoolean();
  private final JWKSource<SecurityContext> keys = (JWKSelector selector, SecurityContext context) -> {
    if (jwksUnavailable.get()) {
      throw new KeySourceException("JWKS endpoint down (test)");
    }
    List<JWK> selected = selector.select(jwks.get());
    return selected;
  };
  private final TokenVerifier verifier =
      new TokenVerifier(TestIssuer.settings(), keys, clock, 100, Duration.ofSeconds(60));

  @Test
  void aReusedTokenIsVerifiedOnceAndMakesTheSameCaller() throws Exception {
    String token = TokenVerifierTest.ISSUER.token("alice").organization("acme").roles("org-admin").expires(start.plusSeconds(3600)).sign();
    Caller first = verifier.verify(token);
    for (int i = 0; i < 5; i++) {
      assertThat(verifier.verify(token)).isEqualTo(first);
    }
    assertThat(verifier.signatureChecks()).isEqualTo(1);
    assertThat(verifier.cachedTokens()).isEqualTo(1);
  }

  @Test
  void aCachedTokenIsRefusedOnceItExpiresWithTheSameReason() throws Exception {
    Instant exp = start.plusSeconds(30);
    String token = TokenVerifierTest.ISSUER.token("alice").expires(exp).sign();
    assertThat(verifier.verify(token).subject()).isEqualTo("alice");
    clock.set(exp.plus(TestIssuer.settings().clockSkew())); // the last accepted instant
    assertThat(verifier.verify(token).subject()).isEqualTo("alice");
    clock.set(exp.plus(TestIssuer.settings().clockSkew()).plusSeconds(1));
    TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, () -> verifier.verify(token));
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).startsWith("token expired at " + exp + " (exp; clock skew 60 s)");
    assertThat(catchThrowableOfType(TokenRejectedException.class, () -> verifier.verify(token))).isNotNull();
  }

  @Test
  void aTokenNotYetValidIsNeverServedEarlyFromTheCache() throws Exception {
    // accepted within the skew before nbf; the cache remembers nbf minus skew as its start
    Instant nbf = start.plusSeconds(30);
    String token = TokenVerifierTest.ISSUER.token("alice").notBefore(nbf).expires(start.plusSeconds(3600)).sign();
    MovingClock earlier = new MovingClock(start);
    TokenVerifier v = new TokenVerifier(TestIssuer.settings(), keys, earlier, 100, Duration.ofSeconds(60));
    assertThat(v.verify(token).subject()).isEqualTo("alice");
    earlier.set(nbf.minus(TestIssuer.settings().clockSkew()).minusSeconds(1)); // a clock stepped back
    TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, () -> v.verify(token));
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).startsWith("token is not valid before " + nbf);
  }

  @Test
  void aTokenWhoseKeyLeftTheJwksIsRefusedAtOnce() throws Exception {
    String token = TokenVerifierTest.ISSUER.token("alice").expires(start.plusSeconds(3600)).sign();
    verifier.verify(token);
    jwks.set(TokenVerifierTest.OTHER.publicJwks()); // same key ids, other keys: a rotation
    TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, () -> verifier.verify(token));
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).startsWith("token signature does not verify");
    assertThat(verifier.cachedTokens()).isZero();

    jwks.set(TokenVerifierTest.ISSUER.publicJwks()); // rotated back: verified again, remembered again
    verifier.verify(token);
    jwks.set(new JWKSet()); // the key removed
    assertThat(catchThrowableOfType(TokenRejectedException.class, () -> verifier.verify(token)).getMessage())
        .startsWith("no key of the JWKS matches the token");
  }

  @Test
  void aCachedTokenFailsClosedWhenTheJwksCannotBeHad() throws Exception {
    String token = TokenVerifierTest.ISSUER.token("alice").expires(start.plusSeconds(3600)).sign();
    verifier.verify(token);
    jwksUnavailable.set(true);
    TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, () -> verifier.verify(token));
    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(TokenRejectedException.Kind.KEYS_UNAVAILABLE);
  }

  @Test
  void refusedTokensAreNotRememberedAndTheCacheIsBounded() throws Exception {
    String forged = TokenVerifierTest.OTHER.token("mallory").roles("platform-admin").sign();
    for (int i = 0; i < 2; i++) {
      assertThat(catchThrowableOfType(TokenRejectedException.class, () -> verifier.verify(forged))).isNotNull();
    }
    assertThat(verifier.signatureChecks()).isEqualTo(2);
    assertThat(verifier.cachedTokens()).isZero();

    TokenVerifier small = new TokenVerifier(TestIssuer.settings(), keys, clock, 3, Duration.ofSeconds(60));
    for (int i = 0; i < 20; i++) {
      small.verify(TokenVerifierTest.ISSUER.token("user-" + i).expires(start.plusSeconds(3600)).sign());
    }
    assertThat(small.cachedTokens()).isLessThanOrEqualTo(3);
  }

  @Test
  void tokensFarInTheFutureAreKeptForTheMaxAgeOnly() throws Exception {
    String token = TokenVerifierTest.ISSUER.token("alice").expires(Instant.parse("9999-12-31T00:00:00Z")).sign();
    verifier.verify(token);
    verifier.verify(token);
    assertThat(verifier.signatureChecks()).isEqualTo(1);
    clock.set(start.plusSeconds(61));
    verifier.verify(token);
    assertThat(verifier.signatureChecks()).isEqualTo(2);
  }

  /** A clock a test moves. */
  static final class MovingClock extends Clock {
    private final AtomicReference<Instant> now;

    MovingClock(Instant start) {
      this.now = new AtomicReference<>(start);
    }

    void set(Instant instant) {
      now.set(instant);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  }
}
