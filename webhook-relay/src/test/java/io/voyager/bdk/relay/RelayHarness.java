package io.voyager.bdk.relay;

import io.nats.client.Connection;
import io.voyager.bdk.nats.NatsServerBinary;
import io.voyager.bdk.nats.NatsServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A real nats-server (its own store), a relay started through its {@code Main} with short
 * schedules, and what a test needs to drive and observe them: send a webhook as Envoy would, read
 * delivery records and dead letters from JetStream.
 */
final class RelayHarness implements AutoCloseable {
  static final String NAMESPACE = "customer-acme";
  static final String NAME = "orders-1";
  static final String INTEGRATION = "github";

  final NatsServerProcess nats;
  private final List<String> relayArgs;
  private Main.Running relay;
  private Connection observer;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  RelayHarness(Path dir, ScriptedBook book, String... extraArgs) {
    this.nats = NatsServerProcess.startEphemeral(NatsServerBinary.checkoutRoot(), dir.resolve("nats"));
    Map<String, String> flags = new LinkedHashMap<>(Map.of(
        "--nats-url", nats.url(),
        "--admin-host", "127.0.0.1", "--admin-port", "0",
        "--delivery-url", "http://127.0.0.1:" + book.port() + "/hooks/{namespace}/{name}/{integration}",
        "--retry-schedule", "0s,100ms,100ms",
        "--delivery-timeout", "5s",
        "--breaker-failures", "1000",
        "--publish-timeout", "3s"));
    flags.putAll(Map.of("--http-host", "127.0.0.1", "--http-port", "0"));
    flags.put("--plaintext", null); // these tests talk plain HTTP; RelayMutualTlsTest covers TLS
    for (int i = 0; i + 1 < extraArgs.length; i += 2) {
      flags.put(extraArgs[i], extraArgs[i + 1]);
    }
    List<String> args = new ArrayList<>();
    flags.forEach((flag, value) -> {
      args.add(flag);
      if (value != null) {
        args.add(value);
      }
    });
    this.relayArgs = List.copyOf(args);
    startRelay();
  }

  void startRelay() {
    relay = (Main.Running) Main.start(relayArgs.toArray(String[]::new));
  }

  /** A second relay replica on the same JetStream (same consumer, same buckets). */
  Main.Running startAnotherRelay() {
    return (Main.Running) Main.start(relayArgs.toArray(String[]::new));
  }

  void stopRelay() {
    if (relay != null) {
      relay.close();
      relay = null;
    }
  }

  Main.Running relay() {
    return relay;
  }

  /** POSTs a webhook to the relay as Envoy would after ext_authz: body, headers, routing headers. */
  HttpResponse<String> send(String webhookId, String body, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.httpPort()
            + "/api/v1/webhooks/github/0123456789abcdef0123"))
        .timeout(Duration.ofSeconds(30))
        .header("content-type", "application/json")
        .header("x-github-event", "push")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (webhookId != null) {
      request.header("x-bdk-webhook-id", webhookId);
    }
    request.header("x-bdk-instance", NAMESPACE + "/" + NAME).header("x-bdk-integration", INTEGRATION)
        .header("x-bdk-routed-to", NAMESPACE + "/orders");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      request.setHeader(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  String adminGet(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.adminPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  static String newId() {
    return "wh-" + UUID.randomUUID();
  }

  synchronized Connection observer() throws Exception {
    if (observer == null) {
      observer = WebhookRelay.connect(nats.url());
    }
    return observer;
  }

  Optional<DeliveryRecord> record(String webhookId) throws Exception {
    return new DeliveryRecords(observer(), QueueSettings.defaults()).get(NAMESPACE, NAME, webhookId);
  }

  DeadLetters deadLetters() throws Exception {
    return new DeadLetters(observer(), QueueSettings.defaults(), Duration.ofSeconds(5));
  }

  List<DeadLetters.DeadLetter> deadLettersOf(String webhookId) throws Exception {
    return deadLetters().list(null, webhookId, null, 100);
  }

  @Override
  public void close() throws Exception {
    stopRelay();
    if (observer != null) {
      observer.close();
    }
    nats.close();
  }
}
