package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import io.voyager.bdk.xds.version.XdsType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * One Envoy's delta subscription to one resource type on one stream: what it asked for (wildcard
 * and/or names) and which version of each resource it has. Pure state, no I/O; the owning
 * {@link DeltaAdsStream} guards it with its lock.
 *
 * <p>What java-control-plane 1.0.49 gets wrong and this does not:
 * <ul>
 *   <li>The first request's {@code initial_resource_versions} are what Envoy already has (after a
 *       reconnect: from the previous xds-server). They are taken as known, so a resource deleted
 *       while the server was down is sent as removed and an unchanged one is not re-sent
 *       (upstream issue #463 ignores them: stale clusters stay in Envoy forever).
 *   <li>A subscribed name the snapshot lacks (EDS for a cluster that does not exist yet) is
 *       answered as removed, the protocol's "does not exist", so Envoy does not wait for it, and
 *       stays of interest: the snapshot that adds it sends it. A type whose removals Envoy ignores
 *       (RDS) is answered instead with the placeholder its {@code placeholders} give (an empty route
 *       configuration of that name, {@link AbsentResourcePlaceholders}), at a fixed version, while
 *       Envoy does not hold a real one; the real one, when it comes, is sent over it.
 *   <li>Resources the snapshot serves by name only (books' clusters with on-demand clusters,
 *       {@link ContentVersionedSnapshot#byNameOnly}) are left out of the wildcard: Envoy gets one
 *       when it subscribes to its name (its on_demand filter, for a request whose route needs it),
 *       then its changes and its removal like any other resource it holds.
 *   <li>The first request of a type is always answered once a snapshot exists, even when there is
 *       nothing to send (an empty type, or everything already known): Envoy's initialization waits
 *       for that first response.
 * </ul>
 *
 * <p>Known versions are updated when a response is sent, not when it is ACKed: a NACKed resource
 * is not re-sent until its content changes (no NACK loop; the quarantine removes the culprit), and
 * a removal of a resource Envoy refused is harmless.
 */
final class DeltaSubscription {
  static final String WILDCARD = "*";

  /** One response's worth: resources to add or update (by name, sorted), names removed, and the type version. */
  record Update(Map<String, VersionedResource<?>> upserts, List<String> removals, String version) {
    boolean isEmpty() {
      return upserts.isEmpty() && removals.isEmpty();
    }
  }

  private final XdsType type;
  /** Name → what to send for a subscribed name the snapshot lacks; empty: answer it as removed. */
  private final Function<String, Optional<VersionedResource<?>>> placeholders;
  /** Snapshot → its resources of this type as this Envoy is served them (the held-books bound rewrites some). */
  private final Function<ContentVersionedSnapshot, Map<String, VersionedResource<?>>> view;
  private boolean started;
  private boolean wildcard;
  private final Set<String> names = new HashSet<>();
  /** Resource name → the version Envoy has (as sent or as it told us on connecting). */
  private final Map<String, String> known = new HashMap<>();
  /** The snapshot the known versions were last brought up to (null: none yet). */
  private ContentVersionedSnapshot reconciledTo;
  /** The type version of the last response sent on this stream (null: none yet). */
  private String lastSentVersion;

  /** Absent subscribed names answered as removed (no placeholders). */
  DeltaSubscription(XdsType type) {
    this(type, name -> Optional.empty());
  }

  /** {@code placeholders}: what to send for a subscribed name the snapshot lacks (empty: answer it as removed). */
  DeltaSubscription(XdsType type, Function<String, Optional<VersionedResource<?>>> placeholders) {
    this(type, placeholders, snapshot -> SnapshotChanges.resources(snapshot, type));
  }

  /** As above, the snapshot's resources seen through {@code view} ({@link HeldBooksView}). */
  DeltaSubscription(XdsType type, Function<String, Optional<VersionedResource<?>>> placeholders,
      Function<ContentVersionedSnapshot, Map<String, VersionedResource<?>>> view) {
    this.type = type;
    this.placeholders = placeholders;
    this.view = view;
  }

  private Map<String, VersionedResource<?>> resources(ContentVersionedSnapshot snapshot) {
    return view.apply(snapshot);
  }

  XdsType type() {
    return type;
  }

  /** True once the first request of this type was handled. */
  boolean started() {
    return started;
  }

  boolean wildcard() {
    return wildcard;
  }

  Set<String> names() {
    return Set.copyOf(names);
  }

  /** The version Envoy has of {@code name} as far as this stream knows (null: none). */
  String knownVersion(String name) {
    return known.get(name);
  }

  /**
   * Applies a request's subscription changes (and, on the first, Envoy's initial versions) and
   * returns what to send now against {@code current} (null: no snapshot yet, nothing to send).
   */
  Optional<Update> onRequest(DeltaDiscoveryRequest request, ContentVersionedSnapshot current) {
    boolean first = !started;
    started = true;
    if (first) {
      known.putAll(request.getInitialResourceVersionsMap());
      // Legacy wildcard: a first request naming nothing subscribes to everything.
      wildcard = request.getResourceNamesSubscribeCount() == 0;
    }
    for (String name : request.getResourceNamesUnsubscribeList()) {
      if (WILDCARD.equals(name)) {
        wildcard = false;
        known.keySet().retainAll(names);
      } else {
        names.remove(name);
        if (!wildcard) {
          known.remove(name);
        }
      }
    }
    List<String> added = new ArrayList<>();
    for (String name : request.getResourceNamesSubscribeList()) {
      if (WILDCARD.equals(name)) {
        wildcard = true;
      } else {
        names.add(name);
        added.add(name);
        if (!first) {
          known.remove(name); // a (re-)subscription is answered with the resource, whatever Envoy had
        }
      }
    }
    if (current == null) {
      return Optional.empty();
    }
    if (first || reconciledTo != current) {
      return respond(reconcileFully(current), first);
    }
    Map<String, VersionedResource<?>> all = resources(current);
    Map<String, VersionedResource<?>> upserts = new TreeMap<>();
    Set<String> removals = new TreeSet<>();
    for (String name : added) {
      VersionedResource<?> resource = all.get(name);
      if (resource == null) {
        resource = placeholder(name).orElse(null);
      }
      if (resource == null) {
        removals.add(name); // "does not exist (yet)": Envoy stops waiting; the snapshot that adds it sends it
      } else if (!resource.version().equals(known.get(name))) {
        upserts.put(name, resource);
      }
    }
    return respond(new Update(upserts, List.copyOf(removals), current.version(type)), false);
  }

  /**
   * What {@code next} changes for this subscription, {@code changes} being what differs from
   * {@code previous} to {@code next}. Nothing before the first request.
   */
  Optional<Update> onSnapshot(ContentVersionedSnapshot previous, ContentVersionedSnapshot next, SnapshotChanges changes) {
    if (!started || reconciledTo == next) {
      return Optional.empty();
    }
    if (previous == null || reconciledTo != previous) {
      return respond(reconcileFully(next), false);
    }
    Map<String, VersionedResource<?>> all = resources(next);
    Map<String, VersionedResource<?>> upserts = new TreeMap<>();
    for (String changed : changes.changed(type)) {
      // A route configuration may be held under its alternate name too (the held-books bound).
      List<String> served = type == XdsType.ROUTE ? List.of(changed, HeldBooks.alternateName(changed)) : List.of(changed);
      for (String name : served) {
        if (ofInterest(next, name)) {
          VersionedResource<?> resource = all.get(name);
          if (resource != null && !resource.version().equals(known.get(name))) {
            upserts.put(name, resource);
          }
        }
      }
    }
    List<String> removals = new ArrayList<>();
    for (String name : changes.removed(type)) {
      if (known.containsKey(name) && placeholder(name).isEmpty()) {
        removals.add(name);
      }
    }
    reconciledTo = next;
    return respond(new Update(upserts, removals, next.version(type)), false);
  }

  /**
   * What to send now for {@code names} whose view changed without a new snapshot (the held-books
   * bound moved a scope, held back or released a cluster): each of interest that Envoy lacks or has
   * at another version, and each Envoy holds that is no longer served (as removed, unless a
   * placeholder stands in). Empty before the first request or without a snapshot.
   */
  Optional<Update> resend(Collection<String> names, ContentVersionedSnapshot current) {
    if (!started || current == null) {
      return Optional.empty();
    }
    Map<String, VersionedResource<?>> all = resources(current);
    Map<String, VersionedResource<?>> upserts = new TreeMap<>();
    Set<String> removals = new TreeSet<>();
    for (String name : names) {
      VersionedResource<?> resource = all.get(name);
      if (resource != null) {
        if (ofInterest(current, name) && !resource.version().equals(known.get(name))) {
          upserts.put(name, resource);
        }
      } else if (known.containsKey(name) && placeholder(name).isEmpty()) {
        removals.add(name);
      }
    }
    return respond(new Update(upserts, List.copyOf(removals), current.version(type)), false);
  }

  /**
   * Placeholders for {@code candidates} Envoy may be about to wait for without this stream knowing
   * yet (its subscription crossing the snapshot that removed them): every one absent from
   * {@code snapshot}, neither subscribed nor held here, that the type has a placeholder for. Not
   * recorded as sent: Envoy drops a resource it did not subscribe to, and if its subscription was
   * in flight, that subscription is answered again when it arrives.
   */
  Map<String, VersionedResource<?>> placeholdersFor(List<String> candidates, ContentVersionedSnapshot snapshot) {
    Map<String, VersionedResource<?>> all = resources(snapshot);
    Map<String, VersionedResource<?>> upserts = new TreeMap<>();
    for (String name : candidates) {
      if (!all.containsKey(name) && !names.contains(name) && !known.containsKey(name)) {
        placeholders.apply(name).ifPresent(p -> upserts.put(name, p));
      }
    }
    return upserts;
  }

  /**
   * Everything of interest in {@code snapshot} Envoy lacks or has at another version; as removed,
   * every known or subscribed name it lacks, but a subscribed one with a placeholder (sent unless
   * Envoy has it).
   */
  private Update reconcileFully(ContentVersionedSnapshot snapshot) {
    Map<String, VersionedResource<?>> all = resources(snapshot);
    Map<String, VersionedResource<?>> upserts = new TreeMap<>();
    if (wildcard) {
      all.forEach((name, resource) -> {
        if (ofInterest(snapshot, name) && !resource.version().equals(known.get(name))) {
          upserts.put(name, resource);
        }
      });
    } else {
      for (String name : names) {
        VersionedResource<?> resource = all.get(name);
        if (resource != null && !resource.version().equals(known.get(name))) {
          upserts.put(name, resource);
        }
      }
    }
    Set<String> removals = new TreeSet<>();
    for (String name : names) {
      if (!all.containsKey(name)) {
        Optional<VersionedResource<?>> placeholder = placeholder(name);
        if (placeholder.isEmpty()) {
          removals.add(name);
        } else if (!placeholder.get().version().equals(known.get(name))) {
          upserts.put(name, placeholder.get());
        }
      }
    }
    for (String name : known.keySet()) {
      if (!all.containsKey(name) && !upserts.containsKey(name) && placeholder(name).isEmpty()) {
        removals.add(name);
      }
    }
    reconciledTo = snapshot;
    return new Update(upserts, List.copyOf(removals), snapshot.version(type));
  }

  /**
   * What stands in for {@code name}, absent from the snapshot: the type's placeholder if Envoy
   * subscribed to the name and holds no real resource of it (nothing, or the placeholder itself);
   * else empty (answer as removed: Envoy has a real one, or the type has no placeholder).
   */
  private Optional<VersionedResource<?>> placeholder(String name) {
    if (!names.contains(name)) {
      return Optional.empty();
    }
    Optional<VersionedResource<?>> placeholder = placeholders.apply(name);
    String held = known.get(name);
    return placeholder.filter(p -> held == null || held.equals(p.version()));
  }

  /**
   * True if this subscription wants {@code name} of {@code snapshot}: subscribed by name; or, under
   * the wildcard, any resource but one served by name only (a book's on-demand cluster), unless
   * Envoy already has that one (after a reconnect its initial versions say so; it must stay
   * current).
   */
  private boolean ofInterest(ContentVersionedSnapshot snapshot, String name) {
    if (names.contains(name)) {
      return true;
    }
    return wildcard && (!snapshot.byNameOnly(type, name) || known.containsKey(name));
  }

  /**
   * The update to send, its versions now known: when it carries anything, when the type's version
   * moved since the last response (so Envoy's ACK names the current version, also when none of
   * its resources changed), or when {@code mustAnswer}.
   */
  private Optional<Update> respond(Update update, boolean mustAnswer) {
    if (update.isEmpty() && !mustAnswer && update.version().equals(lastSentVersion)) {
      return Optional.empty();
    }
    update.upserts().forEach((name, resource) -> known.put(name, resource.version()));
    update.removals().forEach(known::remove);
    lastSentVersion = update.version();
    return Optional.of(update);
  }
}
