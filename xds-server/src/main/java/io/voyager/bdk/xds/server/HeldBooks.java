package io.voyager.bdk.xds.server;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which books one Envoy (one delta stream) holds, for the bound {@code --held-books-limit}: per
 * on-demand route scope, which of its two route configuration names this Envoy's copy of the scope
 * names (R, or R{@value #ALTERNATE_SUFFIX}: the same content) and whether that route configuration
 * is loading (asked for, not ACKed yet) or loaded (ACKed); per book (its on-demand cluster, shared
 * by its scopes), the order in which its route configurations were last fetched, and whether its
 * cluster is held back from this Envoy. Pure state, no I/O; the owning stream guards it.
 *
 * <p>When more than {@code limit} books are loaded or loading, {@link #evictOverLimit} picks the
 * least recently fetched books whose every scope is either not loaded or loaded and ACKed (a scope
 * whose load is pending must not move: Envoy drops the pending request's callback when its scope
 * changes) and moves each loaded scope to its other name. The stream sends the scope updates; once
 * Envoy ACKs them the book's cluster is held back and its removal sent (a NACK undoes the moves);
 * the book's next fetch (Envoy's subscription to the scope's new name) releases the cluster, sent
 * before the route configuration.
 */
final class HeldBooks {
  static final String ALTERNATE_SUFFIX = "~1";

  enum Load { NONE, LOADING, LOADED }

  /** One book evicted: the scopes moved to their other name and the cluster to remove. */
  record Eviction(String cluster, List<String> scopesMoved) {}

  private static final class Scope {
    final String book;
    String base;
    boolean alternate;
    Load load = Load.NONE;

    Scope(String book) {
      this.book = book;
    }
  }

  private static final class Book {
    final Set<String> scopes = new HashSet<>();
    int active;
    int loading;
    /** Evicted, its scope moves sent, not yet ACKed: its cluster is not held back yet. */
    boolean moving;
  }

  private final int limit;
  private final Map<String, Scope> scopes = new HashMap<>();
  private final Map<String, Book> books = new HashMap<>();
  /** Route configuration (base name) → the scopes serving it. */
  private final Map<String, Set<String>> scopesOfBase = new HashMap<>();
  /** Books with a scope loaded or loading, least recently fetched first. */
  private final LinkedHashMap<String, Boolean> byLastFetch = new LinkedHashMap<>(16, 0.75f, true);
  private final Set<String> heldBack = new HashSet<>();
  /** Route configuration name (as this Envoy knows it) → the nonce of the response that carried it, until ACKed. */
  private final Map<String, String> sentInNonce = new HashMap<>();
  /** Route scope response nonce → the evictions whose scope moves it carried, until Envoy ACKs or NACKs it. */
  private final Map<String, List<Eviction>> movesInNonce = new HashMap<>();

  /** {@code limit}: the most books held before the least recently fetched is evicted (at least 1). */
  HeldBooks(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("held-books-limit: must be at least 1 (0 turns the bound off), got " + limit);
    }
    this.limit = limit;
  }

  /** The name without the alternate suffix: the route configuration the snapshot serves. */
  static String baseName(String routeConfiguration) {
    return routeConfiguration.endsWith(ALTERNATE_SUFFIX)
        ? routeConfiguration.substring(0, routeConfiguration.length() - ALTERNATE_SUFFIX.length())
        : routeConfiguration;
  }

  static String alternateName(String routeConfiguration) {
    return routeConfiguration + ALTERNATE_SUFFIX;
  }

  /**
   * Records that {@code scope} of {@code book} (its on-demand cluster) serves route configuration
   * {@code base} (from the snapshot). Idempotent; a scope now serving another name is re-indexed.
   */
  void serves(String scope, String book, String base) {
    Scope s = scopes.get(scope);
    if (s != null && s.book.equals(book) && base.equals(s.base)) {
      return;
    }
    if (s != null) {
      forget(scope);
    }
    s = new Scope(book);
    s.base = base;
    scopes.put(scope, s);
    books.computeIfAbsent(book, b -> new Book()).scopes.add(scope);
    scopesOfBase.computeIfAbsent(base, b -> new HashSet<>()).add(scope);
  }

  /** True if this Envoy's copy of {@code scope} names its alternate route configuration name. */
  boolean alternate(String scope) {
    Scope s = scopes.get(scope);
    return s != null && s.alternate;
  }

  /** True if the book's cluster is held back from this Envoy (evicted, not fetched since). */
  boolean heldBack(String cluster) {
    return heldBack.contains(cluster);
  }

  /** The scope (recorded by {@link #serves}) whose copy on this Envoy names {@code routeConfiguration}, or null. */
  String scopeNaming(String routeConfiguration) {
    String base = baseName(routeConfiguration);
    boolean alternate = !base.equals(routeConfiguration);
    for (String scope : scopesOfBase.getOrDefault(base, Set.of())) {
      if (scopes.get(scope).alternate == alternate) {
        return scope;
      }
    }
    return null;
  }

  /** Envoy holds {@code scope} naming its alternate name (its initial scope versions on a reconnect). */
  void restoreAlternate(String scope) {
    Scope s = scopes.get(scope);
    if (s != null) {
      s.alternate = true;
    }
  }

  /**
   * Envoy holds {@code routeConfiguration} already (its initial versions on a reconnect): the scope
   * serving it names it and is loaded. Returns the book whose cluster {@link #notHeldOnConnect} held
   * back and is released now (a request may be waiting for it), or null.
   */
  String heldOnConnect(String routeConfiguration) {
    String base = baseName(routeConfiguration);
    String released = null;
    for (String scope : scopesOfBase.getOrDefault(base, Set.of())) {
      Scope s = scopes.get(scope);
      s.alternate = !base.equals(routeConfiguration);
      setLoad(scope, Load.LOADED);
      byLastFetch.put(s.book, Boolean.TRUE);
      if (heldBack.remove(s.book)) {
        released = s.book;
      }
    }
    return released;
  }

  /**
   * On a reconnect Envoy is still subscribed to {@code cluster} (its on-demand subscription outlives
   * the cluster's removal) but does not hold it: if it is a book's, it stays held back until the
   * book's next fetch (or {@link #heldOnConnect} of one of its route configurations), as before.
   */
  void notHeldOnConnect(String cluster) {
    if (books.containsKey(cluster)) {
      heldBack.add(cluster);
    }
  }

  /**
   * Envoy asked for {@code routeConfiguration}: if a scope's copy names it, that is its book's
   * fetch. Returns the book whose cluster was held back and is released now (send the cluster
   * before the route configuration), or null.
   */
  String fetched(String routeConfiguration) {
    String scope = scopeNaming(routeConfiguration);
    if (scope == null) {
      return null;
    }
    setLoad(scope, Load.LOADING);
    String book = scopes.get(scope).book;
    books.get(book).moving = false; // fetched on its new name: Envoy took the move, the book is held again
    byLastFetch.put(book, Boolean.TRUE);
    return heldBack.remove(book) ? book : null;
  }

  /** A response carrying {@code routeConfigurations} went out with {@code nonce}. */
  void sent(Iterable<String> routeConfigurations, String nonce) {
    for (String name : routeConfigurations) {
      sentInNonce.put(name, nonce);
    }
  }

  /** Envoy ACKed the route configuration response {@code nonce}: the scopes loading what it carried are loaded. */
  void acked(String nonce) {
    Iterator<Map.Entry<String, String>> it = sentInNonce.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, String> entry = it.next();
      if (entry.getValue().equals(nonce)) {
        it.remove();
        String scope = scopeNaming(entry.getKey());
        if (scope != null && scopes.get(scope).load == Load.LOADING) {
          setLoad(scope, Load.LOADED);
        }
      }
    }
  }

  /** Envoy dropped {@code routeConfiguration}: the scope whose copy names it is no longer loaded. */
  void unsubscribed(String routeConfiguration) {
    sentInNonce.remove(routeConfiguration);
    String scope = scopeNaming(routeConfiguration);
    if (scope != null) {
      setLoad(scope, Load.NONE);
    }
  }

  /** Forgets scopes the snapshot no longer has. */
  void retainScopes(Set<String> present) {
    for (String scope : List.copyOf(scopes.keySet())) {
      if (!present.contains(scope)) {
        forget(scope);
      }
    }
  }

  /** Forgets {@code scope} if recorded: it is gone from the snapshot, or no longer a book's. */
  void notServed(String scope) {
    if (scopes.containsKey(scope)) {
      forget(scope);
    }
  }

  private void forget(String scope) {
    setLoad(scope, Load.NONE);
    Scope s = scopes.remove(scope);
    Set<String> ofBase = scopesOfBase.get(s.base);
    if (ofBase != null && ofBase.remove(scope) && ofBase.isEmpty()) {
      scopesOfBase.remove(s.base);
    }
    Book book = books.get(s.book);
    book.scopes.remove(scope);
    if (book.scopes.isEmpty()) {
      books.remove(s.book);
      heldBack.remove(s.book);
    }
  }

  private void setLoad(String scope, Load load) {
    Scope s = scopes.get(scope);
    Book book = books.get(s.book);
    if (s.load != Load.NONE) {
      book.active--;
    }
    if (s.load == Load.LOADING) {
      book.loading--;
    }
    s.load = load;
    if (load != Load.NONE) {
      book.active++;
    }
    if (load == Load.LOADING) {
      book.loading++;
    }
    if (book.active == 0) {
      byLastFetch.remove(s.book);
    }
  }

  /** Books with a scope loaded or loading on this Envoy. */
  int held() {
    return byLastFetch.size();
  }

  /**
   * Evicts least recently fetched books while more than the limit are held: each loaded scope of
   * the book moves to its other name; the book's cluster is held back once Envoy took the moves
   * ({@link #movesSent} and {@link #movesAcked}, or {@link #movesTaken}). A book with a scope whose
   * load is pending is skipped (it was just fetched: the last candidate anyway).
   */
  List<Eviction> evictOverLimit() {
    List<Eviction> evictions = new ArrayList<>();
    int over = byLastFetch.size() - limit;
    if (over <= 0) {
      return evictions;
    }
    List<String> chosen = new ArrayList<>(over);
    for (String name : byLastFetch.keySet()) { // least recently fetched first; stops after the few it needs
      if (chosen.size() == over) {
        break;
      }
      if (books.get(name).loading == 0) {
        chosen.add(name);
      }
    }
    for (String name : chosen) {
      Book book = books.get(name);
      List<String> moved = new ArrayList<>();
      for (String scope : new TreeSet<>(book.scopes)) {
        Scope s = scopes.get(scope);
        if (s.load == Load.LOADED) {
          s.alternate = !s.alternate;
          setLoad(scope, Load.NONE);
          moved.add(scope);
        }
      }
      book.moving = true;
      evictions.add(new Eviction(name, moved));
    }
    return evictions;
  }

  /** The scope moves of {@code evictions} went out in the route scope response {@code nonce}: their clusters wait for its ACK. */
  void movesSent(List<Eviction> evictions, String nonce) {
    movesInNonce.put(nonce, List.copyOf(evictions));
  }

  /**
   * Envoy holds the scopes of {@code evictions} as moved (it ACKed them, or nothing needed
   * sending): each book still evicted (not fetched on its new name since) has its cluster held
   * back. Returns those clusters, to remove from Envoy now.
   */
  List<String> movesTaken(List<Eviction> evictions) {
    List<String> clusters = new ArrayList<>();
    for (Eviction eviction : evictions) {
      Book book = books.get(eviction.cluster());
      if (book != null && book.moving) {
        book.moving = false;
        if (book.active == 0) {
          heldBack.add(eviction.cluster());
          clusters.add(eviction.cluster());
        }
      }
    }
    return clusters;
  }

  /** Envoy ACKed route scope response {@code nonce}: {@link #movesTaken} for the moves it carried, if any. */
  List<String> movesAcked(String nonce) {
    List<Eviction> moves = movesInNonce.remove(nonce);
    return moves == null ? List.of() : movesTaken(moves);
  }

  /**
   * Envoy NACKed route scope response {@code nonce}: it kept its scopes as they were, so each move
   * the response carried is undone — the scope names its previous route configuration again,
   * loaded, the book held (most recently fetched, so another is evicted next), its cluster never
   * held back. Returns the evictions undone (none if the response carried no move).
   */
  List<Eviction> movesRejected(String nonce) {
    List<Eviction> moves = movesInNonce.remove(nonce);
    List<Eviction> undone = new ArrayList<>();
    for (Eviction eviction : moves == null ? List.<Eviction>of() : moves) {
      Book book = books.get(eviction.cluster());
      if (book == null || !book.moving) {
        continue;
      }
      book.moving = false;
      for (String scope : eviction.scopesMoved()) {
        Scope s = scopes.get(scope);
        if (s != null && s.book.equals(eviction.cluster()) && s.load == Load.NONE) {
          s.alternate = !s.alternate;
          setLoad(scope, Load.LOADED);
        }
      }
      if (book.active > 0) {
        byLastFetch.put(eviction.cluster(), Boolean.TRUE);
      }
      undone.add(eviction);
    }
    return undone;
  }
}
