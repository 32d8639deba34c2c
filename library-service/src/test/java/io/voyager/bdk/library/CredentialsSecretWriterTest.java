package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.voyager.bdk.library.InstanceUpdatePlanner.SecretChange;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.CredentialRotations;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What an update's credential changes make of the credentials Secret (pure). */
class CredentialsSecretWriterTest {
  static final Instant UNTIL = Instant.parse("2026-01-01T00:10:00Z");

  static BookInstanceDefinition instance() {
    BookInstanceDefinition i = new BookInstanceDefinition();
    i.getMetadata().setName("support-1");
    i.getMetadata().setLabels(Map.of(BdkLabels.INSTANCE_ID, "1", BdkLabels.BOOK_ID, "b"));
    i.setSpec(new BookInstanceDefinitionSpec(new BookInstanceDefinitionSpec.BookRef("b", "1.0.0"),
        new BookInstanceDefinitionSpec.Customer("customer-acme", "acme"), null, null, null, null, null));
    return i;
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aMissingSecretIsMadeWithTheInstancesLabels() {
    Secret s = CredentialsSecretWriter.changed(null, instance(), List.of(SecretChange.put("api", "v1", null)));
    assertThat(s.getMetadata().getName()).isEqualTo("support-1-credentials");
    assertThat(s.getMetadata().getNamespace()).isEqualTo("customer-acme");
    assertThat(s.getMetadata().getLabels()).containsEntry(BdkLabels.INSTANCE_NAME, "support-1")
        .doesNotContainKey(CredentialRotations.PENDING_LABEL);
    assertThat(s.getData()).containsExactly(Map.entry("api", b64("v1")));
  }

  @Test
  void anOverlapKeepsTheCurrentValueAfterTheNewOneAndRecordsItOnTheSecret() {
    Secret current = new SecretBuilder().withNewMetadata().withName("support-1-credentials").withNamespace("customer-acme")
        .withResourceVersion("41").addToLabels("kept", "yes").endMetadata()
        .withData(Map.of("gh", b64("old"), "binary", "/wAB")).build();
    Secret s = CredentialsSecretWriter.changed(current, instance(), List.of(SecretChange.put("gh", "new", UNTIL)));
    assertThat(s.getData()).containsEntry("gh", b64("new\nold")).containsEntry("binary", "/wAB");
    assertThat(s.getMetadata().getResourceVersion()).as("the write is conditioned on what was read").isEqualTo("41");
    assertThat(s.getMetadata().getLabels()).containsEntry("kept", "yes").containsEntry(CredentialRotations.PENDING_LABEL, "true");
    assertThat(CredentialRotations.parse(s.getMetadata().getAnnotations().get(CredentialRotations.PREVIOUS_VALUES)))
        .containsExactly(Map.entry("gh", new CredentialRotations.Previous(UNTIL, 1)));

    // removing the credential takes its value and its entry; the label goes with the last entry
    Secret removed = CredentialsSecretWriter.changed(s, instance(), List.of(SecretChange.remove("gh")));
    assertThat(removed.getData()).containsOnlyKeys("binary");
    assertThat(removed.getMetadata().getLabels()).doesNotContainKey(CredentialRotations.PENDING_LABEL);
    assertThat(removed.getMetadata().getAnnotations()).doesNotContainKey(CredentialRotations.PREVIOUS_VALUES);
  }

  @Test
  void aChangeNeverAppearsWithItsValueInText() {
    assertThat(SecretChange.put("gh", "super-secret-value", UNTIL).toString())
        .isEqualTo("put gh keeping the previous until 2026-01-01T00:10:00Z");
    assertThat(SecretChange.put("gh", "super-secret-value", null).toString()).isEqualTo("put gh");
  }
}
