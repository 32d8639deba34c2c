package io.voyager.bdk.extauthz.replay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReplayDigestTest {
  @Test
  void digestsAreFixedSizeStableAndScopedByEndpoint() {
    ReplayDigest d = ReplayDigest.of("ep", "sig:abc");
    assertThat(d).isEqualTo(ReplayDigest.of("ep", "sig:abc"));
    assertThat(d).isNotEqualTo(ReplayDigest.of("other", "sig:abc"));
    assertThat(d).isNotEqualTo(ReplayDigest.of("ep", "sig:abd"));
    assertThat(d.hex()).hasSize(32).matches("[0-9a-f]+");
    assertThat(ReplayDigest.of("ep", "x".repeat(100_000)).hex()).hasSize(32);
    assertThat(d.compareTo(ReplayDigest.of("ep", "sig:abc"))).isZero();
  }
}
