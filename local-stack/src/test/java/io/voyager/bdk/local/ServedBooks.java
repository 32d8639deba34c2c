package io.voyager.bdk.local;

import io.voyager.bdk.model.RateLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The books a load test keeps traffic on, in one stack's {@value #NAMESPACE}: N books with a signed
 * GitHub webhook each, every one served before the test starts (a signed webhook answered 2xx, so
 * its route configuration and cluster, loaded on demand, are in Envoy), and a library book for the
 * REST reads. More books can be made as the test goes ({@link #create}); {@link #close()} stops
 * every book's backend.
 */
final class ServedBooks implements AutoCloseable {
  static final String NAMESPACE = "customer-acme";
  /** Well above what the traffic sends to one book. */
  static final RateLimit GENEROUS = new RateLimit(100.0, 1000);

  private final WebhookBooks webhookBooks;
  private final Collection<SignedWebhookBook> backends = new ConcurrentLinkedQueue<>();
  private final List<SignedWebhookBook> served = new ArrayList<>();
  private String restPath;

  private ServedBooks(LocalStack stack) {
    this.webhookBooks = new WebhookBooks(stack);
  }

  /**
   * Creates {@code count} books named {@code <prefix>-<i>} and library book {@code libraryBook} in
   * {@code stack} and waits, up to {@code timeout} each, until {@code gateway} serves every one.
   */
  static ServedBooks serve(LocalStack stack, GatewayClient gateway, GatewayClient api, String prefix, int count,
      String libraryBook, Duration timeout) {
    ServedBooks books = new ServedBooks(stack);
    try {
      for (int i = 0; i < count; i++) {
        books.served.add(books.create(prefix + "-" + i, "github"));
      }
      books.restPath = SteadyTraffic.libraryBook(api, libraryBook, timeout);
      for (SignedWebhookBook book : books.served) {
        book.awaitServed(gateway, timeout);
      }
      return books;
    } catch (RuntimeException | Error e) {
      books.close();
      throw e;
    }
  }

  /** A new book {@code name} with webhook {@code integration} in {@value #NAMESPACE}, not waited for. */
  SignedWebhookBook create(String name, String integration) {
    SignedWebhookBook book = SignedWebhookBook.create(webhookBooks, NAMESPACE, name, integration, GENEROUS);
    backends.add(book);
    return book;
  }

  /** The stack's books, for changes such as {@link SignedWebhookBook#rename}. */
  WebhookBooks webhookBooks() {
    return webhookBooks;
  }

  /** The books served before the test started. */
  List<SignedWebhookBook> served() {
    return List.copyOf(served);
  }

  /** Where the REST reads go: the library book's path. */
  String restPath() {
    return restPath;
  }

  @Override
  public void close() {
    backends.forEach(book -> book.backend().close());
    backends.clear();
  }
}
