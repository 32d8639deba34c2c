package io.voyager.bdk.controller.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.model.CredentialRotations;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which values stand for a Secret's mounted credentials in the pod template's digest. */
class CredentialsSecretsTest {
  static final Instant UNTIL = Instant.parse("2026-12-05T21:00:00Z");

  @Test
  void duringAnOverlapOnlyTheCurrentLinesCount_soTheSweepChangesNothing() {
    String key = "zendesk_signing_key";
    Map<String, String> annotations = Map.of(CredentialRotations.PREVIOUS_VALUES,
        CredentialRotations.format(Map.of(key, CredentialRotations.previous("new-1\nnew-2", UNTIL))));
    Map<String, String> overlap = CredentialsSecrets.currentValues(
        Map.of(key, base64(CredentialRotations.withPrevious("new-1\nnew-2", "old", null)), "other", base64("x")),
        annotations, List.of(key, "other"));
    Map<String, String> swept = CredentialsSecrets.currentValues(
        Map.of(key, base64("new-1\nnew-2"), "other", base64("x")), null, List.of(key, "other"));

    assertThat(overlap).isEqualTo(swept).containsEntry(key, base64("new-1\nnew-2"));
  }

  @Test
  void withoutAnEntryEveryValueIsAsStored_andOnlyTheNamedCredentialsCount() {
    Map<String, String> data = Map.of("a", base64("one\ntwo"), "tailscale_auth_key", base64("tskey"));
    assertThat(CredentialsSecrets.currentValues(data, Map.of(), List.of("a"))).containsExactly(Map.entry("a", base64("one\ntwo")));
    // An entry for a credential not mounted changes nothing either.
    Map<String, String> other = Map.of(CredentialRotations.PREVIOUS_VALUES,
        CredentialRotations.format(Map.of("tailscale_auth_key", new CredentialRotations.Previous(UNTIL, 1))));
    assertThat(CredentialsSecrets.currentValues(data, other, List.of("a"))).containsExactly(Map.entry("a", base64("one\ntwo")));
  }

  @Test
  void anAnnotationThatIsNotTheContractsJsonCountsAsNone() {
    Map<String, String> data = Map.of("a", base64("new\nold"));
    assertThat(CredentialsSecrets.currentValues(data, Map.of(CredentialRotations.PREVIOUS_VALUES, "{not json"), List.of("a")))
        .containsExactly(Map.entry("a", base64("new\nold")));
  }

  @Test
  void aNewRotationDuringAnOverlapCountsItsNewValue() {
    String key = "k";
    // v3 replaces v2 while v2's overlap with v1 is running: v1 is dropped, v2 becomes the previous value.
    String stored = CredentialRotations.withPrevious("v3", "v2\nv1", new CredentialRotations.Previous(UNTIL, 1));
    Map<String, String> annotations = Map.of(CredentialRotations.PREVIOUS_VALUES,
        CredentialRotations.format(Map.of(key, CredentialRotations.previous("v3", UNTIL))));
    assertThat(CredentialsSecrets.currentValues(Map.of(key, base64(stored)), annotations, List.of(key)))
        .containsExactly(Map.entry(key, base64("v3")));
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
