package io.voyager.bdk.cli;

import io.nats.client.Connection;
import io.voyager.bdk.relay.WebhookRelay;
import picocli.CommandLine.Option;

/**
 * {@code --nats-url}: the JetStream the webhook relay keeps its queue, dead letters and delivery
 * records in. bdkctl reads and replays them there directly (not through the relay's admin port), so
 * it works while every relay is down — when the dead letters matter most — and needs no admin API.
 */
final class NatsOptions {
  @Option(names = "--nats-url", paramLabel = "URL",
      description = "NATS server of the webhook relay (default: $BDK_NATS_URL, else ${DEFAULT-VALUE}).")
  String url = System.getenv().getOrDefault("BDK_NATS_URL", "nats://127.0.0.1:4222");

  Connection connect() throws Exception {
    return WebhookRelay.connect(url);
  }
}
