package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.Code;
import io.voyager.bdk.model.BookInstanceDefinition;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** An instance's etag: its spec's generation and its credential revision, as a weak RFC 7232 tag. */
class EtagTest {

  @Test
  void itIsTheGenerationAndTheCredentialRevision() {
    BookInstanceDefinition i = new BookInstanceDefinition();
    i.getMetadata().setGeneration(7L);
    i.getMetadata().setResourceVersion("123456");
    assertThat(Etag.of(i).text()).isEqualTo("W/\"7-0\"");
    i.getMetadata().setAnnotations(Map.of(CredentialHistory.REVISION, "3"));
    assertThat(Etag.of(i).text()).isEqualTo("W/\"7-3\"");
    // what status and other metadata writes change is not part of it
    i.getMetadata().setResourceVersion("999999");
    i.getMetadata().setLabels(Map.of("anything", "else"));
    assertThat(Etag.of(i)).isEqualTo(new Etag(7, 3));
    assertThat(Etag.parse(" W/\"7-3\" ")).isEqualTo(Etag.of(i));
  }

  @ParameterizedTest
  @ValueSource(strings = {"7-3", "\"7-3\"", "W/7-3", "W/\"7\"", "W/\"-1-3\"", "W/\"7-3\"x", "*"})
  void anythingElseIsInvalidNamingTheField(String text) {
    ApiException e = catchThrowableOfType(ApiException.class, () -> Etag.parse(text));
    assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.violations()).extracting(ApiException.Violation::field).containsExactly("etag");
  }
}
