package io.voyager.bdk.extauthz.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What every scheme must do, checked by signing with the scheme and verifying the result. */
class SchemeBehaviourTest {
  static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
  static final Freshness FRESH = new Freshness(NOW, Duration.ofSeconds(300));
  static final byte[] BODY = "{\"event\":\"ticket.created\",\"id\":42}".getBytes(StandardCharsets.UTF_8);
  static final String SECRET = "whsec_c2VjcmV0LW9uZS1mb3ItdGVzdGluZy0xMjM0NTY=";
  static final String OTHER = "whsec_b3RoZXItc2VjcmV0LWZvci10ZXN0aW5nLTk4NzY=";

  /** A scheme, the header holding its signature, and whether it signs a timestamp. */
  record Case(WebhookScheme scheme, String signatureHeader, boolean timestamped) {
    @Override
    public String toString() {
      return scheme.name() + (scheme instanceof GenericHmacScheme g ? "(" + g.options() + ")" : "");
    }
  }

  static Stream<Case> schemes() {
    return Stream.of(
        new Case(new GitHubScheme(), GitHubScheme.SIGNATURE, false),
        new Case(new StripeScheme(), StripeScheme.SIGNATURE, true),
        new Case(new SlackScheme(), SlackScheme.SIGNATURE, true),
        new Case(new ShopifyScheme(), ShopifyScheme.SIGNATURE, false),
        new Case(new ZendeskScheme(), ZendeskScheme.SIGNATURE, true),
        new Case(new StandardWebhooksScheme(), StandardWebhooksScheme.SIGNATURE, true),
        new Case(GenericHmacScheme.fromKeys(Map.of("hmac_header", "X-Acme-Signature", "hmac_prefix", "sha512=",
            "hmac_algorithm", "sha512", "hmac_encoding", "base64")), "X-Acme-Signature", false),
        new Case(GenericHmacScheme.fromKeys(Map.of("hmac_header", "X-Sig", "hmac_algorithm", "sha1",
            "hmac_payload", "timestamp.body", "hmac_timestamp_header", "X-Sig-Timestamp")), "X-Sig", true));
  }

  /** The schemes whose signature covers a timestamp (GitHub, Shopify and body-only HMAC sign none). */
  static Stream<Case> timestampedSchemes() {
    return schemes().filter(Case::timestamped);
  }

  static List<Header> sign(Case c, String secret, Instant at) {
    return c.scheme().sign(new SigningInput(BODY, secret, at, "evt_1"));
  }

