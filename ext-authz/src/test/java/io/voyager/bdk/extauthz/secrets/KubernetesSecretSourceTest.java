package io.voyager.bdk.extauthz.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.voyager.bdk.extauthz.TestTime;
import io.voyager.bdk.extauthz.scheme.DenyReason;
import io.voyager.bdk.extauthz.scheme.WebhookDenied;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A failed Secret read is remembered briefly: a flood of requests naming a Secret the API server
 * refuses costs one read per {@code failureTtl}, not one per request. (The mock server here answers
 * by expectation: every read of the Secret is refused 403, and it counts the requests it got.)
 */
@EnableKubernetesMockClient
class KubernetesSecretSourceTest {
  static final SecretRef REF = new SecretRef("customer-a", "books-credentials", "secret");
  static final String PATH = "/api/v1/namespaces/customer-a/secrets/books-credentials";

  KubernetesMockServer server;
  KubernetesClient client;
  TestTime time;
  KubernetesSecretSource source;

  @BeforeEach
  void start() {
    server.expect().get().withPath(PATH)
        .andReturn(403, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403}")
        .always();
    time = new TestTime(Instant.parse("2025-06-01T12:00:00Z"));
    source = new KubernetesSecretSource(client, 100, Duration.ofHours(1), Duration.ofSeconds(5), time);
  }

  @AfterEach
  void stop() {
    source.close();
  }

  @Test
  void aFloodOfRequestsForAnUnreadableSecretReadsItOncePerFailureTtl() {
    int before = server.getRequestCount();
    for (int i = 0; i < 50; i++) {
      WebhookDenied denied = catchThrowableOfType(WebhookDenied.class, () -> source.secrets(REF));
      assertThat(denied.reason()).isEqualTo(DenyReason.SECRET_UNAVAILABLE);
      assertThat(denied.getMessage()).contains("customer-a/books-credentials").contains("cannot be read");
    }
    assertThat(server.getRequestCount() - before).as("API reads for 50 requests").isEqualTo(1);
    assertThat(source.reads()).isEqualTo(1);

    time.advance(Duration.ofSeconds(4));
    catchThrowableOfType(WebhookDenied.class, () -> source.secrets(REF));
    assertThat(server.getRequestCount() - before).as("still within the failure TTL").isEqualTo(1);

    time.advance(Duration.ofSeconds(2));
    catchThrowableOfType(WebhookDenied.class, () -> source.secrets(REF));
    assertThat(server.getRequestCount() - before).as("read again once the TTL passed").isEqualTo(2);
  }

  @Test
  void anotherSecretIsNotAffectedByOnesFailure() {
    server.expect().get().withPath("/api/v1/namespaces/customer-b/secrets/other-credentials")
        .andReturn(403, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403}")
        .always();
    catchThrowableOfType(WebhookDenied.class, () -> source.secrets(REF));
    int before = server.getRequestCount();
    catchThrowableOfType(WebhookDenied.class, () -> source.secrets(new SecretRef("customer-b", "other-credentials", "secret")));
    assertThat(server.getRequestCount() - before).isEqualTo(1);
  }

  @Test
  void readyOnlyWhileTheSecretOrItsFailureIsInMemory() {
    assertThat(source.ready("customer-a", "books-credentials")).as("never read").isFalse();
    catchThrowableOfType(WebhookDenied.class, () -> source.secrets(REF));
    assertThat(source.ready("customer-a", "books-credentials")).as("the failed read is remembered").isTrue();
    assertThat(source.ready("customer-b", "other-credentials")).isFalse();

    time.advance(Duration.ofSeconds(6));
    assertThat(source.ready("customer-a", "books-credentials")).as("the failure TTL passed: the next check reads again").isFalse();
  }
}
