package io.voyager.bdk.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nats.client.impl.Headers;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AcceptContractTest {
  @Test
  void routingHeadersAreCheckedAndNamedWithoutEchoingTheirValues() {
    assertThat(AcceptHandler.routingProblem("wh-1", "customer-acme/book-1", "github", null)).isNull();
    assertThat(AcceptHandler.routingProblem(null, "customer-acme/book-1", "github", null))
        .startsWith("header x-bdk-webhook-id is missing");
    assertThat(AcceptHandler.routingProblem("has space", "customer-acme/book-1", "github", null))
        .startsWith("header x-bdk-webhook-id is malformed");
    assertThat(AcceptHandler.routingProblem("wh-1", "no-slash", "github", null))
        .startsWith("header x-bdk-instance is malformed");
    assertThat(AcceptHandler.routingProblem("wh-1", "customer-acme/Bad<Name>", "github", null))
        .startsWith("header x-bdk-instance is malformed").doesNotContain("Bad<Name>");
    assertThat(AcceptHandler.routingProblem("wh-1", "customer-acme/book-1", null, null))
        .startsWith("header x-bdk-integration is missing");
    assertThat(AcceptHandler.routingProblem("wh-1", "customer-acme/book-1", "github", "yes"))
        .isEqualTo("header x-bdk-ordered must be true or false");
  }

  @Test
  void anEnvelopeSurvivesTheQueueWithItsHeadersAndRouting() {
    WebhookEnvelope webhook = new WebhookEnvelope("wh-1", "customer-acme", "book-1", "github", "customer-acme/book",
        true, "/api/v1/webhooks/github/abc", Instant.parse("2026-01-01T00:00:00Z"),
        List.of(Map.entry("x-github-event", "push"), Map.entry("accept", "a"), Map.entry("accept", "b")),
        "{}".getBytes());
    var message = webhook.toMessage();
    assertThat(message.getSubject()).isEqualTo("bdk.webhooks." + webhook.endpointKey());
    assertThat(message.getHeaders().getFirst("Nats-Msg-Id")).isEqualTo("wh-1");
    WebhookEnvelope back = WebhookEnvelope.from(message.getHeaders(), message.getData());
    assertThat(back.webhookId()).isEqualTo("wh-1");
    assertThat(back.endpoint()).isEqualTo("customer-acme/book-1/github");
    assertThat(back.ordered()).isTrue();
    assertThat(back.receivedAt()).isEqualTo(webhook.receivedAt());
    assertThat(back.httpHeaders()).containsExactlyInAnyOrder(
        Map.entry("x-github-event", "push"), Map.entry("accept", "a"), Map.entry("accept", "b"));
    assertThatThrownBy(() -> WebhookEnvelope.from(new Headers().put("Bdk-Webhook-Id", "x"), new byte[0]))
        .hasMessage("header Bdk-Namespace is missing");
  }

  @Test
  void theDeliveryTargetFillsInTheTemplate() {
    WebhookEnvelope webhook = new WebhookEnvelope("wh-1", "customer-acme", "book-1", "github", null, false,
        "/api/v1/webhooks/github/abc", Instant.EPOCH, List.of(), new byte[0]);
    assertThat(new DeliveryTarget("http://gw:8081/bdk-internal/v1/deliveries/{namespace}/{name}/{integration}")
        .uri(webhook)).hasToString("http://gw:8081/bdk-internal/v1/deliveries/customer-acme/book-1/github");
    assertThat(new DeliveryTarget("http://127.0.0.1:9{path}").uri(webhook))
        .hasToString("http://127.0.0.1:9/api/v1/webhooks/github/abc");
    assertThatThrownBy(() -> new DeliveryTarget("gw:8081/x")).hasMessageStartingWith("--delivery-url must start with http");
  }

  @Test
  void badFlagsAreNamed() {
    assertThatThrownBy(() -> Main.start("--retry-schedule", "0s,soon")).hasMessageContaining("--retry-schedule: retry schedule entry 'soon'");
    assertThatThrownBy(() -> Main.start("--delivery-timeout", "ten")).hasMessageContaining("--delivery-timeout: 'ten' is not a duration");
    assertThatThrownBy(() -> Main.start("--delivery-timeout", "10s", "--ack-wait", "5s")).hasMessageContaining("--ack-wait");
    assertThatThrownBy(() -> Main.start("--delivery-url", "ftp://x")).hasMessageContaining("--delivery-url must start with http");
  }
}
