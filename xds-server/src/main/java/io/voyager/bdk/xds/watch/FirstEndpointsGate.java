package io.voyager.bdk.xds.watch;

import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.ir.BookTranslator;
import io.voyager.bdk.xds.ir.EndpointResolver;
import io.voyager.bdk.xds.ir.WebhookRouteIr;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.ServiceRef;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Make-before-break for a new book's first endpoints: a book added while the gateway runs is held
 * out of the gateway (no route, cluster or endpoints) until its Service port has a ready endpoint,
 * or until {@code grace} has passed since the book was first seen — a book whose backend never
 * becomes ready is then routed as before and Envoy answers 503 "no healthy upstream", so its
 * status does not stay "not routed" forever. Without this, a new book's route could reach Envoy
 * before its endpoints (its EndpointSlice written a moment after the ExternalBookDefinition) and a
 * webhook met 503 instead of 404.
 *
 * <p>Time lives here, in the watcher; the translator only sees the decision as part of the model's
 * held-out map ({@link GatewayInput#heldOut()}), so it stays pure. Only the first endpoints count:
 * once a book has been let through it is never held again (a routed book whose endpoints go away
 * keeps its route and answers 503, as before). Books present when the watcher starts are not new.
 * Books that wake on demand ({@code spec.wake}) or deliver through the relay ({@code delivery:
 * queued}) are never held: they answer while their book has no endpoints. Used on the rebuild
 * thread only: what is new is read from the rebuild's own input, never raced with the informers.
 */
final class FirstEndpointsGate {
  static final String MESSAGE_PREFIX = "waiting for the first ready endpoint of Service ";

  private final long graceNanos;
  /** New books not yet let through: key {@code namespace/name} → when first seen (nanoTime). */
  private final Map<String, Long> waiting = new HashMap<>();

  FirstEndpointsGate(Duration grace) {
    this.graceNanos = grace.toNanos();
  }

  /** A book appeared while the gateway runs: it waits for its first endpoints from {@code nowNanos}. */
  void added(String bookKey, long nowNanos) {
    if (graceNanos > 0) {
      waiting.putIfAbsent(bookKey, nowNanos);
    }
  }

  boolean isEmpty() {
    return waiting.isEmpty();
  }

  /** How long from {@code nowNanos} until the earliest waiting book's grace ends, or null when none waits. */
  Duration nextExpiry(long nowNanos) {
    Long earliest = null;
    for (long since : waiting.values()) {
      earliest = earliest == null ? since : Math.min(earliest, since);
    }
    return earliest == null ? null : Duration.ofNanos(Math.max(0, earliest + graceNanos - nowNanos));
  }

  /**
   * The books {@code input} must hold out now (key → status message). A waiting book is let through
   * (and forgotten) once its Service port has a ready endpoint, its grace has passed, it is not in
   * {@code input} (deleted), or it is one that is never held; costs a lookup per waiting book.
   */
  Map<String, String> holding(GatewayInput input, long nowNanos) {
    if (waiting.isEmpty()) {
      return Map.of();
    }
    Map<String, String> held = new TreeMap<>();
    for (var it = waiting.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      BookSource book = input.book(entry.getKey());
      String message = book == null || nowNanos - entry.getValue() >= graceNanos ? null : waitMessage(book, input);
      if (message == null) {
        it.remove();
      } else {
        held.put(entry.getKey(), message);
      }
    }
    return held;
  }

  /** Why {@code book} waits, or null when it need not (routable now, or never held). */
  private String waitMessage(BookSource book, GatewayInput input) {
    if (book.spec() == null || book.spec().wake() != null
        || !(BookTranslator.translate(book) instanceof BookTranslation.Accepted accepted) || accepted.routes().isEmpty()) {
      return null;
    }
    for (WebhookRouteIr route : accepted.routes()) {
      if (route.queued() != null) {
        return null;
      }
    }
    ServiceRef backend = accepted.backend();
    if (!EndpointResolver.resolve(backend.port(), input.slicesOf(backend.key())).isEmpty()) {
      return null;
    }
    return MESSAGE_PREFIX + backend + " (routed once one is ready, or after " + Duration.ofNanos(graceNanos).toSeconds()
        + " s without: a route is never served before its endpoints)";
  }

  /** Whether a held-out message is this gate's (the book waits for endpoints; Envoy refused nothing). */
  static boolean isWaitMessage(String message) {
    return message != null && message.startsWith(MESSAGE_PREFIX);
  }
}
