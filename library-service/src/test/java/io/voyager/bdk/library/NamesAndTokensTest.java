package io.voyager.bdk.library;

import io.voyager.bdk.model.DnsNames;
import io.voyager.bdk.model.InstanceNames;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.Code;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class NamesAndTokensTest {

  @Test
  void bookNamesAreDnsLabelsDerivedFromNameAndVersion() {
    String a = ResourceNames.book("customer-support", "1.0.0");
    assertThat(a).startsWith("customer-support-1-0-0-").hasSizeLessThanOrEqualTo(63);
    assertThat(DnsNames.isLabel(a)).isTrue();
    assertThat(ResourceNames.book("customer-support", "1.0.0")).isEqualTo(a);
    // versions that sanitize alike still get different names
    assertThat(ResourceNames.book("customer-support", "1.0.0-RC.1"))
        .isNotEqualTo(ResourceNames.book("customer-support", "1.0.0-rc.1"));
    assertThat(ResourceNames.book("a", "1.0.0+b")).isNotEqualTo(ResourceNames.book("a", "1.0.0-b"));
    String longest = ResourceNames.book("a".repeat(63), "1.0.0-" + "x".repeat(100));
    assertThat(DnsNames.isLabel(longest)).isTrue();
  }

  @Test
  void instanceNamesAreDnsLabelsStartingWithALetter() {
    UUID id = UUID.randomUUID();
    String name = ResourceNames.instance("a".repeat(63), id);
    assertThat(name).hasSizeLessThanOrEqualTo(63).endsWith(id.toString());
    assertThat(DnsNames.isLabel(name)).isTrue();
    String digit = ResourceNames.instance("3d-printer", id);
    assertThat(digit).startsWith("b-3d-printer-");
    assertThat(DnsNames.isLabel(digit)).isTrue();
    assertThat(InstanceNames.credentialsSecret(name)).isEqualTo(name + "-credentials");
  }

  @Test
  void semverPrecedenceOrdersVersions() {
    List<String> versions = new ArrayList<>(List.of(
        "1.10.0", "1.0.0", "1.0.0-rc.1", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.11", "1.0.0-beta.2", "1.9.0", "not-semver"));
    versions.sort(SemanticVersion.TEXT_ORDER);
    assertThat(versions).containsExactly(
        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.9.0", "1.10.0", "not-semver");
  }

  @Test
  void pageTokensRoundTripAndRefuseForeignOrMalformedTokens() {
    String token = PageToken.encode("books.v1", List.of("name", "1.0.0", "id"));
    assertThat(PageToken.decode("books.v1", 3, token)).containsExactly("name", "1.0.0", "id");
    for (String bad : List.of("%%%", "bm90LWEtdG9rZW4", token + "x", PageToken.encode("instances.v1", List.of("a", "b", "c")))) {
      ApiException e = catchThrowableOfType(ApiException.class, () -> PageToken.decode("books.v1", 3, bad));
      assertThat(e).as(bad).isNotNull();
      assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT);
      assertThat(e.getMessage()).startsWith("page_token: ");
    }
  }
}
