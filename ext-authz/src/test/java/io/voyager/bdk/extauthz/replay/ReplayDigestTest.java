package io.voyager.bdk.extauthz.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
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

  @Test
  void hexIsTheDigestsBitsAndParsesBack() {
    ReplayDigest d = new ReplayDigest(0x0123456789abcdefL, 0xfedcba9876543210L);
    assertThat(d.hex()).isEqualTo("0123456789abcdeffedcba9876543210");
    assertThat(d.hex()).isEqualTo(HexFormat.of().toHexDigits(d.high()) + HexFormat.of().toHexDigits(d.low()));
    assertThat(ReplayDigest.parseHex(d.hex())).isEqualTo(d);
    assertThat(new ReplayDigest(0, 1).hex()).isEqualTo("0".repeat(31) + "1");
    assertThat(d.appendHex(new StringBuilder("x")).toString()).isEqualTo("x" + d.hex());
  }

  @Test
  void aDeliverysDigestsAreDistinctSortedAndFollowTheirKeysAndEndpoint() {
    List<String> keys = List.of("sig:b", "id:a", "sig:b");
    List<ReplayDigest> digests = ReplayDigest.ofDelivery("ep", keys);
    assertThat(digests).containsExactlyElementsOf(
        keys.stream().map(k -> ReplayDigest.of("ep", k)).distinct().sorted().toList());
    assertThat(digests).hasSize(2);
    // asked again on this thread (the same list: the per-thread memo), the same answer
    assertThat(ReplayDigest.ofDelivery("ep", keys)).isEqualTo(digests);
    // the memo never answers for another endpoint or for other keys
    assertThat(ReplayDigest.ofDelivery("other", keys)).containsExactlyElementsOf(
        keys.stream().map(k -> ReplayDigest.of("other", k)).distinct().sorted().toList());
    List<String> otherKeys = new ArrayList<>(List.of("sig:c"));
    assertThat(ReplayDigest.ofDelivery("ep", otherKeys)).containsExactly(ReplayDigest.of("ep", "sig:c"));
    otherKeys.set(0, "sig:d"); // the same list changed in place: its new keys count, not the memo
    assertThat(ReplayDigest.ofDelivery("ep", otherKeys)).containsExactly(ReplayDigest.of("ep", "sig:d"));
  }
}
