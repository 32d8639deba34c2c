package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.library.v1.WebhookDeliverySummary;
import io.voyager.bdk.nats.NatsServerBinary;
import io.voyager.bdk.nats.NatsServerProcess;
import io.voyager.bdk.relay.QueueSettings;
import io.voyager.bdk.support.LoopbackPorts;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without NATS the summary says unavailable and why, and costs no wait: an instance read never
 * fails for it; a NATS that comes up later (or back) is picked up. (The figures against a real
 * relay, through Envoy: local-stack's QueuedWebhookEndToEndTest.)
 */
class DeliverySummariesTest {
  @TempDir Path dir;

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
    closedPort = LoopbackPorts.freePort();
    try (DeliverySummaries summaries = DeliverySummaries.connecting("nats://127.0.0.1:" + closedPort,
        QueueSettings.defaults(), Duration.ofSeconds(2), Duration.ofSeconds(5), Clock.systemUTC(), new SimpleMeterRegistry())) {
      WebhookDeliverySummary summary = summaries.summarize("customer-acme", "orders", List.of("zendesk", "stripe"));
      assertThat(summary.getState()).isEqualTo(DeliverySummaries.UNAVAILABLE);
      assertThat(summary.getUnavailableReason()).isEqualTo("NATS at nats://127.0.0.1:" + closedPort + " is not connected");
    }
  }

  @Test
  void aNatsThatStartsLaterIsPickedUpAndOneThatStopsIsReportedAgain() throws Exception {
    int port;
    port = LoopbackPorts.freePort();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (DeliverySummaries summaries = DeliverySummaries.connecting("nats://127.0.0.1:" + port,
        QueueSettings.defaults(), Duration.ofSeconds(2), Duration.ofMillis(200), Clock.systemUTC(), registry)) {
      assertThat(summaries.summarize("customer-acme", "orders", List.of("zendesk")).getState())
          .isEqualTo(DeliverySummaries.UNAVAILABLE);
      try (NatsServerProcess nats = NatsServerProcess.start(NatsServerBinary.locate(NatsServerBinary.checkoutRoot()), dir.resolve("nats"),
          NatsServerProcess.Settings.defaults().withPort(port))) {
        WebhookDeliverySummary available = await("connected once NATS is up").atMost(Duration.ofSeconds(60))
            .until(() -> summaries.summarize("customer-acme", "orders", List.of("zendesk")),
                s -> s.getState().equals(DeliverySummaries.AVAILABLE));
        assertThat(available.getBindingsList()).singleElement().satisfies(b -> {
          assertThat(b.getIntegration()).isEqualTo("zendesk");
          assertThat(b.getWaitingCount()).as("no relay has made the streams yet: nothing waits").isZero();
          assertThat(b.hasOldestWaitingAge()).isFalse();
        });
        assertThat(available.getReadTime()).isNotEmpty();
        assertThat(registry.get("bdk.library.delivery.summary.reads").tag("result", "available").counter().count())
            .isGreaterThanOrEqualTo(1);
        nats.stop();
        WebhookDeliverySummary down = await("NATS stopped").atMost(Duration.ofSeconds(60))
            .until(() -> summaries.summarize("customer-acme", "orders", List.of("zendesk")),
                s -> s.getState().equals(DeliverySummaries.UNAVAILABLE));
        assertThat(down.getUnavailableReason()).contains("is not connected");
        assertThat(registry.get("bdk.library.delivery.summary.reads").tag("result", "unavailable").counter().count())
            .isGreaterThanOrEqualTo(2);
      }
    }
  }
}
