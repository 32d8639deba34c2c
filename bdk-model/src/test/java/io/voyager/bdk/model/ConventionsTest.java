package io.voyager.bdk.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConventionsTest {
  @ParameterizedTest
  @ValueSource(strings = {"customer-acme", "customer-a", "customer-acme-2"})
  void customerNamespacesQualify(String namespace) {
    assertThat(CustomerNamespaces.isCustomerNamespace(namespace)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"kube-system", "default", "bdk", "customer-", "customer-Acme", "customer-acme-", "acme"})
  void systemAndMalformedNamespacesNeverQualify(String namespace) {
    assertThat(CustomerNamespaces.problem(namespace)).isPresent();
  }

  @Test
  void tooLongNamespaceIsRefusedWithTheReason() {
    assertThat(CustomerNamespaces.problem("customer-" + "a".repeat(60)))
        .contains("must be at most 63 characters");
  }

  @Test
  void webhookPathsAreStableAndDifferPerCustomer() {
    String acme = WebhookRoutes.publicPath("customer-acme", "support", "zendesk");
    String globex = WebhookRoutes.publicPath("customer-globex", "support", "zendesk");
    assertThat(acme).isEqualTo(WebhookRoutes.publicPath("customer-acme", "support", "zendesk"));
    assertThat(acme).isNotEqualTo(globex);
    assertThat(acme).matches("/api/v1/webhooks/zendesk/[0-9a-f]{20}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.0.0", "0.1.2-rc.1", "10.20.30+build.5", "1.0.0-alpha-a.b-c"})
  void semverPatternAcceptsSemanticVersions(String version) {
    assertThat(version).matches(BookDefinitionSpec.SEMVER_PATTERN);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.0", "v1.0.0", "01.0.0", "1.0.0-", "latest"})
  void semverPatternRefusesOthers(String version) {
    assertThat(version).doesNotMatch(BookDefinitionSpec.SEMVER_PATTERN);
  }
}
