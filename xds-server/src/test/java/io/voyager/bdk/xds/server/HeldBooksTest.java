package io.voyager.bdk.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The held-books bound's per-Envoy state: least-recently-fetched order, what is evictable, names, reconnects. */
class HeldBooksTest {
  /** Book {@code b}'s scope for integration {@code i}: scope and route configuration share the name. */
  static String scope(String book, String integration) {
    return "webhook/ns/" + book + "/" + integration;
  }

  static String cluster(String book) {
    return "k8s/ns/" + book + "/8080";
  }

  private final HeldBooks held = new HeldBooks(2);
  private int nonce;

  private void serve(String book, String... integrations) {
    for (String integration : integrations) {
      held.serves(scope(book, integration), cluster(book), scope(book, integration));
    }
  }

  /** Envoy fetches the route configuration {@code name} and ACKs the response. Returns the released book, or null. */
  private String fetchAndAck(String name) {
    String released = held.fetched(name);
    String n = Integer.toString(++nonce);
    held.sent(List.of(name), n);
    held.acked(n);
    return released;
  }

  /** Evicts over the limit, the scope moves sent in one response that Envoy ACKs. */
  private List<HeldBooks.Eviction> evictAndAck() {
    List<HeldBooks.Eviction> evicted = held.evictOverLimit();
    String n = "moves-" + (++nonce);
    held.movesSent(evicted, n);
    assertThat(held.movesAcked(n)).as("every evicted book's cluster goes")
        .containsExactlyElementsOf(evicted.stream().map(HeldBooks.Eviction::cluster).toList());
    return evicted;
  }

  /** Books a, b and c, one integration each, fetched (and ACKed) in that order: one over the limit. */
  private void threeBooksFetchedInOrder() {
    for (String book : List.of("a", "b", "c")) {
      serve(book, "github");
      fetchAndAck(scope(book, "github"));
    }
  }

  @Test
  void evictsTheLeastRecentlyFetchedBookOnceMoreThanTheLimitAreHeld() {
    serve("a", "github");
    serve("b", "github");
    serve("c", "github");
    fetchAndAck(scope("a", "github"));
    fetchAndAck(scope("b", "github"));
    assertThat(held.evictOverLimit()).isEmpty();
    fetchAndAck(scope("a", "github")); // a fetched again (e.g. after a reload): b is now the oldest
    fetchAndAck(scope("c", "github"));

    List<HeldBooks.Eviction> evicted = held.evictOverLimit();
    assertThat(evicted).containsExactly(new HeldBooks.Eviction(cluster("b"), List.of(scope("b", "github"))));
    assertThat(held.held()).isEqualTo(2);
    assertThat(held.alternate(scope("b", "github"))).isTrue();
    assertThat(held.heldBack(cluster("b"))).as("not before Envoy took the scope move").isFalse();
    held.movesSent(evicted, "moves-1");
    assertThat(held.movesAcked("other")).isEmpty();
    assertThat(held.movesAcked("moves-1")).containsExactly(cluster("b"));
    assertThat(held.heldBack(cluster("b"))).isTrue();
    assertThat(held.movesAcked("moves-1")).as("once").isEmpty();
    assertThat(held.scopeNaming(scope("b", "github") + "~1")).isEqualTo(scope("b", "github"));
    assertThat(held.scopeNaming(scope("b", "github"))).isNull();
  }

  @Test
  void aBookIsReloadedByAFetchOfItsScopesOtherNameWhichReleasesItsClusterOnce() {
    threeBooksFetchedInOrder();
    evictAndAck(); // a
    held.unsubscribed(scope("a", "github")); // Envoy drops the name the scope no longer names

    assertThat(held.fetched(scope("a", "github"))).as("the old name is no fetch of the scope").isNull();
    assertThat(held.fetched(scope("a", "github") + "~1")).isEqualTo(cluster("a"));
    assertThat(held.heldBack(cluster("a"))).isFalse();
    assertThat(held.fetched(scope("a", "github") + "~1")).as("released once").isNull();
  }

