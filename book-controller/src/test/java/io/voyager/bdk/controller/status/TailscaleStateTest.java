package io.voyager.bdk.controller.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Whether the sidecar joined the tailnet the spec names, from the device containerboot records. Pure. */
class TailscaleStateTest {
  static Secret state(String fqdn) {
    return new SecretBuilder().withNewMetadata().withName("x-ts-state").endMetadata()
        .addToData("device_fqdn", Base64.getEncoder().encodeToString(fqdn.getBytes(StandardCharsets.UTF_8)))
        .addToData("_machinekey", "c2VjcmV0").build();
  }

  @Test
  void joinedTheNamedTailnet() {
    TailscaleState s = TailscaleState.of("acme-corp", Optional.of(state("x.acme-corp.ts.net.")), List.of());
    assertThat(s.ready()).isTrue();
    assertThat(s.message()).isEqualTo("joined tailnet acme-corp.ts.net as x.acme-corp.ts.net");
  }

  @Test
  void joinedAnotherTailnetIsAFailureNamingBoth() {
    TailscaleState s = TailscaleState.of("acme-corp", Optional.of(state("x.globex.ts.net.")), List.of());
    assertThat(s.ready()).isFalse();
    assertThat(s.reason()).isEqualTo("WrongTailnet");
    assertThat(s.failure()).hasValueSatisfying(f -> assertThat(f.message()).isEqualTo(
        "container tailscale: joined tailnet globex.ts.net as x.globex.ts.net, but networking.tailscale.tailnet is "
            + "acme-corp.ts.net: its auth key belongs to another tailnet"));
    assertThat(s.message()).doesNotContain("c2VjcmV0");
  }

  @Test
  void notJoinedSaysSo() {
    TailscaleState s = TailscaleState.of("acme-corp", Optional.of(new SecretBuilder().withNewMetadata().withName("x-ts-state")
        .endMetadata().build()), List.of());
    assertThat(s.ready()).isFalse();
    assertThat(s.reason()).isEqualTo("NotJoined");
    assertThat(s.message()).startsWith("the Tailscale sidecar has not joined a tailnet (no device in its state Secret x-ts-state");
  }
}