  static WebhookRequest request(List<Header> headers, byte[] body) {
    return new WebhookRequest(RequestHeaders.of(headers), body);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemes")
  void validSignatureVerifies(Case c) {
    Verified verified = c.scheme().verify(request(sign(c, SECRET, NOW), BODY), List.of(SECRET), FRESH);
    assertThat(verified.replayKeys()).isNotEmpty().allSatisfy(k -> assertThat(k).isNotBlank());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemes")
  void tamperedBodyIsRefused(Case c) {
    byte[] tampered = "{\"event\":\"ticket.created\",\"id\":43}".getBytes(StandardCharsets.UTF_8);
    assertDenied(() -> c.scheme().verify(request(sign(c, SECRET, NOW), tampered), List.of(SECRET), FRESH),
        DenyReason.SIGNATURE_MISMATCH, c.signatureHeader());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemes")
  void wrongSecretIsRefused(Case c) {
    assertDenied(() -> c.scheme().verify(request(sign(c, OTHER, NOW), BODY), List.of(SECRET), FRESH),
        DenyReason.SIGNATURE_MISMATCH, c.signatureHeader());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemes")
  void anyActiveSecretVerifiesDuringRotation(Case c) {
    List<Header> signedWithNew = sign(c, OTHER, NOW);
    assertThat(c.scheme().verify(request(signedWithNew, BODY), List.of(SECRET, OTHER), FRESH)).isNotNull();
    assertThat(c.scheme().verify(request(sign(c, SECRET, NOW), BODY), List.of(SECRET, OTHER), FRESH)).isNotNull();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("timestampedSchemes")
  void staleTimestampIsRefused(Case c) {
    assertDenied(() -> c.scheme().verify(request(sign(c, SECRET, NOW.minusSeconds(301)), BODY), List.of(SECRET), FRESH),
        DenyReason.TIMESTAMP_OUT_OF_TOLERANCE, "in the past");
    assertThat(c.scheme().verify(request(sign(c, SECRET, NOW.minusSeconds(299)), BODY), List.of(SECRET), FRESH)).isNotNull();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("timestampedSchemes")
  void futureTimestampIsRefused(Case c) {
    assertDenied(() -> c.scheme().verify(request(sign(c, SECRET, NOW.plusSeconds(301)), BODY), List.of(SECRET), FRESH),
        DenyReason.TIMESTAMP_OUT_OF_TOLERANCE, "in the future");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemes")
  void missingSignatureIsRefusedNamingTheHeader(Case c) {
    List<Header> headers = new ArrayList<>(sign(c, SECRET, NOW));
    headers.removeIf(h -> h.name().equalsIgnoreCase(c.signatureHeader()));
    assertDenied(() -> c.scheme().verify(request(headers, BODY), List.of(SECRET), FRESH), DenyReason.MISSING_SIGNATURE, c.signatureHeader());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemes")
  void malformedSignatureIsRefusedNamingTheHeader(Case c) {
    List<Header> headers = replace(sign(c, SECRET, NOW), c.signatureHeader(), "garbage!");
    assertDenied(() -> c.scheme().verify(request(headers, BODY), List.of(SECRET), FRESH), DenyReason.MALFORMED_SIGNATURE, c.signatureHeader());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemes")
  void repeatedSignatureHeaderIsRefused(Case c) {
    List<Header> headers = new ArrayList<>(sign(c, SECRET, NOW));
    Header sig = headers.stream().filter(h -> h.name().equalsIgnoreCase(c.signatureHeader())).findFirst().orElseThrow();
    headers.add(new Header(sig.name().toLowerCase(), sig.value()));
    assertDenied(() -> c.scheme().verify(request(headers, BODY), List.of(SECRET), FRESH), DenyReason.DUPLICATE_HEADER, c.signatureHeader());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemes")
  void signatureHeadersMergedByAProxyAreRefused(Case c) {
    // Envoy's merged headers map joins a repeated header with a comma.
    List<Header> headers = new ArrayList<>(sign(c, SECRET, NOW));
    Header sig = headers.stream().filter(h -> h.name().equalsIgnoreCase(c.signatureHeader())).findFirst().orElseThrow();
    Header other = sign(c, OTHER, NOW).stream().filter(h -> h.name().equalsIgnoreCase(c.signatureHeader())).findFirst().orElseThrow();
    List<Header> merged = replace(headers, c.signatureHeader(), sig.value() + "," + other.value());
    assertThatThrownBy(() -> c.scheme().verify(request(merged, BODY), List.of(SECRET), FRESH))
        .isInstanceOfSatisfying(WebhookDenied.class, d -> {
          assertThat(d.reason()).isIn(DenyReason.DUPLICATE_HEADER, DenyReason.MALFORMED_SIGNATURE);
          assertThat(d.getMessage()).contains(c.signatureHeader());
        });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemes")
  void headerNamesAreCaseInsensitive(Case c) {
    List<Header> lower = sign(c, SECRET, NOW).stream().map(h -> new Header(h.name().toLowerCase(), h.value())).toList();
    assertThat(c.scheme().verify(request(lower, BODY), List.of(SECRET), FRESH)).isNotNull();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schemes")
  void denialsNeverContainTheSecret(Case c) {
    List<Header> headers = sign(c, OTHER, NOW);
    assertThatThrownBy(() -> c.scheme().verify(request(headers, BODY), List.of(SECRET), FRESH))
        .isInstanceOfSatisfying(WebhookDenied.class, d -> assertThat(d.getMessage()).doesNotContain(SECRET).doesNotContain(SECRET.substring(6)));
  }

  static List<Header> replace(List<Header> headers, String name, String value) {
    return headers.stream().map(h -> h.name().equalsIgnoreCase(name) ? new Header(h.name(), value) : h).toList();
  }

  static void assertDenied(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, DenyReason reason, String messagePart) {
    assertThatThrownBy(call).isInstanceOfSatisfying(WebhookDenied.class, d -> {
      assertThat(d.reason()).isEqualTo(reason);
      assertThat(d.getMessage()).contains(messagePart);
    });
  }
}
