package io.voyager.bdk.local;

import static org.awaitility.Awaitility.await;

import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.ReceivedWebhook;
import io.voyager.bdk.samplebook.SampleBook;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A customer book with one GitHub webhook signed with a secret of its own, and the sample book
 * behind it: what the load and race tests post signed and unsigned webhooks to and whose
 * deliveries they check. Its book type is {@code <name>-type}, so ext-authz's
 * {@code x-bdk-routed-to} names it ({@link #routedTo()}).
 */
record SignedWebhookBook(String namespace, String name, Integration integration, String secret, SampleBook backend) {
  /** How many webhooks a backend remembers: every one a test sends it. */
  private static final int HISTORY = 100_000;

  /**
   * Starts a backend and creates the book in the stack's Kubernetes API (its Secret, Service,
   * EndpointSlice and ExternalBookDefinition; {@link WebhookBooks#createWithSecret}) with webhook
   * {@code integrationName} limited to {@code limit}.
   */
  static SignedWebhookBook create(WebhookBooks books, String namespace, String name, String integrationName, RateLimit limit) {
    SampleBook backend = SampleBook.start(LocalStack.LOCALHOST, 0, name, HISTORY);
    Integration integration = new Integration(integrationName, "github", name + "-credentials", limit, null);
    SignedWebhookBook book = new SignedWebhookBook(namespace, name, integration, "whsec-" + UUID.randomUUID(), backend);
    books.createWithSecret(namespace, name, book.bookType(), backend.port(), integration, book.secret());
    return book;
  }

  /**
   * The same book with its webhook renamed to {@code integrationName} (so at another public path),
   * replaced in the Kubernetes API ({@link WebhookBooks#replace}).
   */
  SignedWebhookBook rename(WebhookBooks books, String integrationName) {
    Integration renamed = new Integration(integrationName, integration.scheme(), integration.secretName(),
        integration.rateLimit(), integration.hmac());
    books.replace(namespace, name, bookType(), backend.port(), List.of(renamed));
    return new SignedWebhookBook(namespace, name, renamed, secret, backend);
  }

  String path() {
    return WebhookRoutes.publicPath(namespace, name, integration.name());
  }

  String bookType() {
    return name + "-type";
  }

  /** What ext-authz's {@code x-bdk-routed-to} says for this book: namespace and book type. */
  String routedTo() {
    return namespace + "/" + bookType();
  }

  /** A webhook body with a fresh delivery id, and the headers GitHub would sign it with. */
  SignedDelivery signedDelivery() {
    String id = "id-" + UUID.randomUUID();
    String body = "{\"event\":\"push\",\"delivery\":\"" + id + "\"}";
    return new SignedDelivery(body, WebhookBooks.sign(integration, secret, body, id));
  }

  /** One signed webhook: its body and its signature headers. */
  record SignedDelivery(String body, Map<String, String> headers) {}

  /** POSTs a freshly signed webhook to this book's path through {@code gateway}. */
  Answer postSigned(GatewayClient gateway) {
    SignedDelivery delivery = signedDelivery();
    return gateway.post(path(), delivery.body(), delivery.headers());
  }

  /** POSTs an unsigned webhook to this book's path through {@code gateway}: ext-authz must refuse it (401). */
  Answer postUnsigned(GatewayClient gateway) {
    return gateway.post(path(), "{\"event\":\"push\"}");
  }

  /**
   * Waits until a signed webhook to this book is answered 2xx through {@code gateway}: its scope,
   * route configuration and cluster are in Envoy (the latter two load on demand with such a request).
   */
  void awaitServed(GatewayClient gateway, Duration timeout) {
    await(name + " served").atMost(timeout).until(() -> postSigned(gateway).status() / 100 == 2);
  }

  /** Each webhook this book's backend received without ext-authz's webhook id or routed for another book, described. */
  List<String> uncheckedDeliveries() {
    List<String> unchecked = new ArrayList<>();
    for (ReceivedWebhook received : backend.received()) {
      if (received.webhookId() == null || !routedTo().equals(received.routedTo())) {
        unchecked.add(name + " got id=" + received.webhookId() + " routedTo=" + received.routedTo());
      }
    }
    return unchecked;
  }
}
