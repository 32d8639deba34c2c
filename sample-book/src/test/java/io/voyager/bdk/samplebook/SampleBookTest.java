package io.voyager.bdk.samplebook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SampleBookTest {
  private static final String SECRET_BODY = "{\"token\":\"super-secret-token\"}";
  private final HttpClient http = HttpClient.newHttpClient();
  private SampleBook book;

  @AfterEach
  void stop() {
    if (book != null) {
      book.close();
    }
  }

  @Test
  void healthAnswers200() throws Exception {
    book = SampleBook.start(0, "acme-support");

    HttpResponse<String> response = get("/health");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Json.MAPPER.readTree(response.body()).get("backend").asText()).isEqualTo("acme-support");
  }

  @Test
  void postIsAcknowledgedWithTheSeedsJsonAndTheTenant() throws Exception {
    book = SampleBook.start(0, "shared-books");

    HttpResponse<String> response = postWebhook("wh-1", "customer-acme/support-book", "customer-acme/support");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-bdk-webhook-id")).contains("wh-1");
    JsonNode ack = Json.MAPPER.readTree(response.body());
    assertThat(ack.get("webhook_id").asText()).isEqualTo("wh-1");
    assertThat(ack.get("processed").asBoolean()).isTrue();
    assertThat(ack.get("routed_to").asText()).isEqualTo("customer-acme/support-book");
    assertThat(ack.get("instance").asText()).isEqualTo("customer-acme/support");
    assertThat(ack.get("handled_by").asText()).isEqualTo("shared-books");
    assertThat(ack.get("processing_time_ms").isIntegralNumber()).isTrue();
  }

  @Test
  void debugReceivedShowsRoutingFactsButNeitherBodyNorSignature() throws Exception {
    book = SampleBook.start(0, "acme-support");
    postWebhook("wh-1", "customer-acme/support-book", "customer-acme/support");

    HttpResponse<String> response = get("/debug/received");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode view = Json.MAPPER.readTree(response.body());
    assertThat(view.get("total").asLong()).isEqualTo(1);
    JsonNode event = view.get("received").get(0);
    assertThat(event.get("backend").asText()).isEqualTo("acme-support");
    assertThat(event.get("webhook_id").asText()).isEqualTo("wh-1");
    assertThat(event.get("routed_to").asText()).isEqualTo("customer-acme/support-book");
    assertThat(event.get("instance").asText()).isEqualTo("customer-acme/support");
    assertThat(event.get("integration").asText()).isEqualTo("zendesk");
    assertThat(event.get("body_bytes").asLong()).isEqualTo(SECRET_BODY.getBytes(StandardCharsets.UTF_8).length);
    assertThat(event.get("content_type").asText()).isEqualTo("application/json");
    assertThat(event.get("path").asText()).isEqualTo("/api/v1/webhooks/zendesk/k1");
    assertThat(response.body()).doesNotContain("super-secret-token").doesNotContain("sig-value");
    assertThat(book.received()).singleElement().extracting(ReceivedWebhook::webhookId).isEqualTo("wh-1");
  }

  @Test
  void logsOneLineWithoutBodyOrSignature() throws Exception {
    book = SampleBook.start(0, "acme-support");
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      postWebhook("wh-log", "customer-acme/support-book", "customer-acme/support");
    } finally {
      System.setErr(original);
    }

    String logged = captured.toString(StandardCharsets.UTF_8);
    assertThat(logged.lines().filter(line -> line.contains("event=webhook_received")))
        .singleElement()
        .satisfies(
            line ->
                assertThat(line)
                    .contains("webhook_id=wh-log", "routed_to=customer-acme/support-book",
                        "instance=customer-acme/support", "integration=zendesk", "body_bytes=")
                    .doesNotContain("super-secret-token", "sig-value"));
  }

  @Test
  void remembersOnlyTheLastNButCountsAll() throws Exception {
    book = SampleBook.start("127.0.0.1", 0, "small", 2);
    for (String id : new String[] {"a", "b", "c"}) {
      assertThat(postWebhook(id, "customer-x/b", null).statusCode()).isEqualTo(200);
    }

    assertThat(book.received()).extracting(ReceivedWebhook::webhookId).containsExactly("b", "c");
    assertThat(book.receivedTotal()).isEqualTo(3);
  }

  @Test
  void postWithoutRoutingHeadersIsStillAcknowledged() throws Exception {
    book = SampleBook.start(0, "plain");

    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + book.port() + "/anything"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode ack = Json.MAPPER.readTree(response.body());
    assertThat(ack.get("webhook_id").isNull()).isTrue();
    assertThat(ack.has("instance")).isFalse();
  }

  @Test
  void unknownPathIs404AndOtherMethodsAre405() throws Exception {
    book = SampleBook.start(0, "acme-support");

    assertThat(get("/nope").statusCode()).isEqualTo(404);
    HttpResponse<String> put =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + book.port() + "/health"))
                .PUT(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).isEqualTo(405);
    assertThat(put.headers().firstValue("Allow")).contains("GET, POST");
  }

  @Test
  void mainStartsOnTheGivenPortAndStopsOnClose() throws Exception {
    book = Main.start("--port", "0", "--host", "127.0.0.1", "--name", "from-main");
    int port = book.port();

    assertThat(get("/health").statusCode()).isEqualTo(200);
    book.close();
    book = null;
    try (var socket = new java.net.Socket()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000))
          .isInstanceOf(java.io.IOException.class);
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + book.port() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> postWebhook(String id, String routedTo, String instance) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + book.port() + "/api/v1/webhooks/zendesk/k1"))
            .header("Content-Type", "application/json")
            .header("x-bdk-webhook-id", id)
            .header("x-bdk-routed-to", routedTo)
            .header("x-bdk-integration", "zendesk")
            .header("x-zendesk-webhook-signature", "sig-value")
            .POST(HttpRequest.BodyPublishers.ofString(SECRET_BODY));
    if (instance != null) {
      request.header("x-bdk-instance", instance);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
