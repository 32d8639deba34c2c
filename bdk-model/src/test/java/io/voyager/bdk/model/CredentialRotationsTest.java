package io.voyager.bdk.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.voyager.bdk.model.CredentialRotations.Previous;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rotation contract on a credentials Secret: keeping a previous value, and sweeping it when due. */
class CredentialRotationsTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void aRotationStoresTheNewValueFirstThenTheOneThatWasCurrent() {
    assertThat(CredentialRotations.withPrevious("new", "old", null)).isEqualTo("new\nold");
    assertThat(CredentialRotations.withPrevious("new", null, null)).isEqualTo("new");
    assertThat(CredentialRotations.withPrevious("new", "", null)).isEqualTo("new");
    // a second rotation during an overlap keeps only the value that was current: never three generations
    Previous first = CredentialRotations.previous("second", T0.plusSeconds(60));
    assertThat(CredentialRotations.withPrevious("third", "second\nfirst", first)).isEqualTo("third\nsecond");
    // a multi-line new value counts all its lines as current
    assertThat(CredentialRotations.previous("a\nb\n", T0).currentLines()).isEqualTo(2);
  }

  @Test
  void aSweepDropsOnlyPreviousValuesThatAreDueAndTheLabelsReasonWithTheLastOne() {
    Map<String, String> values = Map.of(
        "github", "new-gh\nold-gh",
        "stripe", "new-st\nold-st",
        "plain", "untouched");
    Map<String, Previous> pending = Map.of(
        "github", new Previous(T0, 1),
        "stripe", new Previous(T0.plusSeconds(30), 1));

    CredentialRotations.Swept early = CredentialRotations.sweep(values, pending, T0.minusSeconds(1));
    assertThat(early.changed()).isFalse();
    assertThat(early.values()).isEqualTo(values);

    CredentialRotations.Swept atGithub = CredentialRotations.sweep(values, pending, T0);
    assertThat(atGithub.stripped()).containsExactly("github");
    assertThat(atGithub.values()).containsEntry("github", "new-gh").containsEntry("stripe", "new-st\nold-st")
        .containsEntry("plain", "untouched");
    assertThat(atGithub.pending()).containsOnlyKeys("stripe");
    assertThat(CredentialRotations.nextDue(atGithub.pending())).isEqualTo(T0.plusSeconds(30));

    CredentialRotations.Swept all = CredentialRotations.sweep(atGithub.values(), atGithub.pending(), T0.plusSeconds(31));
    assertThat(all.values()).containsEntry("stripe", "new-st");
    assertThat(all.pending()).isEmpty();
    assertThat(CredentialRotations.nextDue(all.pending())).isNull();
  }

  @Test
  void entriesOfCredentialsThatHoldNoPreviousValueAreDroppedWithoutTouchingValues() {
    // the credential was removed, or rewritten without an overlap since
    Map<String, Previous> pending = Map.of("gone", new Previous(T0.plusSeconds(600), 1),
        "rewritten", new Previous(T0.plusSeconds(600), 1));
    CredentialRotations.Swept swept = CredentialRotations.sweep(Map.of("rewritten", "only"), pending, T0);
    assertThat(swept.stripped()).isEmpty();
    assertThat(swept.dropped()).containsExactlyInAnyOrder("gone", "rewritten");
    assertThat(swept.values()).containsExactly(Map.entry("rewritten", "only"));
    assertThat(swept.changed()).isTrue();
  }

  @Test
  void theAnnotationRoundTripsAndIsTheSameTextForTheSameEntries() {
    Map<String, Previous> entries = Map.of("b", new Previous(T0, 2), "a", new Previous(T0.plusMillis(1500), 1));
    String text = CredentialRotations.format(entries);
    assertThat(text).isEqualTo("{\"a\":{\"valid_until\":\"2026-01-01T00:00:01Z\",\"current_lines\":1},"
        + "\"b\":{\"valid_until\":\"2026-01-01T00:00:00Z\",\"current_lines\":2}}");
    assertThat(CredentialRotations.parse(text)).isEqualTo(Map.of("b", new Previous(T0, 2),
        "a", new Previous(T0.plusSeconds(1), 1)));
    assertThat(CredentialRotations.parse(null)).isEmpty();
    assertThat(CredentialRotations.parse("")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"not json", "[]", "{\"a\":{}}", "{\"a\":{\"valid_until\":\"tomorrow\",\"current_lines\":1}}",
      "{\"a\":{\"valid_until\":\"2026-01-01T00:00:00Z\",\"current_lines\":0}}"})
  void aHandEditedAnnotationIsRefusedNamingIt(String annotation) {
    assertThatThrownBy(() -> CredentialRotations.parse(annotation))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(CredentialRotations.PREVIOUS_VALUES);
  }

  @Test
  void overlapsAreCappedAtSevenDays() {
    assertThat(InstanceCredentials.overlapSecondsProblem(0)).isEmpty();
    assertThat(InstanceCredentials.overlapSecondsProblem(604_800)).isEmpty();
    assertThat(InstanceCredentials.overlapSecondsProblem(604_801)).hasValueSatisfying(p ->
        assertThat(p).contains("from 0 to 604800 seconds (7 days); got 604801"));
    assertThat(InstanceCredentials.overlapSecondsProblem(-1)).isPresent();
  }
}
