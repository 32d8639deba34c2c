package io.voyager.bdk.extauthz.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Envoy's merged headers map, looked up in place when lower case, answers as the copied form does;
 * Envoy's raw header lines (encode_raw_headers) keep repeated headers apart and decode a value only
 * when looked up, refusing one that is not UTF-8.
 */
class RequestHeadersTest {
  @Test
  void aLowerCaseMapAndRawLinesAreLookedUpCaseInsensitivelyAsTheCopiedFormIs() {
    Map<String, String> envoy = Map.of("x-hub-signature-256", " sha256=ab ", "x-github-delivery", "a,b", "content-type", "application/json");
    Map<String, String> mixed = Map.of("X-Hub-Signature-256", " sha256=ab ", "X-GitHub-Delivery", "a,b", "Content-Type", "application/json");
    RequestHeaders raw = raw("x-hub-signature-256", " sha256=ab ", "x-github-delivery", "a,b", "content-type", "application/json");
    for (RequestHeaders headers : List.of(RequestHeaders.of(envoy), RequestHeaders.of(mixed), raw)) {
      assertThat(headers.single("X-Hub-Signature-256")).contains("sha256=ab");
      assertThat(headers.requireToken("x-hub-signature-256", DenyReason.MISSING_SIGNATURE)).isEqualTo("sha256=ab");
      assertThat(headers.single("X-Missing")).isEmpty();
      assertThatThrownBy(() -> headers.singleToken("X-GitHub-Delivery"))
          .isInstanceOf(WebhookDenied.class).hasMessageContaining("X-GitHub-Delivery");
      assertThatThrownBy(() -> headers.requireToken("X-Missing", DenyReason.MISSING_HEADER))
          .isInstanceOf(WebhookDenied.class).hasMessageContaining("X-Missing");
    }
  }

  @Test
  void namesDifferingOnlyInCaseAreStillOneHeaderSentTwice() {
    RequestHeaders headers = RequestHeaders.of(Map.of("x-sig", "a", "X-Sig", "b"));
    assertThatThrownBy(() -> headers.single("x-sig")).isInstanceOf(WebhookDenied.class).hasMessageContaining("2 times");
  }

  @Test
  void aRawHeaderSentTwiceIsDeniedWhateverTheCaseOfItsNames() {
    for (RequestHeaders headers : List.of(raw("x-sig", "a", "x-sig", "b"), raw("x-sig", "a", "X-Sig", "a"))) {
      assertThatThrownBy(() -> headers.single("X-Sig")).isInstanceOf(WebhookDenied.class)
          .hasMessageContaining("X-Sig occurs 2 times")
          .satisfies(e -> assertThat(((WebhookDenied) e).reason()).isEqualTo(DenyReason.DUPLICATE_HEADER));
    }
  }

  @Test
  void aRawValueThatIsNotUtf8IsDeniedByNameOnlyWhenLookedUp() {
    RequestHeaders headers = RequestHeaders.ofRaw(new String[] {"x-sig", "x-other"},
        new ByteString[] {ByteString.copyFrom(new byte[] {'s', 'h', (byte) 0xff}), ByteString.copyFrom(new byte[] {(byte) 0xc3, (byte) 0x28})});
    assertThatThrownBy(() -> headers.single("x-sig")).isInstanceOf(WebhookDenied.class)
        .hasMessage("header x-sig is not valid UTF-8")
        .satisfies(e -> assertThat(((WebhookDenied) e).reason()).isEqualTo(DenyReason.MALFORMED_HEADER));
    RequestHeaders oneBad = RequestHeaders.ofRaw(new String[] {"x-sig", "x-latin-1"},
        new ByteString[] {ByteString.copyFromUtf8("sha256=ab"), ByteString.copyFrom(new byte[] {'c', 'a', 'f', (byte) 0xe9})});
    assertThat(oneBad.single("x-sig")).contains("sha256=ab"); // a header no scheme reads may hold any bytes
    assertThat(raw("x-name", "caf\u00e9 \u2713").single("x-name")).contains("caf\u00e9 \u2713"); // UTF-8 beyond ASCII decodes
  }

  @Test
  void emptyRawValuesAndNoHeadersAtAll() {
    assertThat(raw("x-empty", "").single("x-empty")).contains("");
    assertThatThrownBy(() -> raw("x-empty", " ").requireToken("x-empty", DenyReason.MISSING_HEADER))
        .isInstanceOf(WebhookDenied.class).hasMessageContaining("x-empty is missing");
    assertThat(RequestHeaders.ofRaw(new String[0], new ByteString[0]).single("x-sig")).isEmpty();
    assertThatThrownBy(() -> RequestHeaders.ofRaw(new String[] {"a"}, new ByteString[0]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 header names but 0 values");
  }

  /** Raw header lines from name, value pairs, the values UTF-8 encoded. */
  private static RequestHeaders raw(String... namesAndValues) {
    String[] names = new String[namesAndValues.length / 2];
    ByteString[] values = new ByteString[names.length];
    for (int i = 0; i < names.length; i++) {
      names[i] = namesAndValues[2 * i];
      values[i] = ByteString.copyFrom(namesAndValues[2 * i + 1], StandardCharsets.UTF_8);
    }
    return RequestHeaders.ofRaw(names, values);
  }
}
