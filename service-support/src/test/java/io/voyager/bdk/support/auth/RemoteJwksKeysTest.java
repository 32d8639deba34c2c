package io.voyager.bdk.support.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.voyager.bdk.model.BdkRoles;
import io.voyager.bdk.support.LoopbackPorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The remote JWKS path against a real HTTP server serving a JWKS (the JDK's HttpServer). */
class RemoteJwksKeysTest {
  static final TestIssuer FIRST = new TestIssuer("key-2024", "ec-2024");
  static final TestIssuer SECOND = new TestIssuer("key-2025", "ec-2025");

  private HttpServer http;
  private final AtomicReference<String> body = new AtomicReference<>(FIRST.publicJwksJson());
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicInteger fetches = new AtomicInteger();

  @BeforeEach
  void serve() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/.well-known/jwks.json", exchange -> {
      fetches.incrementAndGet();
      byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("content-type", "application/json");
      exchange.sendResponseHeaders(status.get(), bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    http.start();
  }

  @AfterEach
  void stop() {
    http.stop(0);
  }

  private URI jwksUri() {
    return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/.well-known/jwks.json");
  }

  private static TokenVerifier verifier(VerificationKeys keys) {
    return new TokenVerifier(TestIssuer.settings(), keys, Clock.systemUTC());
  }

  @Test
  void tokensVerifyWithTheFetchedKeysWhichAreCached() throws Exception {
    try (VerificationKeys keys = VerificationKeys.open(new JwtSettings.RemoteJwks(jwksUri(), Duration.ofMinutes(5)), null, Duration.ZERO)) {
      TokenVerifier verifier = verifier(keys);
      assertThat(verifier.verify(FIRST.token("alice").organization("acme").roles("org-admin").sign()).roles())
          .containsExactly(BdkRoles.ORG_ADMIN);
      assertThat(verifier.verify(FIRST.token("bob").es256().sign()).subject()).isEqualTo("bob");
      assertThat(fetches.get()).as("one fetch, then the cache").isEqualTo(1);
      assertThat(keys.describe()).isEqualTo("JWKS " + jwksUri());
    }
  }

  @Test
  void aRotatedKeyIsFetchedWhenATokenNamesIt() throws Exception {
    try (VerificationKeys keys = VerificationKeys.open(new JwtSettings.RemoteJwks(jwksUri(), Duration.ofSeconds(4)), null, Duration.ZERO)) {
      TokenVerifier verifier = verifier(keys);
      verifier.verify(FIRST.token("alice").sign());
      body.set(SECOND.publicJwksJson());
      String rotated = SECOND.token("alice").sign();
      // the first lookup of the new kid may fall in the rate-limit interval; it is fetched soon after
      await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> verifier.verify(rotated).subject().equals("alice"));
      TokenRejectedException old = catchThrowableOfType(TokenRejectedException.class, () -> verifier.verify(FIRST.token("alice").sign()));
      assertThat(old.kind()).isEqualTo(TokenRejectedException.Kind.INVALID);
      assertThat(old.getMessage()).startsWith("no key of the JWKS matches the token (kid 'key-2024'");
    }
  }

  @Test
  void aJwksThatCannotBeFetchedFailsClosed() throws Exception {
    int deadPort;
    deadPort = LoopbackPorts.freePort();
    URI dead = URI.create("http://127.0.0.1:" + deadPort + "/jwks");
    try (VerificationKeys keys = VerificationKeys.open(new JwtSettings.RemoteJwks(dead, Duration.ofMinutes(5)), null, Duration.ZERO)) {
      TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class,
          () -> verifier(keys).verify(FIRST.token("alice").roles("platform-admin").sign()));
      assertThat(e.kind()).isEqualTo(TokenRejectedException.Kind.KEYS_UNAVAILABLE);
      assertThat(e.getMessage()).startsWith("the signing keys (JWKS) are unavailable, so no token can be verified: cannot fetch the JWKS from " + dead);
    }
  }

  @Test
  void aJwksAnsweringAnErrorOrGarbageFailsClosed() throws Exception {
    status.set(500);
    try (VerificationKeys keys = VerificationKeys.open(new JwtSettings.RemoteJwks(jwksUri(), Duration.ofMinutes(5)), null, Duration.ZERO)) {
      TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, () -> verifier(keys).verify(FIRST.token("alice").sign()));
      assertThat(e.kind()).isEqualTo(TokenRejectedException.Kind.KEYS_UNAVAILABLE);
      assertThat(e.getMessage()).contains("cannot fetch the JWKS from " + jwksUri());
    }
    status.set(200);
    body.set("<html>not a jwks</html>");
    try (VerificationKeys keys = VerificationKeys.open(new JwtSettings.RemoteJwks(jwksUri(), Duration.ofMinutes(5)), null, Duration.ZERO)) {
      TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, () -> verifier(keys).verify(FIRST.token("alice").sign()));
      assertThat(e.kind()).isEqualTo(TokenRejectedException.Kind.KEYS_UNAVAILABLE);
    }
  }
}
