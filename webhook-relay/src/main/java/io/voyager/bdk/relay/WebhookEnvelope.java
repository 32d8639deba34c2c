package io.voyager.bdk.relay;

import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.model.WebhookRoutes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A webhook as it is queued: the request body as the message data, the original HTTP headers as
 * NATS headers prefixed {@code Http-}, and the routing facts ({@code x-bdk-*}) as {@code Bdk-*}
 * headers. {@code Nats-Msg-Id} is the webhook id, so JetStream's duplicate window drops a second
 * publish of the same webhook. The subject is {@code bdk.webhooks.<endpoint_key>} (the same
 * 20-hex key as the public path), one subject per endpoint. {@code wakeLease} ({@code
 * namespace/name}, null for books that never sleep) is the book's wake Lease, from
 * {@link BookWake#HEADER_WAKE_LEASE}: the workers wake the book through it before delivering.
 */
public record WebhookEnvelope(
    String webhookId,
    String namespace,
    String name,
    String integration,
    String routedTo,
    boolean ordered,
    String path,
    Instant receivedAt,
    List<Map.Entry<String, String>> httpHeaders,
    byte[] body,
    String wakeLease) {

  public static final String SUBJECT_PREFIX = "bdk.webhooks.";
  static final String HTTP_PREFIX = "Http-";
  static final String WEBHOOK_ID = "Bdk-Webhook-Id";
  static final String NAMESPACE = "Bdk-Namespace";
  static final String NAME = "Bdk-Name";
  static final String INTEGRATION = "Bdk-Integration";
  static final String ROUTED_TO = "Bdk-Routed-To";
  static final String ORDERED = "Bdk-Ordered";
  static final String PATH = "Bdk-Path";
  static final String RECEIVED_AT = "Bdk-Received-At";
  static final String WAKE_LEASE = "Bdk-Wake-Lease";
  public static final String NATS_MSG_ID = "Nats-Msg-Id";

  public WebhookEnvelope {
    httpHeaders = List.copyOf(httpHeaders);
  }

  /** A webhook of a book that never sleeps. */
  public WebhookEnvelope(String webhookId, String namespace, String name, String integration, String routedTo,
      boolean ordered, String path, Instant receivedAt, List<Map.Entry<String, String>> httpHeaders, byte[] body) {
    this(webhookId, namespace, name, integration, routedTo, ordered, path, receivedAt, httpHeaders, body, null);
  }

  /** {@code namespace/name}: the ExternalBookDefinition the webhook is for. */
  public String instance() {
    return namespace + "/" + name;
  }

  /** {@code namespace/name/integration}: the unit of ordering and of the circuit breaker. */
  public String endpoint() {
    return instance() + "/" + integration;
  }

  public String endpointKey() {
    return WebhookRoutes.endpointKey(namespace, name, integration);
  }

  public String subject() {
    return SUBJECT_PREFIX + endpointKey();
  }

  /** The message to publish to the work stream. */
  public NatsMessage toMessage() {
    return NatsMessage.builder().subject(subject()).headers(headers(webhookId)).data(body).build();
  }

  /** The headers of this webhook, with {@code Nats-Msg-Id} = {@code messageId}. */
  Headers headers(String messageId) {
    Headers headers = new Headers();
    headers.put(NATS_MSG_ID, messageId);
    headers.put(WEBHOOK_ID, webhookId);
    headers.put(NAMESPACE, namespace);
    headers.put(NAME, name);
    headers.put(INTEGRATION, integration);
    if (routedTo != null) {
      headers.put(ROUTED_TO, routedTo);
    }
    headers.put(ORDERED, Boolean.toString(ordered));
    headers.put(PATH, path);
    headers.put(RECEIVED_AT, receivedAt.toString());
    if (wakeLease != null) {
      headers.put(WAKE_LEASE, wakeLease);
    }
    for (Map.Entry<String, String> header : httpHeaders) {
      headers.add(HTTP_PREFIX + header.getKey(), header.getValue());
    }
    return headers;
  }

  /**
   * Reads a queued webhook back.
   *
   * @throws IllegalArgumentException naming the missing header when the message was not written by
   *     {@link #toMessage()}
   */
  public static WebhookEnvelope from(Headers headers, byte[] data) {
    if (headers == null) {
      throw new IllegalArgumentException("the message has no headers");
    }
    List<Map.Entry<String, String>> http = new ArrayList<>();
    for (String key : headers.keySet()) {
      if (key.regionMatches(true, 0, HTTP_PREFIX, 0, HTTP_PREFIX.length())) {
        for (String value : headers.get(key)) {
          http.add(Map.entry(key.substring(HTTP_PREFIX.length()), value));
        }
      }
    }
    String receivedAt = headers.getFirst(RECEIVED_AT);
    return new WebhookEnvelope(
        required(headers, WEBHOOK_ID),
        required(headers, NAMESPACE),
        required(headers, NAME),
        required(headers, INTEGRATION),
        headers.getFirst(ROUTED_TO),
        Boolean.parseBoolean(headers.getFirst(ORDERED)),
        headers.getFirst(PATH) == null ? "/" : headers.getFirst(PATH),
        receivedAt == null ? Instant.EPOCH : Instant.parse(receivedAt),
        http,
        data == null ? new byte[0] : data,
        headers.getFirst(WAKE_LEASE));
  }

  private static String required(Headers headers, String key) {
    String value = headers.getFirst(key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("header " + key + " is missing");
    }
    return value;
  }
}
