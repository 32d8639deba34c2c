package io.voyager.bdk.xds.nack;

import io.voyager.bdk.xds.ir.BackendIr;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.translate.Translation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Books held out of the gateway because Envoy refused the resources made from them. A
 * state-of-the-world response is refused whole, so one book's bad resources would otherwise hold
 * every other book's updates of that type; held out, the next snapshot carries only what Envoy
 * accepts.
 *
 * <p>An entry is keyed by the book and the exact {@link BookInputs} that produced the refused
 * resources: when they change (the user fixed the book or its endpoints moved) the book is
 * released and tried again, and is "on trial" until Envoy ACKs a version of that type with it; if
 * Envoy refuses it again it comes back — at most one NACK per version of its inputs. A book that
 * no longer exists loses its entry, so memory follows the existing books.
 *
 * <p>The decisions ({@link #heldOut}) are a function of the entries and the input; the translator
 * only ever sees the resulting map (part of {@link GatewayInput}). Thread-safe: NACKs add entries
 * on one thread, rebuilds read and release them on another.
 */
public final class Quarantine {
  private static final Logger log = LoggerFactory.getLogger(Quarantine.class);

  /** A held-out book, the inputs it is held for, the resource type Envoy refused and Envoy's message. */
  public record Entry(NackAttribution.BookRef book, BookInputs inputs, String typeUrl, String envoyError, Instant since) {
    /** The status message: why the book is out and until when. */
    public String message() {
      return heldOutMessage(envoyError);
    }
  }

  /** One row of {@code /debug/quarantine}. */
  public record View(String book, String type, String since, String message) {}

  private final Map<NackAttribution.BookRef, Entry> held = new TreeMap<>();
  /** Released after an input change, not yet confirmed by an ACK: book → type URL it was refused for. */
  private final Map<NackAttribution.BookRef, String> onTrial = new TreeMap<>();

  /** {@code Accepted=False} message of a held-out book; {@code envoyError} is one line, no secrets (Envoy's NACK). */
  public static String heldOutMessage(String envoyError) {
    return "held out of the gateway until its resources change (this ExternalBookDefinition or its Service's "
        + "EndpointSlices); Envoy rejected them: " + envoyError;
  }

  /**
   * Holds {@code book} out while its inputs are {@code inputs}. True if this changes what the
   * gateway serves (new entry or other inputs): the caller then triggers a rebuild.
   */
  public synchronized boolean hold(NackAttribution.BookRef book, BookInputs inputs, String typeUrl, String envoyError) {
    Entry existing = held.get(book);
    if (existing != null && existing.inputs().equals(inputs)) {
      return false;
    }
    held.put(book, new Entry(book, inputs, typeUrl, envoyError, Instant.now()));
    onTrial.remove(book);
    log.warn("event=book_quarantined book={} type={} quarantined={}", book, shortType(typeUrl), held.size());
    return true;
  }

  /**
   * The books {@code input} must leave out (key {@code namespace/name} → status message). Entries
   * whose book is gone are dropped; entries whose book's inputs changed are released (put on
   * trial) and not returned.
   */
  public synchronized Map<String, String> heldOut(GatewayInput input) {
    if (held.isEmpty() && onTrial.isEmpty()) {
      return Map.of();
    }
    onTrial.keySet().removeIf(book -> input.book(book.toString()) == null);
    Map<String, String> out = new TreeMap<>();
    for (var it = held.values().iterator(); it.hasNext(); ) {
      Entry entry = it.next();
      BookSource source = input.book(entry.book().toString());
      if (source == null) {
        it.remove();
        log.info("event=quarantine_dropped book={} reason=deleted quarantined={}", entry.book(), held.size());
      } else if (!BookInputs.current(source, entry.inputs().backend(), input).equals(entry.inputs())) {
        it.remove();
        onTrial.put(entry.book(), entry.typeUrl());
        log.info("event=quarantine_released book={} reason=inputs_changed quarantined={}", entry.book(), held.size());
      } else {
        out.put(source.key(), entry.message());
      }
    }
    return out;
  }

  public synchronized boolean isHeld(NackAttribution.BookRef book) {
    return held.containsKey(book);
  }

  public synchronized boolean hasBooksOnTrial() {
    return !onTrial.isEmpty();
  }

  /**
   * Books released for a retry that Envoy has now accepted: on trial for {@code typeUrl}, routed in
   * {@code acked} (the translation of the version Envoy ACKed), and carried by the ACKed response —
   * {@code resourceNames} holds their cluster, or is empty (the response carried every resource of
   * the type). Envoy may ACK a version for some names and NACK the same version for more, so an
   * ACK without the book's cluster proves nothing. They leave the trial.
   */
  public synchronized Set<NackAttribution.BookRef> confirmedBy(String typeUrl, Translation acked, Set<String> resourceNames) {
    Set<NackAttribution.BookRef> confirmed = new TreeSet<>();
    if (onTrial.isEmpty()) {
      return confirmed;
    }
    for (BookTranslation t : acked.books()) {
      NackAttribution.BookRef ref = new NackAttribution.BookRef(t.namespace(), t.name());
      if (t instanceof BookTranslation.Accepted a && typeUrl.equals(onTrial.get(ref))
          && (resourceNames.isEmpty() || resourceNames.contains(BackendIr.clusterName(a.backend()))
              || !namesClusters(typeUrl))) {
        confirmed.add(ref);
      }
    }
    confirmed.forEach(onTrial::remove);
    return confirmed;
  }

  /** EDS and CDS resources are named by cluster; route and listener names are shared by every book. */
  private static boolean namesClusters(String typeUrl) {
    return typeUrl.endsWith(".ClusterLoadAssignment") || typeUrl.endsWith(".Cluster");
  }

  public synchronized int size() {
    return held.size();
  }

  /** Held-out books, sorted: for {@code /debug/quarantine}. */
  public synchronized List<View> view() {
    List<View> rows = new ArrayList<>();
    held.values().forEach(e -> rows.add(new View(e.book().toString(), shortType(e.typeUrl()), e.since().toString(), e.message())));
    return rows;
  }

  static String shortType(String typeUrl) {
    int dot = typeUrl.lastIndexOf('.');
    return dot < 0 ? typeUrl : typeUrl.substring(dot + 1);
  }
}
