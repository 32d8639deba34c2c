package io.voyager.bdk.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What signed senders were answered and what books received, per book (by name; a renamed book is
 * the same book): the signed webhooks answered 2xx, through any Envoy and by any sender, and the
 * webhooks its backend received since the book was counted. After the senders stopped, each book
 * must have received exactly its signed webhooks answered 2xx, every one with ext-authz's webhook
 * id and routed for it, and all books together exactly what ext_authz allowed (Envoy's counter
 * {@link #EXT_AUTHZ_ALLOWED}, summed over the Envoys).
 */
final class DeliveryTally {
  /** Checks ext_authz allowed on the plain HTTP listener (both ext_authz filters count here; library routes have none). */
  static final String EXT_AUTHZ_ALLOWED = "http.bdk_http.ext_authz.ok";

  private final Map<String, SignedWebhookBook> books = new ConcurrentHashMap<>();
  private final Map<String, Long> receivedAtStart = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> signed2xx = new ConcurrentHashMap<>();

  /** Counts {@code book} from now on (what its backend received so far is not counted); a renamed book keeps its counts. */
  void count(SignedWebhookBook book) {
    receivedAtStart.computeIfAbsent(book.name(), name -> book.backend().receivedTotal());
    signed2xx.computeIfAbsent(book.name(), name -> new AtomicLong());
    books.put(book.name(), book);
  }

  /** Records the answer {@code status} to a signed webhook sent to {@code book} (counted before). */
  void signedAnswer(SignedWebhookBook book, int status) {
    if (status / 100 == 2) {
      AtomicLong counter = signed2xx.get(book.name());
      if (counter == null) {
        throw new IllegalStateException(book.name() + " is not counted");
      }
      counter.incrementAndGet();
    }
  }

  /** Webhooks {@code name}'s backend received since it was counted. */
  long received(String name) {
    return books.get(name).backend().receivedTotal() - receivedAtStart.get(name);
  }

  /** Webhooks all counted books received since each was counted. */
  long receivedTotal() {
    return books.keySet().stream().mapToLong(this::received).sum();
  }

  /** Books that received other than their signed webhooks answered 2xx, described. */
  List<String> mismatches() {
    List<String> mismatches = new ArrayList<>();
    books.keySet().stream().sorted().forEach(name -> {
      long received = received(name);
      long answered = signed2xx.get(name).get();
      if (received != answered) {
        mismatches.add(name + ": received " + received + ", signed webhooks answered 2xx " + answered);
      }
    });
    return mismatches;
  }

  /** Every webhook a counted book received (ever) without ext-authz's webhook id or routed for another book. */
  List<String> uncheckedDeliveries() {
    return books.values().stream().flatMap(book -> book.uncheckedDeliveries().stream()).toList();
  }

  /** "name=received" for every counted book, for failure messages. */
  String summary() {
    StringBuilder out = new StringBuilder();
    books.keySet().stream().sorted().forEach(name -> out.append(name).append('=').append(received(name)).append(' '));
    return out.toString().trim();
  }
}
