package io.voyager.bdk.extauthz.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SecretLinesTest {
  @Test
  void oneSecretPerLineIgnoringBlanksAndSpaces() {
    assertThat(SecretLines.parse("old\r\n  new  \n\n")).containsExactly("old", "new");
    assertThat(SecretLines.parse("")).isEmpty();
    assertThat(SecretLines.parse(null)).isEmpty();
  }
}