  @Test
  void theNextEvictionMovesTheScopeBackToItsFirstName() {
    threeBooksFetchedInOrder();
    held.evictOverLimit(); // a -> ~1
    fetchAndAck(scope("a", "github") + "~1"); // a reloaded: b is the oldest
    assertThat(held.evictOverLimit()).extracting(HeldBooks.Eviction::cluster).containsExactly(cluster("b"));
    fetchAndAck(scope("b", "github") + "~1");
    assertThat(held.evictOverLimit()).extracting(HeldBooks.Eviction::cluster).containsExactly(cluster("c"));
    fetchAndAck(scope("c", "github") + "~1");
    assertThat(held.evictOverLimit()).extracting(HeldBooks.Eviction::cluster).containsExactly(cluster("a"));
    assertThat(held.alternate(scope("a", "github"))).as("R~1 -> R").isFalse();
  }

  @Test
  void aBookWhoseLoadIsPendingIsNotEvictedButTheNextOneIs() {
    serve("a", "github");
    serve("b", "github");
    serve("c", "github");
    held.fetched(scope("a", "github"));
    held.sent(List.of(scope("a", "github")), "pending-1"); // not ACKed: pending
    fetchAndAck(scope("b", "github"));
    fetchAndAck(scope("c", "github"));

    assertThat(held.evictOverLimit()).extracting(HeldBooks.Eviction::cluster).containsExactly(cluster("b"));
    assertThat(held.alternate(scope("a", "github"))).isFalse();
    held.acked("pending-1");
    fetchAndAck(scope("b", "github") + "~1");
    assertThat(held.evictOverLimit()).extracting(HeldBooks.Eviction::cluster).containsExactly(cluster("a"));
  }

  @Test
  void aNackedRouteConfigurationKeepsItsBookFromEviction() {
    serve("a", "github");
    serve("b", "github");
    serve("c", "github");
    held.fetched(scope("a", "github"));
    held.sent(List.of(scope("a", "github")), "pending-1"); // Envoy NACKs nonce 1: never acked
    held.fetched(scope("b", "github"));
    held.sent(List.of(scope("b", "github")), "pending-2");
    fetchAndAck(scope("c", "github"));

    assertThat(held.evictOverLimit()).as("a and b pending: c, though fetched last, is the only one evictable")
        .extracting(HeldBooks.Eviction::cluster).containsExactly(cluster("c"));
    assertThat(held.evictOverLimit()).as("nothing else evictable").isEmpty();
    assertThat(held.held()).isEqualTo(2);
    assertThat(held.alternate(scope("a", "github"))).isFalse();
  }

  @Test
  void aTwoIntegrationBookMovesBothLoadedScopesAndKeepsItsClusterWhileOneIsLoading() {
    serve("a", "github", "hmac");
    serve("b", "github");
    serve("c", "github");
    fetchAndAck(scope("a", "github"));
    held.fetched(scope("a", "hmac")); // loading
    fetchAndAck(scope("b", "github"));
    fetchAndAck(scope("c", "github"));
    assertThat(held.evictOverLimit()).extracting(HeldBooks.Eviction::cluster)
        .as("a has a pending load: b goes instead").containsExactly(cluster("b"));
    assertThat(held.heldBack(cluster("a"))).isFalse();

    held.sent(List.of(scope("a", "hmac")), "pending-99");
    held.acked("pending-99");
    fetchAndAck(scope("b", "github") + "~1");
    assertThat(evictAndAck()).containsExactly(
        new HeldBooks.Eviction(cluster("a"), List.of(scope("a", "github"), scope("a", "hmac"))));
    assertThat(held.heldBack(cluster("a"))).isTrue();
    assertThat(held.fetched(scope("a", "hmac") + "~1")).as("either scope's fetch brings the cluster back").isEqualTo(cluster("a"));
  }

