package io.voyager.bdk.relay;

import com.sun.net.httpserver.HttpExchange;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookDelivery;
import java.io.IOException;
import java.io.OutputStream;

/**
 * What the accept port writes back (docs/webhook-relay.md, the accept contract).
 *
 * <p>The 202 is headers only ({@code x-bdk-webhook-id}, {@code x-bdk-queued: true}, and
 * {@code x-bdk-duplicate: true} for an id already stored), so that the whole answer leaves in one
 * write. The JDK HTTP server writes a response's status line and headers in
 * {@code sendResponseHeaders} and its body in later writes (JDK 17: {@code ExchangeImpl} flushes
 * the headers before returning); a relay killed between the two left Envoy a 202 without its body,
 * which Envoy had already passed on and could only cut. {@code sendResponseHeaders(202, -1)}
 * writes status line and headers with {@code Content-length: 0} in one flush and ends the
 * exchange there: a relay killed before that write gives Envoy nothing (it answers 503), one
 * killed after it has given a complete 202. {@code AcceptAnswersTest} kills a writer at each of
 * its calls on a real socket.
 *
 * <p>Refusals keep their JSON body ({@code code}, {@code reason}, {@code message}); one cut short by
 * a crash leaves the sender no answer, which, like the 503, claims nothing.
 */
final class AcceptAnswers {
  private AcceptAnswers() {}

  record Problem(int code, String reason, String message) {}

  /** The 202 for a webhook JetStream has stored: headers only, one write. */
  static void accepted(HttpExchange exchange, String webhookId, boolean duplicate) throws IOException {
    var headers = exchange.getResponseHeaders();
    headers.set(WebhookAuthContext.HEADER_WEBHOOK_ID, webhookId);
    headers.set(WebhookDelivery.HEADER_QUEUED, "true");
    if (duplicate) {
      headers.set(WebhookDelivery.HEADER_DUPLICATE, "true");
    }
    exchange.sendResponseHeaders(202, -1);
  }

  /** A refusal: {@code status} with a JSON body naming the reason. */
  static void refused(HttpExchange exchange, int status, String reason, String message) throws IOException {
    byte[] bytes = Json.write(new Problem(status, reason, message));
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
