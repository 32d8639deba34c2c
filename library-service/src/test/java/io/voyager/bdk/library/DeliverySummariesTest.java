package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.library.v1.WebhookDeliverySummary;
import io.voyager.bdk.relay.QueueSettings;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Without NATS the summary says unavailable and why, and costs no wait: an instance read never
 * fails for it. (With a real nats-server, through Envoy: local-stack's QueuedWebhookEndToEndTest.)
 */
class DeliverySummariesTest {

  @Test
  void anInstanceWithoutQueuedBindingsHasNoSummary() {
    assertThat(DeliverySummaries.unconfigured().summarize("customer-acme", "orders", List.of())).isNull();
  }

  @Test
  void withoutNatsConfiguredTheSummaryIsUnavailableAndSaysWhy() {
    WebhookDeliverySummary summary = DeliverySummaries.unconfigured().summarize("customer-acme", "orders", List.of("zendesk"));
    assertThat(summary.getState()).isEqualTo(DeliverySummaries.UNAVAILABLE);
    assertThat(summary.getUnavailableReason()).contains("--nats-url");
    assertThat(summary.getBindingsList()).isEmpty();
    assertThat(summary.getWaitingCount()).isZero();
  }

  @Test
  void withNatsUnreachableTheSummaryIsUnavailableAtOnce() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (DeliverySummaries summaries = DeliverySummaries.connecting("nats://127.0.0.1:" + closedPort,
        QueueSettings.defaults(), Duration.ofSeconds(2), Duration.ofSeconds(5), Clock.systemUTC())) {
      WebhookDeliverySummary summary = summaries.summarize("customer-acme", "orders", List.of("zendesk", "stripe"));
      assertThat(summary.getState()).isEqualTo(DeliverySummaries.UNAVAILABLE);
      assertThat(summary.getUnavailableReason()).isEqualTo("NATS at nats://127.0.0.1:" + closedPort + " is not connected");
    }
  }
}