  @Test
  void aNackedScopeMoveIsUndoneTheBookHeldAgainAsJustFetchedItsClusterNeverHeldBack() {
    threeBooksFetchedInOrder();
    List<HeldBooks.Eviction> evicted = held.evictOverLimit(); // a
    held.movesSent(evicted, "moves-1");
    assertThat(held.movesRejected("other")).isEmpty();
    assertThat(held.movesRejected("moves-1")).isEqualTo(evicted);

    assertThat(held.alternate(scope("a", "github"))).as("back on R").isFalse();
    assertThat(held.scopeNaming(scope("a", "github"))).isEqualTo(scope("a", "github"));
    assertThat(held.heldBack(cluster("a"))).isFalse();
    assertThat(held.held()).isEqualTo(3);
    assertThat(held.movesAcked("moves-1")).as("settled").isEmpty();
    assertThat(held.evictOverLimit()).as("a counts as just fetched: b goes next")
        .extracting(HeldBooks.Eviction::cluster).containsExactly(cluster("b"));
  }

  @Test
  void aBookFetchedOnItsNewNameBeforeTheMoveIsAckedKeepsItsCluster() {
    threeBooksFetchedInOrder();
    List<HeldBooks.Eviction> evicted = held.evictOverLimit(); // a
    held.movesSent(evicted, "moves-1");
    assertThat(held.fetched(scope("a", "github") + "~1")).as("nothing held back to release").isNull();
    assertThat(held.movesAcked("moves-1")).isEmpty();
    assertThat(held.heldBack(cluster("a"))).isFalse();
    assertThat(held.movesRejected("moves-1")).isEmpty();
  }

  @Test
  void onAReconnectEnvoysAlternateNamesAreWhatItHolds() {
    serve("a", "github");
    serve("b", "github");
    held.restoreAlternate(scope("a", "github")); // its scope version says ~1
    held.heldOnConnect(scope("a", "github") + "~1");
    held.heldOnConnect(scope("b", "github"));

    assertThat(held.held()).isEqualTo(2);
    assertThat(held.alternate(scope("a", "github"))).isTrue();
    assertThat(held.alternate(scope("b", "github"))).isFalse();
    serve("c", "github");
    fetchAndAck(scope("c", "github"));
    assertThat(held.evictOverLimit()).containsExactly(new HeldBooks.Eviction(cluster("a"), List.of(scope("a", "github"))));
    assertThat(held.alternate(scope("a", "github"))).as("moved back to R").isFalse();
  }

  @Test
  void onAReconnectAClusterSubscribedButNotHeldIsHeldBackUnlessEnvoyHoldsOneOfItsBooksRouteConfigurations() {
    serve("a", "github");
    serve("b", "github");
    held.notHeldOnConnect(cluster("a"));
    held.notHeldOnConnect(cluster("b"));
    held.notHeldOnConnect("infra"); // not a book's: nothing to hold back
    assertThat(held.heldBack("infra")).isFalse();

    assertThat(held.heldOnConnect(scope("b", "github"))).as("a request may wait for it").isEqualTo(cluster("b"));
    assertThat(held.heldBack(cluster("a"))).isTrue();
    assertThat(held.fetched(scope("a", "github"))).isEqualTo(cluster("a"));
  }

  @Test
  void scopesTheSnapshotDroppedAreForgotten() {
    serve("a", "github");
    serve("b", "github");
    fetchAndAck(scope("a", "github"));
    fetchAndAck(scope("b", "github"));
    held.retainScopes(Set.of(scope("b", "github")));
    assertThat(held.held()).isEqualTo(1);
    assertThat(held.scopeNaming(scope("a", "github"))).isNull();
  }

  @Test
  void aLimitBelowOneIsRefusedNamingTheFlag() {
    assertThatThrownBy(() -> new HeldBooks(0)).hasMessageContaining("held-books-limit");
  }
}
