package io.voyager.bdk.extauthz.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Envoy's merged headers map, looked up in place when lower case, answers as the copied form does. */
class RequestHeadersTest {
  @Test
  void aLowerCaseMapIsLookedUpCaseInsensitivelyAsTheCopiedFormIs() {
    Map<String, String> envoy = Map.of("x-hub-signature-256", " sha256=ab ", "x-github-delivery", "a,b", "content-type", "application/json");
    Map<String, String> mixed = Map.of("X-Hub-Signature-256", " sha256=ab ", "X-GitHub-Delivery", "a,b", "Content-Type", "application/json");
    for (RequestHeaders headers : List.of(RequestHeaders.of(envoy), RequestHeaders.of(mixed))) {
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
}
