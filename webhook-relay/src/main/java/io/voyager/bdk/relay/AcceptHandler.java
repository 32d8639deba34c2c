package io.voyager.bdk.relay;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.model.DnsNames;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookDelivery;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accept side: where Envoy sends a {@code queued} binding's webhook after ext_authz allowed it
 * (docs/webhook-relay.md has the contract). It answers 202 ({@code x-bdk-queued: true}, no body:
 * {@link AcceptAnswers}) only once JetStream acknowledged the publish; a publish that failed or
 * timed out answers 503 and claims nothing; a webhook id already stored answers 202 with
 * {@code x-bdk-duplicate: true} (stored once); a body, header set or message over the limits answers
 * 413 before anything is published; missing or malformed routing headers answer 400 naming the
 * header.
 */
final class AcceptHandler implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(AcceptHandler.class);
  /** Namespace and name of a Kubernetes object (DNS-1123 subdomain, loosely) and an integration name. */
  private static final Pattern INTEGRATION = Pattern.compile("[A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?");
  /** Not kept: hop-by-hop, framing, Envoy-internal, and the routing headers (kept as Bdk-* instead). */
  private static final Set<String> DROPPED = Set.of("host", "connection", "content-length", "transfer-encoding",
      "keep-alive", "te", "trailer", "upgrade", "proxy-connection", "proxy-authorization", "expect", "x-request-id");

  private final WebhookPublisher publisher;
  private final AcceptSettings limits;
  private final RelayMetrics metrics;
  private final Clock clock;

  AcceptHandler(WebhookPublisher publisher, AcceptSettings limits, RelayMetrics metrics, Clock clock) {
    this.publisher = publisher;
    this.limits = limits;
    this.metrics = metrics;
    this.clock = clock;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "POST");
        refuse(exchange, 405, "method_not_allowed", exchange.getRequestMethod() + " is not accepted; webhooks are POSTed");
        return;
      }
      var headers = exchange.getRequestHeaders();
      String webhookId = headers.getFirst(WebhookAuthContext.HEADER_WEBHOOK_ID);
      String instance = headers.getFirst(WebhookAuthContext.HEADER_INSTANCE);
      String integration = headers.getFirst(WebhookAuthContext.HEADER_INTEGRATION);
      String problem = routingProblem(webhookId, instance, integration, headers.getFirst(WebhookDelivery.HEADER_ORDERED));
      if (problem != null) {
        refuse(exchange, 400, "bad_routing_headers", problem);
        return;
      }
      String wakeLease = headers.getFirst(BookWake.HEADER_WAKE_LEASE);
      if (wakeLease != null) {
        String leaseProblem = BookWake.leaseProblem(wakeLease, instance.substring(0, instance.indexOf('/')));
        if (leaseProblem != null) {
          refuse(exchange, 400, "bad_routing_headers", leaseProblem + " (Envoy sets it for a book that sleeps when idle)");
          return;
        }
      }
      String declaredLength = headers.getFirst("Content-Length");
      if (declaredLength != null && parseLong(declaredLength) > limits.maxBodyBytes()) {
        refuse(exchange, 413, "body_too_large",
            "the body is " + declaredLength + " bytes; at most " + limits.maxBodyBytes() + " are accepted");
        return;
      }
      List<Map.Entry<String, String>> kept = new ArrayList<>();
      int headerCount = 0;
      long headerBytes = 0;
      for (var entry : headers.entrySet()) {
        for (String value : entry.getValue()) {
          headerCount++;
          headerBytes += entry.getKey().length() + value.length() + 4;
          String name = entry.getKey().toLowerCase(Locale.ROOT);
          if (!DROPPED.contains(name) && !name.startsWith("x-bdk-") && !name.startsWith("x-envoy-")) {
            kept.add(Map.entry(name, value));
          }
        }
      }
      if (headerCount > limits.maxHeaders() || headerBytes > limits.maxHeaderBytes()) {
        refuse(exchange, 413, "headers_too_large", "the request has " + headerCount + " headers of " + headerBytes
            + " bytes; at most " + limits.maxHeaders() + " headers of " + limits.maxHeaderBytes() + " bytes are accepted");
        return;
      }
      byte[] body = readAtMost(exchange.getRequestBody(), limits.maxBodyBytes());
      if (body == null) {
        refuse(exchange, 413, "body_too_large", "the body is over " + limits.maxBodyBytes() + " bytes");
        return;
      }
      int slash = instance.indexOf('/');
      WebhookEnvelope webhook;
      try {
        webhook = new WebhookEnvelope(webhookId, instance.substring(0, slash), instance.substring(slash + 1),
            integration, headers.getFirst(WebhookAuthContext.HEADER_ROUTED_TO),
            "true".equals(headers.getFirst(WebhookDelivery.HEADER_ORDERED)),
            exchange.getRequestURI().getRawPath(), clock.instant(), kept, body, wakeLease);
        webhook.toMessage();
      } catch (IllegalArgumentException e) {
        refuse(exchange, 400, "bad_header", "a header cannot be queued: " + e.getMessage());
        return;
      }
      WebhookPublisher.Result result = publisher.publish(webhook);
      if (result instanceof WebhookPublisher.Result.Stored stored) {
        metrics.published(stored.duplicate() ? "duplicate" : "stored");
        log.info("event=webhook_queued webhook_id={} instance={} integration={} seq={} duplicate={} body_bytes={}",
            webhookId, instance, integration, stored.sequence(), stored.duplicate(), body.length);
        AcceptAnswers.accepted(exchange, webhookId, stored.duplicate());
      } else if (result instanceof WebhookPublisher.Result.TooLarge tooLarge) {
        metrics.published("too_large");
        refuse(exchange, 413, "message_too_large", "the webhook with its headers is " + tooLarge.bytes()
            + " bytes; the queue takes messages of at most " + tooLarge.limit() + " bytes");
      } else {
        String reason = ((WebhookPublisher.Result.Failed) result).reason();
        metrics.published("failed");
        log.warn("event=webhook_publish_failed webhook_id={} instance={} integration={} error=\"{}\"",
            webhookId, instance, integration, reason);
        exchange.getResponseHeaders().set("Retry-After", "5");
        refuse(exchange, 503, "queue_unavailable",
            "the webhook was not queued (" + reason + "); nothing was kept, send it again");
      }
    } catch (IOException | RuntimeException e) {
      log.warn("event=accept_failed error=\"{}\"", e.toString());
    }
  }

  /** Why the routing headers Envoy must set are unusable, or null. Never echoes a value back. */
  static String routingProblem(String webhookId, String instance, String integration, String ordered) {
    if (webhookId == null || !WebhookDelivery.WEBHOOK_ID.matcher(webhookId).matches()) {
      return "header " + WebhookAuthContext.HEADER_WEBHOOK_ID + " is " + (webhookId == null ? "missing" : "malformed")
          + " (1-128 of A-Z a-z 0-9 . _ : @ + = -; ext-authz sets it)";
    }
    int slash = instance == null ? -1 : instance.indexOf('/');
    if (slash < 0 || !DnsNames.isSubdomain(instance.substring(0, slash))
        || !DnsNames.isSubdomain(instance.substring(slash + 1))) {
      return "header " + WebhookAuthContext.HEADER_INSTANCE + " is " + (instance == null ? "missing" : "malformed")
          + " (namespace/name of the ExternalBookDefinition; ext-authz sets it)";
    }
    if (integration == null || !INTEGRATION.matcher(integration).matches()) {
      return "header " + WebhookAuthContext.HEADER_INTEGRATION + " is " + (integration == null ? "missing" : "malformed")
          + " (the integration's name; ext-authz sets it)";
    }
    if (ordered != null && !"true".equals(ordered) && !"false".equals(ordered)) {
      return "header " + WebhookDelivery.HEADER_ORDERED + " must be true or false";
    }
    return null;
  }

  private static long parseLong(String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The body, or null when it is longer than {@code max} bytes. */
  private static byte[] readAtMost(InputStream in, long max) throws IOException {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) != -1) {
        total += n;
        if (total > max) {
          in.transferTo(OutputStream.nullOutputStream());
          return null;
        }
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    }
  }

  private void refuse(HttpExchange exchange, int status, String reason, String message) throws IOException {
    if (status != 503) {
      metrics.refused(reason);
    }
    AcceptAnswers.refused(exchange, status, reason, message);
  }
}
