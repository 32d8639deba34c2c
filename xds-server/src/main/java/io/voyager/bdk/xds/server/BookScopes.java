package io.voyager.bdk.xds.server;

import io.voyager.bdk.xds.model.PersistentSortedMap;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import java.util.List;

/**
 * A snapshot's on-demand route scopes with the book each serves: scope name → its route
 * configuration and the book's cluster (the first cluster its routes name that the snapshot serves
 * by name only, {@link ContentVersionedSnapshot#byNameOnly}). Scopes whose routes name no such
 * cluster (eager clusters, the library's scope) are not books here, nor is a book whose cluster a
 * route configuration no on-demand scope names routes to as well (the internal delivery listener's,
 * for a book with a queued integration): evicting its cluster would leave that route waiting out
 * Envoy's on-demand timeout, as Envoy does not ask again for a name it is subscribed to.
 *
 * <p>Also what differs from {@code basis}, the snapshot these were derived from (null: none, every
 * entry is new): the scopes whose entry is new or changed, and the scopes that are no longer books.
 * A stream whose index is at {@code basis} applies just those ({@link HeldBooksBound#indexTo}).
 * Made by {@link BookScopesIndex}, once per snapshot, shared by every stream; immutable.
 */
record BookScopes(ContentVersionedSnapshot snapshot, ContentVersionedSnapshot basis,
    PersistentSortedMap<Entry> byScope, List<String> changed, List<String> removed) {
  /** One scope's route configuration (as the snapshot names it) and its book's cluster. */
  record Entry(String routeConfiguration, String cluster) {}
}
