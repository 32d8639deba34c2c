package io.voyager.bdk.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** DNS-1123 labels and subdomains, and the customer-namespace rule built on them. */
class DnsNamesTest {
  static final String LONGEST_LABEL = "a".repeat(63);

  @ParameterizedTest
  @ValueSource(strings = {"a", "0", "acme", "acme-2", "a-b-c", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
  void labelsAreAcceptedByTheRuleAndTheSchemaPattern(String value) {
    assertThat(DnsNames.labelProblem(value)).isEmpty();
    assertThat(value.matches(DnsNames.LABEL_PATTERN)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-a", "a-", "Acme", "a_b", "a.b", "a b", "é"})
  void nonLabelsAreRefusedByTheRuleAndTheSchemaPattern(String value) {
    assertThat(DnsNames.labelProblem(value)).isPresent();
    assertThat(value.matches(DnsNames.LABEL_PATTERN)).isFalse();
  }

  @Test
  void aLabelBeyond63IsRefusedNamingTheLimit() {
    assertThat(DnsNames.labelProblem(LONGEST_LABEL + "a")).hasValue("must be at most 63 characters (DNS-1123 label)");
    assertThat((LONGEST_LABEL + "a").matches(DnsNames.LABEL_PATTERN)).isFalse();
  }

  @Test
  void subdomainsAreDotJoinedLabelsUpTo253() {
    assertThat(DnsNames.isSubdomain("bdk-edge-tls")).isTrue();
    assertThat(DnsNames.isSubdomain("a.b-c.d")).isTrue();
    assertThat(DnsNames.isSubdomain("a..b")).isFalse();
    assertThat(DnsNames.isSubdomain("a.-b")).isFalse();
    assertThat(DnsNames.isSubdomain("a".repeat(254))).isFalse();
    assertThat(DnsNames.isSubdomain("a".repeat(253))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"customer-a", "customer-acme-2", "customer-0"})
  void customerNamespacesAreAcceptedByTheRuleAndTheSchemaPattern(String ns) {
    assertThat(CustomerNamespaces.problem(ns)).isEmpty();
    assertThat(ns.matches(CustomerNamespaces.PATTERN)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "customer-", "customer--a", "customer-a-", "customer-A", "kube-system", "bdk", "xcustomer-a"})
  void otherNamespacesAreRefusedByTheRuleAndTheSchemaPattern(String ns) {
    assertThat(CustomerNamespaces.problem(ns)).isPresent();
    assertThat(ns.matches(CustomerNamespaces.PATTERN)).isFalse();
  }

  @Test
  void theLongestCustomerNamespaceIs63() {
    String longest = "customer-" + "a".repeat(54);
    assertThat(CustomerNamespaces.problem(longest)).isEmpty();
    assertThat(longest.matches(CustomerNamespaces.PATTERN)).isTrue();
    assertThat(CustomerNamespaces.problem(longest + "a")).isPresent();
    assertThat((longest + "a").matches(CustomerNamespaces.PATTERN)).isFalse();
  }

  @Test
  void credentialsSecretsAreALabelAndTheSuffix() {
    assertThat(CredentialSecrets.isCredentialsSecretName("acme-credentials")).isTrue();
    assertThat(CredentialSecrets.isCredentialsSecretName(LONGEST_LABEL + "-credentials")).isTrue();
    assertThat(CredentialSecrets.isCredentialsSecretName(LONGEST_LABEL + "a-credentials")).isFalse();
    assertThat(CredentialSecrets.isCredentialsSecretName("-credentials")).isFalse();
    assertThat(CredentialSecrets.isCredentialsSecretName("tailscale-state")).isFalse();
  }
}
