package io.voyager.bdk.support.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/** The JWKS from a ConfigMap or Secret key on the fabric8 mock server: watched, rotated, failing closed. */
@EnableKubernetesMockClient(crud = true)
class KubernetesJwksKeysTest {
  static final TestIssuer FIRST = new TestIssuer("k1", "e1");
  static final TestIssuer SECOND = new TestIssuer("k2", "e2");
  static final Duration WAIT = Duration.ofSeconds(10);

  KubernetesClient client;

  private static JwtSettings.KubernetesJwks configMap() {
    return JwtSettings.KubernetesJwks.parse(JwtSettings.KubernetesJwks.Kind.CONFIG_MAP, "bdk/bdk-jwks");
  }

  private void putConfigMap(String json) {
    client.configMaps().inNamespace("bdk").resource(new ConfigMapBuilder().withNewMetadata().withName("bdk-jwks")
        .withNamespace("bdk").endMetadata().withData(Map.of("jwks.json", json)).build()).createOr(op -> op.update());
  }

  @Test
  void aConfigMapJwksIsWatched_rotationAppliesAndAMissingOrBrokenOneFailsClosed() throws Exception {
    try (VerificationKeys keys = VerificationKeys.open(configMap(), client, WAIT)) {
      TokenVerifier verifier = new TokenVerifier(TestIssuer.settings(configMap()), keys, Clock.systemUTC());
      String first = FIRST.token("alice").organization("acme").roles("org-admin").sign();
      String second = SECOND.token("alice").es256().sign();

      assertUnavailable(() -> verifier.verify(first), "ConfigMap bdk/bdk-jwks key jwks.json does not exist");

      putConfigMap(FIRST.publicJwksJson());
      await().atMost(WAIT).ignoreExceptions().until(() -> verifier.verify(first).organizationId().equals("acme"));

      // rotation: the next call uses the new keys, the old key verifies nothing any more
      putConfigMap(SECOND.publicJwksJson());
      await().atMost(WAIT).ignoreExceptions().until(() -> verifier.verify(second).subject().equals("alice"));
      TokenRejectedException old = catchThrowableOfType(TokenRejectedException.class, () -> verifier.verify(first));
      assertThat(old.kind()).isEqualTo(TokenRejectedException.Kind.INVALID);

      putConfigMap("{\"keys\": [oops");
      await().atMost(WAIT).until(() -> unavailable(() -> verifier.verify(second)));
      assertUnavailable(() -> verifier.verify(second), "ConfigMap bdk/bdk-jwks key jwks.json is not a usable JWKS: ");

      // a symmetric key published in the JWKS never becomes a verification key
      putConfigMap("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k1\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA\"}]}");
      await().atMost(WAIT).until(() -> message(() -> verifier.verify(second)).contains("holds no RSA or EC public key"));

      putConfigMap(SECOND.publicJwksJson());
      await().atMost(WAIT).ignoreExceptions().until(() -> verifier.verify(second).subject().equals("alice"));
      client.configMaps().inNamespace("bdk").withName("bdk-jwks").delete();
      await().atMost(WAIT).until(() -> message(() -> verifier.verify(second)).endsWith("does not exist"));
    }
  }

  @Test
  void aSecretJwksUnderItsOwnKey() throws Exception {
    JwtSettings.KubernetesJwks source =
        JwtSettings.KubernetesJwks.parse(JwtSettings.KubernetesJwks.Kind.SECRET, "auth/oidc-keys:public.json");
    client.secrets().inNamespace("auth").resource(new SecretBuilder().withNewMetadata().withName("oidc-keys")
        .withNamespace("auth").endMetadata()
        .withData(Map.of("public.json", Base64.getEncoder().encodeToString(FIRST.publicJwksJson().getBytes(StandardCharsets.UTF_8)),
            "jwks.json", Base64.getEncoder().encodeToString("{}".getBytes(StandardCharsets.UTF_8))))
        .build()).create();
    try (VerificationKeys keys = VerificationKeys.open(source, client, WAIT)) {
      assertThat(keys.describe()).isEqualTo("Secret auth/oidc-keys key public.json");
      TokenVerifier verifier = new TokenVerifier(TestIssuer.settings(source), keys, Clock.systemUTC());
      assertThat(verifier.verify(FIRST.token("alice").es256().sign()).subject()).isEqualTo("alice");
    }
  }

  @Test
  void aKeyMissingFromTheObjectFailsClosed() throws Exception {
    client.configMaps().inNamespace("bdk").resource(new ConfigMapBuilder().withNewMetadata().withName("bdk-jwks")
        .withNamespace("bdk").endMetadata().withData(Map.of("other.json", FIRST.publicJwksJson())).build()).create();
    try (VerificationKeys keys = VerificationKeys.open(configMap(), client, WAIT)) {
      TokenVerifier verifier = new TokenVerifier(TestIssuer.settings(configMap()), keys, Clock.systemUTC());
      await().atMost(WAIT).until(() -> message(() -> verifier.verify(FIRST.token("alice").sign()))
          .equals("the signing keys (JWKS) are unavailable, so no token can be verified: ConfigMap bdk/bdk-jwks key jwks.json is missing or empty"));
    }
  }

  private static void assertUnavailable(Callable<?> call, String reason) {
    TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, call::call);
    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(TokenRejectedException.Kind.KEYS_UNAVAILABLE);
    assertThat(e.getMessage()).isEqualTo("the signing keys (JWKS) are unavailable, so no token can be verified: " + reason
        + (reason.endsWith(": ") ? e.getMessage().substring(e.getMessage().indexOf(reason) + reason.length()) : ""));
  }

  private static boolean unavailable(Callable<?> call) {
    TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, call::call);
    return e != null && e.kind() == TokenRejectedException.Kind.KEYS_UNAVAILABLE;
  }

  private static String message(Callable<?> call) {
    TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class, call::call);
    return e == null ? "" : e.getMessage();
  }
}
