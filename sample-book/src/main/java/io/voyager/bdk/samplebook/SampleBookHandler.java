package io.voyager.bdk.samplebook;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.voyager.bdk.model.WebhookAuthContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sample book's HTTP surface: {@code GET /health}, any {@code POST} (a webhook: remembered,
 * logged on one line, acknowledged with the seed's JSON), {@code GET /debug/received} (what was
 * received, for tests and operators). Bodies are counted and discarded, never stored or logged.
 */
final class SampleBookHandler implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(SampleBookHandler.class);

  /** What {@code GET /debug/received} returns. */
  record ReceivedView(String backend, long total, int capacity, List<ReceivedWebhook> received) {}

  record Problem(String code, String message) {}

  private final String name;
  private final ReceivedHistory history;

  SampleBookHandler(String name, ReceivedHistory history) {
    this.name = name;
    this.history = history;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getRawPath();
      if ("POST".equals(method)) {
        receive(exchange, path);
      } else if (!"GET".equals(method)) {
        exchange.getResponseHeaders().set("Allow", "GET, POST");
        respond(exchange, 405, new Problem("method_not_allowed", method + " is not supported; use GET or POST"));
      } else if ("/health".equals(path)) {
        respond(exchange, 200, Map.of("status", "ok", "backend", name));
      } else if ("/debug/received".equals(path)) {
        respond(exchange, 200, new ReceivedView(name, history.total(), history.capacity(), history.recent()));
      } else {
        respond(exchange, 404, new Problem("not_found", "no GET endpoint at this path; try /health or /debug/received"));
      }
    } catch (IOException | RuntimeException e) {
      log.warn("event=request_failed backend={} error={}", name, LogValues.safe(e.getClass().getSimpleName()));
    }
  }

  private void receive(HttpExchange exchange, String path) throws IOException {
    long started = System.nanoTime();
    long bodyBytes;
    try (InputStream body = exchange.getRequestBody()) {
      bodyBytes = body.transferTo(OutputStream.nullOutputStream());
    }
    var headers = exchange.getRequestHeaders();
    ReceivedWebhook webhook =
        new ReceivedWebhook(
            name,
            Instant.now(),
            path,
            headers.getFirst(WebhookAuthContext.HEADER_WEBHOOK_ID),
            headers.getFirst(WebhookAuthContext.HEADER_ROUTED_TO),
            headers.getFirst(WebhookAuthContext.HEADER_INSTANCE),
            headers.getFirst(WebhookAuthContext.HEADER_INTEGRATION),
            bodyBytes,
            headers.getFirst("Content-Type"));
    history.add(webhook);
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    log.info(
        "event=webhook_received backend={} webhook_id={} routed_to={} instance={} integration={}"
            + " path={} body_bytes={} content_type={}",
        LogValues.safe(name),
        LogValues.safe(webhook.webhookId()),
        LogValues.safe(webhook.routedTo()),
        LogValues.safe(webhook.instance()),
        LogValues.safe(webhook.integration()),
        LogValues.safe(path),
        bodyBytes,
        LogValues.safe(webhook.contentType()));
    if (webhook.webhookId() != null) {
      exchange.getResponseHeaders().set(WebhookAuthContext.HEADER_WEBHOOK_ID, webhook.webhookId());
    }
    respond(
        exchange,
        200,
        new WebhookAck(webhook.webhookId(), true, webhook.routedTo(), webhook.instance(), name, elapsedMs));
  }

  private static void respond(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = Json.write(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
