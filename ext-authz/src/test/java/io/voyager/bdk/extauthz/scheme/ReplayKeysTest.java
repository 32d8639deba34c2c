package io.voyager.bdk.extauthz.scheme;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What each scheme keys replay protection on: never only on a value the sender may change without
 * breaking the signature. A table per scheme: the keys of a delivery signed with an id, and whether
 * the signature key is among them.
 */
class ReplayKeysTest {
  static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
  static final Freshness FRESH = new Freshness(NOW, Duration.ofSeconds(300));
  static final byte[] BODY = "{\"n\":1}".getBytes(StandardCharsets.UTF_8);
  static final String SECRET = "whsec_c2VjcmV0LW9uZS1mb3ItdGVzdGluZy0xMjM0NTY=";

  static Stream<Arguments> schemes() {
    return Stream.of(
        // scheme, hmac options, keys expected: "sig" (the verified signature) and/or "id:<id>"
        Arguments.of("github", Map.of(), List.of("sig", "id:evt-1")),
        Arguments.of("shopify", Map.of(), List.of("sig", "id:evt-1")),
        Arguments.of("hmac", Map.of(), List.of("sig")),
        Arguments.of("hmac", Map.of("hmac_payload", "timestamp.body", "hmac_timestamp_header", "X-Ts"), List.of("sig")),
        Arguments.of("stripe", Map.of(), List.of("sig")),
        Arguments.of("slack", Map.of(), List.of("sig")),
        Arguments.of("zendesk", Map.of(), List.of("sig")),
        // signed id (and timestamp): the id alone identifies the message
        Arguments.of("standard", Map.of(), List.of("id:evt-1")));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("schemes")
  void replayKeysPerScheme(String name, Map<String, String> options, List<String> expected) {
    WebhookScheme scheme = Schemes.byName(name, options);
    List<Header> signed = scheme.sign(new SigningInput(BODY, SECRET, NOW, "evt-1"));
    Verified verified = scheme.verify(new WebhookRequest(RequestHeaders.of(signed), BODY), List.of(SECRET), FRESH);
    assertThat(verified.replayKeys()).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      if (expected.get(i).equals("sig")) {
        assertThat(verified.replayKeys().get(i)).matches("sig:[0-9a-f]{40,128}");
      } else {
        assertThat(verified.replayKeys().get(i)).isEqualTo(expected.get(i));
      }
    }
  }
}
