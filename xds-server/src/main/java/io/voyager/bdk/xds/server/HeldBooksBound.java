package io.voyager.bdk.xds.server;

import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.micrometer.core.instrument.Counter;
import io.voyager.bdk.xds.nack.NackAttribution;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The held-books bound on one delta stream ({@code --held-books-limit}): feeds {@link HeldBooks}
 * from Envoy's requests (route configuration subscriptions are a book's fetch, their ACKs make it
 * evictable, initial versions on a reconnect say what Envoy holds) and sends what it decides, in
 * order: a released cluster before the route configuration that needs it; an eviction's scope
 * updates (one SRDS response), and its clusters' removal (one CDS response) once Envoy ACKed that
 * response by its nonce (NACKed: the moves are undone, nothing removed). The owning
 * {@link DeltaAdsStream} calls it under its lock.
 */
final class HeldBooksBound {
  private static final Logger log = LoggerFactory.getLogger(HeldBooksBound.class);

  /** Sends one update of a type on the stream; returns the response's nonce. */
  @FunctionalInterface
  interface Sender {
    String send(XdsType type, DeltaSubscription.Update update);
  }

  private final long streamId;
  private final HeldBooks held;
  private final Map<XdsType, DeltaSubscription> subscriptions;
  private final Sender sender;
  private final Counter evictions;
  private final Counter reloads;
  private final BookScopesIndex bookScopes;
  private ContentVersionedSnapshot indexed;

  HeldBooksBound(long streamId, HeldBooksLimit limit, BookScopesIndex bookScopes, Map<XdsType, DeltaSubscription> subscriptions,
      Sender sender) {
    this.streamId = streamId;
    this.held = new HeldBooks(limit.books());
    this.evictions = limit.evictions();
    this.reloads = limit.reloads();
    this.bookScopes = bookScopes;
    this.subscriptions = subscriptions;
    this.sender = sender;
  }

  HeldBooks held() {
    return held;
  }

  /** Books loaded or loading on this Envoy. */
  int heldCount() {
    return held.held();
  }

  /**
   * Brings the scope → book index up to {@code snapshot} (once per snapshot): from the snapshot
   * indexed last, just the scopes that changed or went; else (the first, or a snapshot not derived
   * from it) every scope.
   */
  void indexTo(ContentVersionedSnapshot snapshot) {
    if (snapshot == null || snapshot == indexed) {
      return;
    }
    BookScopes scopes = bookScopes.of(snapshot);
    if (indexed != null && scopes.basis() == indexed) {
      for (String scope : scopes.changed()) {
        BookScopes.Entry entry = scopes.byScope().get(scope);
        held.serves(scope, entry.cluster(), entry.routeConfiguration());
      }
      scopes.removed().forEach(held::notServed);
    } else {
      scopes.byScope().forEach((scope, entry) -> held.serves(scope, entry.cluster(), entry.routeConfiguration()));
      held.retainScopes(scopes.byScope().keySet());
    }
    indexed = snapshot;
  }

  /**
   * Before the subscription answers {@code request}: what Envoy says it holds, what it dropped, and
   * its fetches, a held-back cluster of a fetched book sent now (before the route configuration).
   */
  void beforeRequest(XdsType type, DeltaDiscoveryRequest request, ContentVersionedSnapshot current) {
    indexTo(current);
    if (type == XdsType.CLUSTER) {
      DeltaSubscription clusters = subscriptions.get(XdsType.CLUSTER);
      if (clusters != null && !clusters.started()) {
        // A reconnect: names Envoy subscribed to but holds no version of were evicted (or never came).
        for (String name : request.getResourceNamesSubscribeList()) {
          if (!request.getInitialResourceVersionsMap().containsKey(name)) {
            held.notHeldOnConnect(name);
          }
        }
      }
      return;
    }
    if (type == XdsType.SCOPED_ROUTE) {
      request.getInitialResourceVersionsMap().forEach((scope, version) -> {
        if (version.endsWith(HeldBooks.ALTERNATE_SUFFIX)) {
          held.restoreAlternate(scope);
        }
      });
      return;
    }
    if (type != XdsType.ROUTE) {
      return;
    }
    TreeSet<String> released = new TreeSet<>();
    for (String name : request.getInitialResourceVersionsMap().keySet()) {
      String book = held.heldOnConnect(name);
      if (book != null) {
        released.add(book);
      }
    }
    request.getResourceNamesUnsubscribeList().forEach(held::unsubscribed);
    for (String name : request.getResourceNamesSubscribeList()) {
      if (request.getInitialResourceVersionsMap().containsKey(name)) {
        continue; // a reconnect's subscription to what Envoy holds: no fetch (nothing is sent for it to ACK)
      }
      String book = held.fetched(name);
      if (book != null) {
        released.add(book);
      }
    }
    DeltaSubscription clusters = subscriptions.get(XdsType.CLUSTER);
    if (!released.isEmpty() && clusters != null) {
      clusters.resend(released, current).ifPresent(update -> sender.send(XdsType.CLUSTER, update));
    }
    reloads.increment(released.size());
  }

