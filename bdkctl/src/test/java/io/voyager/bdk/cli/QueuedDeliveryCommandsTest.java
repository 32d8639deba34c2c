package io.voyager.bdk.cli;

import static io.voyager.bdk.cli.BdkctlRun.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.voyager.bdk.nats.NatsServerBinary;
import io.voyager.bdk.nats.NatsServerProcess;
import io.voyager.bdk.relay.Main;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bdkctl webhook deliveries} and {@code dlq list|replay} against a real nats-server, a real
 * relay and a real HTTP book that refuses (400) until it is fixed.
 */
class QueuedDeliveryCommandsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void aDeadLetteredWebhookIsListedReplayedByIdAndDeliveredWithItsHistoryShown() throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    int[] status = {400};
    HttpServer book = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    book.createContext("/", exchange -> {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        received.add(exchange.getRequestHeaders().getFirst("x-bdk-webhook-id"));
        exchange.sendResponseHeaders(status[0], -1);
      }
    });
    book.start();
    try (NatsServerProcess nats = NatsServerProcess.startEphemeral(NatsServerBinary.checkoutRoot(), dir.resolve("nats"));
        AutoCloseable relay = Main.start("--nats-url", nats.url(),
            "--http-host", "127.0.0.1", "--http-port", "0", "--admin-host", "127.0.0.1", "--admin-port", "0",
            "--delivery-url", "http://127.0.0.1:" + book.getAddress().getPort() + "/{integration}",
            "--retry-schedule", "0s,100ms", "--plaintext")) {
      int relayPort = ((Main.Running) relay).httpPort();
      String url = nats.url();
      assertThat(run("webhook", "dlq", "replay", "--nats-url", url).err())
          .contains("say which dead letters to replay: --id WEBHOOK_ID, --since DURATION");

      HttpResponse<String> accepted = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relayPort + "/api/v1/webhooks/stripe/k"))
              .header("x-bdk-webhook-id", "evt_cli_1").header("x-bdk-instance", "customer-acme/shop-1")
              .header("x-bdk-integration", "stripe").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(accepted.statusCode()).isEqualTo(202);

      await("dead-lettered").atMost(WAIT).until(() -> run("webhook", "dlq", "list", "--nats-url", url).out().contains("evt_cli_1"));
      BdkctlRun list = run("webhook", "dlq", "list", "--nats-url", url, "--since", "1h");
      assertThat(list.exitCode()).isZero();
      assertThat(list.out()).contains("SEQ", "WEBHOOK_ID", "REASON")
          .containsPattern("evt_cli_1\\s+customer-acme/shop-1\\s+stripe\\s+client_error\\s+1\\s+400");
      assertThat(run("webhook", "dlq", "list", "--nats-url", url, "--namespace", "customer-acme", "--instance", "other").out())
          .doesNotContain("evt_cli_1");
      assertThat(run("webhook", "deliveries", "--nats-url", url, "--namespace", "customer-acme", "--instance", "shop-1").out())
          .containsPattern("evt_cli_1\\s+stripe\\s+dead_lettered\\s+1\\s+400");
      BdkctlRun queue = run("webhook", "queue", "--nats-url", url, "--namespace", "customer-acme", "--instance", "shop-1",
          "--integration", "stripe", "--integration", "github");
      assertThat(queue.exitCode()).as(queue.err()).isZero();
      assertThat(queue.out()).contains("INTEGRATION", "WAITING", "DEAD_LETTERED")
          .containsPattern("stripe\\s+0\\s+-\\s+1\\s+client_error 400 at ")
          .containsPattern("github\\s+0\\s+-\\s+0\\s+-");

      status[0] = 200;
      BdkctlRun replay = run("webhook", "dlq", "replay", "--nats-url", url, "--id", "evt_cli_1");
      assertThat(replay.exitCode()).as(replay.err()).isZero();
      assertThat(replay.out()).contains("replayed evt_cli_1 (customer-acme/shop-1/stripe)", "1 replayed");
      await("delivered after the replay").atMost(WAIT).until(() ->
          run("webhook", "deliveries", "--nats-url", url, "--namespace", "customer-acme", "--instance", "shop-1")
              .out().matches("(?s).*evt_cli_1\\s+stripe\\s+delivered\\s+1\\s+200.*"));
      assertThat(received).containsExactly("evt_cli_1", "evt_cli_1");
      assertThat(run("webhook", "dlq", "list", "--nats-url", url).out()).doesNotContain("evt_cli_1");
      assertThat(run("webhook", "dlq", "replay", "--nats-url", url, "--all").out()).contains("no dead letters matched");
    } finally {
      book.stop(0);
    }
  }

  @Test
  void anUnreachableNatsIsOneClearError() {
    BdkctlRun queue = run("webhook", "queue", "--nats-url", "nats://127.0.0.1:1", "--namespace", "customer-acme",
        "--instance", "x", "--integration", "stripe");
    assertThat(queue.exitCode()).isEqualTo(2);
    assertThat(queue.err()).startsWith("cannot read the queue from nats://127.0.0.1:1");
    BdkctlRun run = run("webhook", "deliveries", "--nats-url", "nats://127.0.0.1:1", "--namespace", "customer-acme",
        "--instance", "x");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).startsWith("cannot read deliveries from nats://127.0.0.1:1");
    assertThat(run("webhook", "dlq", "list", "--since", "soon").err()).contains("--since: 'soon' is not a duration");
  }
}
