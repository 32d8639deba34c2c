package io.voyager.bdk.extauthz.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The release header: digests of endpoint and keys (never the keys), read back with bounds. */
class ReplayReleaseTest {
  @Test
  void aHeaderValueCarriesTheEndpointAndTheDigestsNeverTheKeys() {
    String value = ReplayRelease.headerValue("webhook/github/ns/book/gh", List.of("sig:secretish", "id:d-1", "id:d-1"));
    assertThat(value).doesNotContain("secretish").doesNotContain("d-1").startsWith("webhook/github/ns/book/gh ");
    ReplayRelease release = ReplayRelease.parse(value);
    assertThat(release.endpointKey()).isEqualTo("webhook/github/ns/book/gh");
    assertThat(release.digests()).containsExactlyInAnyOrder(
        ReplayDigest.of("webhook/github/ns/book/gh", "sig:secretish"), ReplayDigest.of("webhook/github/ns/book/gh", "id:d-1"));
  }

  @Test
  void malformedValuesAreRefusedWithTheReason() {
    assertThatThrownBy(() -> ReplayRelease.parse("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> ReplayRelease.parse("nodigests")).hasMessageContaining("<endpoint key> <digest>");
    assertThatThrownBy(() -> ReplayRelease.parse("ep zz")).hasMessageContaining("32 lowercase hex");
    assertThatThrownBy(() -> ReplayRelease.parse("ep " + "a".repeat(2000))).hasMessageContaining("longer than");
    String nine = String.join(",", Collections.nCopies(9, "0".repeat(32)));
    assertThatThrownBy(() -> ReplayRelease.parse("ep " + nine)).hasMessageContaining("more than 8");
  }
}