  /** A route configuration response went out: what it carried loads once Envoy ACKs {@code nonce}. */
  void sentRoutes(DeltaSubscription.Update update, String nonce) {
    held.sent(update.upserts().keySet(), nonce);
  }

  /**
   * After the subscription answered {@code request}: a route configuration ACK, then the evictions
   * the bound calls for; a route scope (N)ACK of an eviction's scope moves, its clusters' removal
   * (ACK) or the moves undone (NACK).
   */
  void afterRequest(XdsType type, DeltaDiscoveryRequest request, ContentVersionedSnapshot current) {
    if (type == XdsType.SCOPED_ROUTE && !request.getResponseNonce().isEmpty()) {
      if (request.hasErrorDetail()) {
        movesRejected(request, current);
      } else {
        removeClusters(held.movesAcked(request.getResponseNonce()), current);
      }
      return;
    }
    if (type != XdsType.ROUTE) {
      return;
    }
    if (!request.getResponseNonce().isEmpty() && !request.hasErrorDetail()) {
      held.acked(request.getResponseNonce());
    }
    List<HeldBooks.Eviction> evicted = held.evictOverLimit();
    if (evicted.isEmpty() || current == null) {
      return;
    }
    TreeSet<String> scopes = scopesOf(evicted);
    // Make-before-break: the scopes name their other route configuration first; the clusters go
    // once Envoy ACKed that (a NACKed move must not leave a scope naming a book without its cluster).
    DeltaSubscription scoped = subscriptions.get(XdsType.SCOPED_ROUTE);
    Optional<DeltaSubscription.Update> moves = scoped == null ? Optional.empty() : scoped.resend(scopes, current);
    if (moves.isPresent()) {
      held.movesSent(evicted, sender.send(XdsType.SCOPED_ROUTE, moves.get()));
    } else {
      removeClusters(held.movesTaken(evicted), current); // nothing to send: Envoy holds the scopes so already
    }
    evictions.increment(evicted.size());
    log.debug("event=held_books_evicted stream={} books={} scopes={} held={}", streamId,
        evicted.stream().map(HeldBooks.Eviction::cluster).toList(), scopes.size(), held.held());
  }

  private void removeClusters(List<String> clusters, ContentVersionedSnapshot current) {
    DeltaSubscription cds = subscriptions.get(XdsType.CLUSTER);
    if (!clusters.isEmpty() && cds != null && current != null) {
      cds.resend(new TreeSet<>(clusters), current).ifPresent(update -> sender.send(XdsType.CLUSTER, update));
    }
  }

  /**
   * Envoy refused a route scope response: if it carried scope moves, they are undone and the scopes
   * sent again as Envoy still holds them (so this stream knows their versions again; Envoy ACKs a
   * resource it has); nothing is removed.
   */
  private void movesRejected(DeltaDiscoveryRequest request, ContentVersionedSnapshot current) {
    List<HeldBooks.Eviction> undone = held.movesRejected(request.getResponseNonce());
    if (undone.isEmpty()) {
      return;
    }
    TreeSet<String> scopes = scopesOf(undone);
    DeltaSubscription scoped = subscriptions.get(XdsType.SCOPED_ROUTE);
    if (scoped != null && current != null) {
      scoped.resend(scopes, current).ifPresent(update -> sender.send(XdsType.SCOPED_ROUTE, update));
    }
    log.warn("event=held_books_move_rejected stream={} nonce={} books={} scopes={} held={} error=\"{}\"", streamId,
        request.getResponseNonce(), undone.stream().map(HeldBooks.Eviction::cluster).toList(), scopes, held.held(),
        NackAttribution.conditionMessage(request.getErrorDetail().getMessage(), 300).replace('"', '\''));
  }

  private static TreeSet<String> scopesOf(List<HeldBooks.Eviction> evictions) {
    TreeSet<String> scopes = new TreeSet<>();
    evictions.forEach(eviction -> scopes.addAll(eviction.scopesMoved()));
    return scopes;
  }
}
