package io.voyager.bdk.extauthz.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The HMAC of a body read in place, and the per-thread key memo. */
class HmacsTest {
  private static final byte[] BODY = "{\"event\":\"push\",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}".getBytes(StandardCharsets.UTF_8);
  private static final byte[] PREFIX = "1717243200.".getBytes(StandardCharsets.UTF_8);
  private static final byte[] KEY = "secret".getBytes(StandardCharsets.UTF_8);

  @Test
  void aBodyReadInPlaceSignsAsItsBytes() {
    byte[] expected = Hmacs.mac(Hmacs.SHA256, KEY, PREFIX, BODY);
    // flat, a slice of a larger message, and a rope of pieces: the same bytes, the same MAC
    ByteString flat = ByteString.copyFrom(BODY);
    byte[] larger = new byte[BODY.length + 20];
    System.arraycopy(BODY, 0, larger, 7, BODY.length);
    ByteString slice = ByteString.copyFrom(larger).substring(7, 7 + BODY.length);
    ByteString rope = ByteString.copyFrom(BODY, 0, 10).concat(ByteString.copyFrom(BODY, 10, BODY.length - 10));
    for (ByteString body : List.of(flat, slice, rope)) {
      assertThat(Hmacs.mac(Hmacs.SHA256, KEY, PREFIX, body)).isEqualTo(expected);
    }
    assertThat(Hmacs.mac(Hmacs.SHA256, KEY, Hmacs.NO_PREFIX, flat)).isEqualTo(Hmacs.mac(Hmacs.SHA256, KEY, BODY));
  }

  @Test
  void requireMatchTriesEachKeyAndNamesTheHeaderWhenNoneMatches() {
    byte[] good = Hmacs.mac(Hmacs.SHA256, KEY, PREFIX, BODY);
    List<byte[]> keys = List.of("old".getBytes(StandardCharsets.UTF_8), KEY);
    assertThat(Hmacs.requireMatch(Hmacs.SHA256, keys, List.of(new byte[32], good), "X-Sig", PREFIX, ByteString.copyFrom(BODY)))
        .isEqualTo(good);
    assertThatThrownBy(() -> Hmacs.requireMatch(Hmacs.SHA256, List.of(KEY), List.of(new byte[32]), "X-Sig", PREFIX,
        ByteString.copyFrom(BODY)))
        .isInstanceOf(WebhookDenied.class).hasMessageContaining("X-Sig");
  }

  @Test
  void keysFollowTheSecretsByValue() {
    List<String> secrets = new ArrayList<>(List.of("one", "two"));
    List<byte[]> first = Hmacs.utf8Keys(secrets);
    assertThat(first).containsExactly(Hmacs.utf8("one"), Hmacs.utf8("two"));
    assertThat(Hmacs.utf8Keys(List.of("one", "two"))).isSameAs(first); // equal secrets: remembered
    secrets.set(1, "three"); // a list changed in place (a rotation) is derived anew, never answered from the memo
    assertThat(Hmacs.utf8Keys(secrets)).containsExactly(Hmacs.utf8("one"), Hmacs.utf8("three"));
    assertThat(StandardWebhooksScheme.key("whsec_" + "a2V5")).isEqualTo(Hmacs.utf8("key"));
    assertThat(Hmacs.derivedKeys(List.of("whsec_a2V5", "whsec_!!"), StandardWebhooksScheme::key)).containsExactly(Hmacs.utf8("key"));
  }
}
