package io.voyager.bdk.relay;

import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookDelivery;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * Makes one delivery attempt: POSTs the queued body with its original headers and the routing
 * headers ({@code x-bdk-webhook-id} — the same on every attempt, what a book dedupes on —,
 * {@code x-bdk-instance}, {@code x-bdk-integration}, {@code x-bdk-routed-to},
 * {@code x-bdk-delivery-attempt}) and reads the status and {@code Retry-After}. Asynchronous: no
 * thread waits for a slow book. The response body is discarded. In a cluster the target is the
 * gateway's internal listener (https, mutual TLS: the relay's certificate is its pass).
 */
final class BookClient {
  /** Headers the JDK client sets itself and refuses from callers. */
  private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

  private final HttpClient http;
  private final DeliveryTarget target;
  private final Duration timeout;
  private final Clock clock;

  /** {@code tls}: presented to (and verifying) an https target; null: plaintext targets only. */
  BookClient(DeliveryTarget target, Duration timeout, SSLContext tls, Clock clock) {
    HttpClient.Builder builder = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER);
    if (tls != null) {
      SSLParameters parameters = tls.getDefaultSSLParameters();
      parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      builder.sslContext(tls).sslParameters(parameters);
    }
    this.http = builder.build();
    this.target = target;
    this.timeout = timeout;
    this.clock = clock;
  }

  CompletableFuture<DeliveryOutcome> deliver(WebhookEnvelope webhook, int attempt) {
    HttpRequest.Builder request = HttpRequest.newBuilder(target.uri(webhook))
        .timeout(timeout)
        .POST(HttpRequest.BodyPublishers.ofByteArray(webhook.body()));
    for (Map.Entry<String, String> header : webhook.httpHeaders()) {
      if (!RESTRICTED.contains(header.getKey())) {
        try {
          request.header(header.getKey(), header.getValue());
        } catch (IllegalArgumentException e) {
          // a header the JDK client will not send: the book gets the rest
        }
      }
    }
    request.setHeader(WebhookAuthContext.HEADER_WEBHOOK_ID, webhook.webhookId());
    request.setHeader(WebhookAuthContext.HEADER_INSTANCE, webhook.instance());
    request.setHeader(WebhookAuthContext.HEADER_INTEGRATION, webhook.integration());
    if (webhook.routedTo() != null) {
      request.setHeader(WebhookAuthContext.HEADER_ROUTED_TO, webhook.routedTo());
    }
    request.setHeader(WebhookDelivery.HEADER_ATTEMPT, Integer.toString(attempt));
    try {
      return http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
          .handle((response, error) -> error == null
              ? DeliveryOutcome.answered(response.statusCode(),
                  retryAfter(response.headers().firstValue("Retry-After").orElse(null)))
              : failure(error));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(DeliveryOutcome.failed(DeliveryOutcome.Failure.CONNECTION, e.toString()));
    }
  }

  private static DeliveryOutcome failure(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof HttpTimeoutException) {
      return DeliveryOutcome.failed(DeliveryOutcome.Failure.TIMEOUT, cause.getClass().getSimpleName());
    }
    String detail = cause instanceof ConnectException ? "connection refused"
        : cause instanceof IOException ? "connection failed (" + cause.getClass().getSimpleName() + ")"
        : cause.getClass().getSimpleName();
    return DeliveryOutcome.failed(DeliveryOutcome.Failure.CONNECTION, detail);
  }

  /** {@code Retry-After} as seconds or an HTTP date; null when absent or unreadable. */
  Duration retryAfter(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      long seconds = Long.parseLong(value.trim());
      return seconds < 0 ? null : Duration.ofSeconds(seconds);
    } catch (NumberFormatException notSeconds) {
      try {
        Duration until = Duration.between(clock.instant(),
            ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        return until.isNegative() ? Duration.ZERO : until;
      } catch (RuntimeException notADate) {
        return null;
      }
    }
  }
}
