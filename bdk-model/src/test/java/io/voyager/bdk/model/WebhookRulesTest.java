package io.voyager.bdk.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The webhook caps, the credentials-Secret rule and the Standard Webhooks secret rule. */
class WebhookRulesTest {

  @ParameterizedTest
  @ValueSource(longs = {1, 300, 3600})
  void tolerancesUpToAnHourAreAccepted(long seconds) {
    assertThat(WebhookLimits.toleranceSecondsProblem(seconds)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(longs = {0, -1, 3601, 86_400})
  void tolerancesOutsideOneSecondToAnHourAreRefusedWithTheValue(long seconds) {
    assertThat(WebhookLimits.toleranceSecondsProblem(seconds)).hasValueSatisfying(p ->
        assertThat(p).contains("from 1 to 3600 seconds").contains("got " + seconds));
  }

  @Test
  void ratesMustBePositiveAndAtMostTheCap() {
    assertThat(WebhookLimits.requestsPerSecondProblem(0.1)).isEmpty();
    assertThat(WebhookLimits.requestsPerSecondProblem(100)).isEmpty();
    assertThat(WebhookLimits.requestsPerSecondProblem(0)).hasValueSatisfying(p -> assertThat(p).contains("above 0"));
    assertThat(WebhookLimits.requestsPerSecondProblem(100.5)).hasValueSatisfying(p -> assertThat(p).contains("at most 100; got 100.5"));
    assertThat(WebhookLimits.requestsPerSecondProblem(Double.NaN)).isPresent();
    assertThat(WebhookLimits.requestsPerSecondProblem(Double.POSITIVE_INFINITY)).isPresent();
  }

  @ParameterizedTest
  @CsvSource({"1,true", "1000,true", "0,false", "1001,false", "-5,false"})
  void burstIsFromOneToAThousand(long burst, boolean ok) {
    assertThat(WebhookLimits.burstProblem(burst).isEmpty()).isEqualTo(ok);
  }

  @ParameterizedTest
  @CsvSource({"1024,true", "1048576,true", "1023,false", "1048577,false", "0,false"})
  void bodyLimitIsFromOneKibToTheGatewaysMaximum(long bytes, boolean ok) {
    assertThat(WebhookLimits.maxBodyBytesProblem(bytes).isEmpty()).isEqualTo(ok);
    if (!ok) {
      assertThat(WebhookLimits.maxBodyBytesProblem(bytes)).hasValueSatisfying(p -> assertThat(p).contains("got " + bytes));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"support-credentials", "a-credentials", "support-desk-b833beea-credentials"})
  void instanceCredentialsSecretsInCustomerNamespacesMayHoldWebhookSecrets(String name) {
    assertThat(CredentialSecrets.problem("customer-acme", name)).isEmpty();
    assertThat(CredentialSecrets.problem("customer-acme", InstanceNames.credentialsSecret("support"))).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
      "kube-system, support-credentials, secret namespace 'kube-system'",
      "bdk, support-credentials, secret namespace 'bdk'",
      "default, support-credentials, secret namespace 'default'",
      "customer-acme, github-webhook, secret name 'github-webhook'",
      "customer-acme, -credentials, secret name '-credentials'",
      "customer-acme, Support-credentials, secret name 'Support-credentials'",
      "customer-acme, support-credentials-old, secret name 'support-credentials-old'",
      "customer-acme, tailscale-state, secret name 'tailscale-state'"})
  void anyOtherSecretIsRefusedNamingIt(String namespace, String name, String named) {
    assertThat(CredentialSecrets.problem(namespace, name)).hasValueSatisfying(p -> assertThat(p).contains(named));
  }

  @Test
  void aCredentialsSecretNameIsAtMostADnsLabelPlusTheSuffix() {
    assertThat(CredentialSecrets.isCredentialsSecretName("a".repeat(63) + "-credentials")).isTrue();
    assertThat(CredentialSecrets.isCredentialsSecretName("a".repeat(64) + "-credentials")).isFalse();
    assertThat(CredentialSecrets.isCredentialsSecretName(null)).isFalse();
  }

  @Test
  void standardWebhooksCredentialsHoldOnlyWhsecSecrets() {
    assertThat(StandardWebhookSecrets.problem("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).isEmpty();
    assertThat(StandardWebhookSecrets.problem("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n\n whsec_c2Vjb25k \n")).isEmpty();
    assertThat(StandardWebhookSecrets.problem("s3cr3t-acme")).hasValueSatisfying(p ->
        assertThat(p).contains("line 1 must start with whsec_").doesNotContain("s3cr3t"));
    assertThat(StandardWebhookSecrets.problem("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\nwhsec_not base64!"))
        .hasValueSatisfying(p -> assertThat(p).contains("line 2 is not whsec_ followed by base64"));
    assertThat(StandardWebhookSecrets.problem("whsec_")).isPresent();
    assertThat(StandardWebhookSecrets.problem("")).isPresent();
    assertThat(StandardWebhookSecrets.problem(null)).isPresent();
  }

  @Test
  void theBodyLimitRoundTripsAndOldArityConstructorsLeaveItUnset() throws Exception {
    ObjectMapper json = new ObjectMapper();
    var binding = new BookInstanceDefinitionSpec.WebhookBinding("github", "github", "key", null, null, null, 4096);
    String text = json.writeValueAsString(binding);
    assertThat(text).contains("\"max_body_bytes\":4096");
    assertThat(json.readValue(text, BookInstanceDefinitionSpec.WebhookBinding.class)).isEqualTo(binding);
    assertThat(new BookInstanceDefinitionSpec.WebhookBinding("github", "github", "key", null, null, null).maxBodyBytes()).isNull();

    var integration = new ExternalBookDefinitionSpec.ExternalIntegration("github", "webhook", null, null, null, 2048);
    String integrationText = json.writeValueAsString(integration);
    assertThat(integrationText).contains("\"max_body_bytes\":2048");
    assertThat(json.readValue(integrationText, ExternalBookDefinitionSpec.ExternalIntegration.class)).isEqualTo(integration);
    assertThat(new ExternalBookDefinitionSpec.ExternalIntegration("github", "webhook", null, null, null).maxBodyBytes()).isNull();
  }
  @Test
  void hmacOptionsAreTheKnownValuesAndEachProblemNamesItsField() {
    assertThat(Hmac.problems(new Hmac(null, null, null, null, null, null))).isEmpty();
    assertThat(Hmac.problems(new Hmac("sha512", "X-Sig", "sha512=", "base64", "timestamp.body", "X-Ts"))).isEmpty();
    assertThat(Hmac.problems(new Hmac("md5", "X-Sig", null, "base32", "all", null)))
        .extracting(Hmac.Problem::field).containsExactly("algorithm", "encoding", "payload");
    assertThat(Hmac.problems(new Hmac("SHA256", null, null, "", null, null)))
        .extracting(Hmac.Problem::field).containsExactly("algorithm", "encoding");
    assertThat(Hmac.problems(new Hmac(null, null, null, null, "timestamp.body", " ")))
        .contains(new Hmac.Problem("timestamp_header", "is required when payload is timestamp.body"));
  }

  /** The CRD schema's patterns (generated from Hmac's annotations) say exactly what the sets say. */
  @Test
  void hmacSchemaPatternsAreTheSets() {
    for (String candidate : List.of("sha1", "sha256", "sha512", "md5", "SHA256", "", "sha256 ", "hex", "base64",
        "base32", "body", "timestamp.body", "timestampXbody")) {
      assertThat(candidate.matches(Hmac.ALGORITHM_PATTERN)).as(candidate).isEqualTo(Hmac.ALGORITHMS.contains(candidate));
      assertThat(candidate.matches(Hmac.ENCODING_PATTERN)).as(candidate).isEqualTo(Hmac.ENCODINGS.contains(candidate));
      assertThat(candidate.matches(Hmac.PAYLOAD_PATTERN)).as(candidate).isEqualTo(Hmac.PAYLOADS.contains(candidate));
    }
  }

  @Test
  void hmacHeadersMustBeHeaderNamesAndAnAbsentHeaderIsXSignature() {
    assertThat(Hmac.DEFAULT_HEADER).isEqualTo("X-Signature");
    assertThat(Hmac.problems(new Hmac(null, "X-Sig: evil", null, null, "timestamp.body", "X Ts")))
        .extracting(Hmac.Problem::field).containsExactly("header", "timestamp_header");
    assertThat(Hmac.problems(new Hmac(null, "X-Hub-Signature-256", null, null, null, null))).isEmpty();
    assertThat(Hmac.problems(new Hmac(null, "", null, null, null, null))).as("empty is no name; absent is the default")
        .extracting(Hmac.Problem::field).containsExactly("header");
    for (String candidate : List.of("X-Signature", "x_sig.1", "X Sig", "X-Sig:", "", "é", "a".repeat(257))) {
      assertThat(candidate.matches(Hmac.HEADER_NAME_PATTERN)).as(candidate)
          .isEqualTo(Hmac.problems(new Hmac(null, candidate, null, null, null, null)).isEmpty());
    }
  }

  @ParameterizedTest
  @CsvSource({"zendesk_secret,true", "tailscale_auth_key,true", "a.b-c_D9,true", "'',false", "no/slash,false",
      "with space,false", "é,false"})
  void secretKeysAreKubernetesDataKeysAndThePatternSaysTheSame(String key, boolean ok) {
    assertThat(SecretKeys.problem(key).isEmpty()).as(key).isEqualTo(ok);
    assertThat(key.matches(SecretKeys.PATTERN)).as(key).isEqualTo(ok);
  }

  @Test
  void aSecretKeyIsAtMost253Characters() {
    assertThat(SecretKeys.problem("k".repeat(253))).isEmpty();
    assertThat(SecretKeys.problem("k".repeat(254))).get().asString().contains("1 to 253").contains("…");
  }
}
