package io.voyager.bdk.xds.nack;

import static io.voyager.bdk.xds.Fixtures.book;
import static io.voyager.bdk.xds.Fixtures.ready;
import static io.voyager.bdk.xds.Fixtures.slice;
import static io.voyager.bdk.xds.Fixtures.webhook;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.voyager.bdk.model.Conditions;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.xds.ir.BookTranslation;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.ServiceKey;
import io.voyager.bdk.xds.nack.NackAttribution.BookRef;
import io.voyager.bdk.xds.nack.NackAttributionTest.DirectExecutor;
import io.voyager.bdk.xds.server.TranslationHistory;
import io.voyager.bdk.xds.translate.GatewayTranslator;
import io.voyager.bdk.xds.translate.IncrementalTranslator;
import io.voyager.bdk.xds.translate.PublishedTranslation;
import io.voyager.bdk.xds.translate.Translation;
import io.voyager.bdk.xds.translate.XdsTranslator;
import io.voyager.bdk.xds.version.ContentVersionedSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Books Envoy refused are held out for the exact inputs that made them, and only for those. */
class QuarantineTest {
  static final GatewaySettings SETTINGS = GatewaySettings.defaults();
  static final XdsTranslator XDS = new XdsTranslator(SETTINGS.transcoder());
  static final String EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
  static final BookRef ACME = new BookRef("customer-a", "acme");
  static final BookRef SHOP = new BookRef("customer-b", "shop");
  static final String ACME_CLUSTER = "k8s/customer-a/acme/8080";
  /** Shaped like Envoy 1.36.4's EDS NACK for a port above 65535 (it dumps the refused load assignment). */
  static final String ACME_PORT_NACK = "Proto constraint validation failed (SocketAddressValidationError.PortValue: value "
      + "must be less than or equal to 65535): cluster_name: \"" + ACME_CLUSTER + "\" endpoints { lb_endpoints { endpoint "
      + "{ address { socket_address { address: \"10.0.0.1\" port_value: 70000 } } } } }";

  final List<BookSource> books = new ArrayList<>(List.of(
      book("customer-a", "acme", webhook("github", "github")),
      book("customer-b", "shop", webhook("stripe", "stripe"))));
  final Map<ServiceKey, List<EndpointSliceView>> slices = new HashMap<>(Map.of(
      new ServiceKey("customer-a", "acme"), List.of(slice("customer-a", "acme", "http", 8080, ready("10.0.0.1"))),
      new ServiceKey("customer-b", "shop"), List.of(slice("customer-b", "shop", "http", 8080, ready("10.0.0.1")))));
  final Quarantine quarantine = new Quarantine();

  GatewayInput sources() {
    return new GatewayInput(SETTINGS, books, slices);
  }

  /** What the watcher does: the quarantine's decision becomes part of the input. */
  GatewayInput input() {
    GatewayInput sources = sources();
    return new GatewayInput(SETTINGS, List.copyOf(sources.books()), sources.slices(), quarantine.heldOut(sources));
  }

  static PublishedTranslation translated(GatewayInput input) {
    return new PublishedTranslation(input, new GatewayTranslator(XDS).translate(input));
  }

  BookInputs acmeInputs() {
    return BookInputs.of(ACME, translated(input())).orElseThrow();
  }

  static List<String> names(List<? extends Message> messages) {
    return messages.stream().map(m -> m instanceof Cluster c ? c.getName() : ((ClusterLoadAssignment) m).getClusterName()).toList();
  }

  @Test
  void aHeldOutBookGetsNoRouteClusterOrEndpointsAndTheOthersAreUntouched() {
    Translation before = translated(input()).translation();
    assertThat(quarantine.hold(ACME, acmeInputs(), EDS, "refused")).isTrue();

    Translation held = translated(input()).translation();

    assertThat(names(held.resources().clusters())).doesNotContain(ACME_CLUSTER).contains("k8s/customer-b/shop/8080");
    assertThat(names(held.resources().endpoints())).doesNotContain(ACME_CLUSTER).contains("k8s/customer-b/shop/8080");
    String routes = held.resources().routes().get(0).toString();
    assertThat(routes).doesNotContain(WebhookRoutes.publicPath("customer-a", "acme", "github"))
        .contains(WebhookRoutes.publicPath("customer-b", "shop", "stripe"));
    assertThat(held.books()).containsExactly(
        new BookTranslation.HeldOut("customer-a", "acme", Quarantine.heldOutMessage("refused")),
        before.books().get(1));
    assertThat(quarantine.size()).isEqualTo(1);
  }

  @Test
  void holdingABookOutGivesTheSameContentVersionsAsLeavingItOutAndTheIncrementalTranslatorAgrees() {
    quarantine.hold(ACME, acmeInputs(), EDS, "refused");
    GatewayInput held = input();
    GatewayInput without = new GatewayInput(SETTINGS, List.of(books.get(1)), slices);

    String heldVersion = ContentVersionedSnapshot.of(new GatewayTranslator(XDS).translate(held).resources()).summaryVersion();
    IncrementalTranslator incremental = new IncrementalTranslator(XDS);
    incremental.translate(sources()); // caches acme's translation first
    Translation incrementalHeld = incremental.translate(held);

    assertThat(heldVersion)
        .isEqualTo(ContentVersionedSnapshot.of(new GatewayTranslator(XDS).translate(without).resources()).summaryVersion())
        .isEqualTo(ContentVersionedSnapshot.of(incrementalHeld.resources()).summaryVersion());
    assertThat(incrementalHeld.books()).isEqualTo(new GatewayTranslator(XDS).translate(held).books());
  }

  @Test
  void unchangedInputsStayHeldAndASecondNackOfTheSameInputsChangesNothing() {
    BookInputs inputs = acmeInputs();
    assertThat(quarantine.hold(ACME, inputs, EDS, "refused")).isTrue();
    assertThat(quarantine.hold(ACME, inputs, EDS, "refused")).as("same inputs: no rebuild needed").isFalse();
    for (int i = 0; i < 3; i++) {
      assertThat(quarantine.heldOut(sources())).containsOnlyKeys("customer-a/acme");
    }
    assertThat(quarantine.hasBooksOnTrial()).isFalse();
  }

  @Test
  void aChangedSpecReleasesTheBookAndAnAckOfAVersionRoutingItConfirmsIt() {
    quarantine.hold(ACME, acmeInputs(), EDS, "refused");
    BookSource acme = books.get(0);
    ExternalBookDefinitionSpec s = acme.spec();
    books.set(0, new BookSource(acme.namespace(), acme.name(), new ExternalBookDefinitionSpec(s.bookType(), "9.9.9",
        s.externalIntegrations(), s.networking(), s.resources(), s.scaling(), s.service(), s.instanceRef())));

    assertThat(quarantine.heldOut(sources())).isEmpty();
    assertThat(quarantine.size()).isZero();
    assertThat(quarantine.hasBooksOnTrial()).isTrue();
    Translation retried = translated(input()).translation();
    assertThat(names(retried.resources().clusters())).contains(ACME_CLUSTER);

    assertThat(quarantine.confirmedBy("type.googleapis.com/envoy.config.cluster.v3.Cluster", retried, Set.of()))
        .as("an ACK of another type confirms nothing").isEmpty();
    assertThat(quarantine.confirmedBy(EDS, retried, Set.of("k8s/customer-b/shop/8080")))
        .as("an ACK of a response that did not carry its cluster confirms nothing").isEmpty();
    assertThat(quarantine.confirmedBy(EDS, retried, Set.of(ACME_CLUSTER, "k8s/customer-b/shop/8080"))).containsExactly(ACME);
    assertThat(quarantine.hasBooksOnTrial()).isFalse();
  }

  @Test
  void changedEndpointsOfItsServiceReleaseTheBookButOtherServicesEndpointsDoNot() {
    quarantine.hold(ACME, acmeInputs(), EDS, "refused");
    slices.put(new ServiceKey("customer-b", "shop"), List.of(slice("customer-b", "shop", "http", 8080, ready("10.0.0.9"))));
    assertThat(quarantine.heldOut(sources())).as("another Service's slices").containsOnlyKeys("customer-a/acme");

    slices.put(new ServiceKey("customer-a", "acme"), List.of(slice("customer-a", "acme", "http", 8081, ready("10.0.0.1"))));
    assertThat(quarantine.heldOut(sources())).as("its own Service's slices").isEmpty();
  }

  @Test
  void aDeletedBookLosesItsEntry() {
    quarantine.hold(ACME, acmeInputs(), EDS, "refused");
    books.remove(0);
    assertThat(quarantine.heldOut(sources())).isEmpty();
    assertThat(quarantine.size()).isZero();
    assertThat(quarantine.hasBooksOnTrial()).as("a deleted book is not on trial either").isFalse();
    assertThat(quarantine.view()).isEmpty();
  }

  // ---- from NACK to quarantine (NackWriteBack with a translation history) ----

  final TranslationHistory history = new TranslationHistory(4);
  final List<String> writes = new ArrayList<>();
  int rebuilds;

  NackWriteBack writeBack() {
    return new NackWriteBack(() -> history.find(EDS, servedVersion()).orElseThrow().translation(),
        (book, message) -> writes.add(book + "=" + (message == null ? "accepted" : message)),
        new NackWriteBack.Quarantining(quarantine, history::find, () -> rebuilds++), new DirectExecutor());
  }

  String lastServed;

  String servedVersion() {
    return lastServed;
  }

  /** Records what the watcher would serve now; returns its EDS version. */
  String serve() {
    PublishedTranslation published = translated(input());
    ContentVersionedSnapshot snapshot = ContentVersionedSnapshot.of(published.translation().resources());
    history.record(snapshot, published);
    lastServed = snapshot.version(io.envoyproxy.controlplane.cache.Resources.ResourceType.ENDPOINT);
    return lastServed;
  }

  @Test
  void anUnambiguousNackHoldsTheCulpritOutRequestsARebuildAndALaterAckKeepsItRejected() {
    NackWriteBack writeBack = writeBack();
    String rejected = serve();

    writeBack.onNack("envoy-1", EDS, rejected, ACME_PORT_NACK);

    assertThat(quarantine.heldOut(sources())).containsOnlyKeys("customer-a/acme");
    assertThat(rebuilds).isEqualTo(1);
    assertThat(writes).hasSize(1).first().asString()
        .startsWith("customer-a/acme=held out of the gateway until its resources change").contains(ACME_CLUSTER);

    String next = serve();
    assertThat(next).isNotEqualTo(rejected);
    writeBack.onAck("envoy-1", EDS, next);
    assertThat(writes).as("still held out: not Accepted=True").hasSize(1);
  }

  @Test
  void aReleasedBookIsTriedAgainAndRefusedAgainOrAcceptedWhenEnvoyTakesIt() {
    NackWriteBack writeBack = writeBack();
    writeBack.onNack("envoy-1", EDS, serve(), ACME_PORT_NACK);
    writeBack.onAck("envoy-1", EDS, serve());

    slices.put(new ServiceKey("customer-a", "acme"), List.of(slice("customer-a", "acme", "http", 8080, ready("10.0.0.2"))));
    String retried = serve(); // releases acme
    assertThat(quarantine.size()).isZero();
    writeBack.onNack("envoy-1", EDS, retried, ACME_PORT_NACK.replace("10.0.0.1", "10.0.0.2"));
    assertThat(quarantine.heldOut(sources())).as("refused again: held again").containsOnlyKeys("customer-a/acme");
    assertThat(rebuilds).isEqualTo(2);
    writeBack.onAck("envoy-1", EDS, serve());

    slices.put(new ServiceKey("customer-a", "acme"), List.of(slice("customer-a", "acme", "http", 8080, ready("10.0.0.3"))));
    String accepted = serve();
    int written = writes.size();
    // Envoy may ACK this version for the names it had (CDS has not added acme's cluster yet)...
    writeBack.onAck("envoy-1", EDS, accepted, List.of("k8s/customer-b/shop/8080"));
    assertThat(writes).as("not yet taken: acme's cluster was not in that response").hasSize(written);
    // ...and then for acme's cluster too
    writeBack.onAck("envoy-1", EDS, accepted, List.of(ACME_CLUSTER, "k8s/customer-b/shop/8080"));
    assertThat(writes).last().isEqualTo("customer-a/acme=accepted");
    assertThat(quarantine.hasBooksOnTrial()).isFalse();
  }

  @Test
  void anAmbiguousNackHoldsNoBookOut() {
    NackWriteBack writeBack = writeBack();
    // a bare address every book shares: both are blamed, neither is held out
    writeBack.onNack("envoy-1", EDS, serve(), "malformed IP address: 10.0.0.1. Consider setting resolver_name");
    assertThat(writes).containsExactly(
        "customer-a/acme=malformed IP address: 10.0.0.1. Consider setting resolver_name",
        "customer-b/shop=malformed IP address: 10.0.0.1. Consider setting resolver_name");
    assertThat(quarantine.size()).isZero();
    assertThat(rebuilds).isZero();
  }

  @Test
  void aNackNamingOnlyTheRouteConfigurationHoldsNoBookOut() {
    NackWriteBack writeBack = writeBack();
    serve();
    writeBack.onNack("envoy-1", "type.googleapis.com/envoy.config.route.v3.RouteConfiguration", "r-unknown",
        "route configuration bdk-routes: too large");
    assertThat(quarantine.size()).isZero();
    assertThat(writes).isEmpty();
  }

  @Test
  void aNackOfAVersionNoLongerRememberedHoldsNoBookOut() {
    NackWriteBack writeBack = writeBack();
    serve();
    writeBack.onNack("envoy-1", EDS, "forgotten-version", ACME_PORT_NACK);
    assertThat(writes).containsExactly("customer-a/acme=" + NackAttribution.conditionMessage(ACME_PORT_NACK, Conditions.MAX_MESSAGE));
    assertThat(quarantine.size()).as("the inputs behind that version are unknown").isZero();
  }

  @Test
  void theHistoryFindsTheNewestTranslationOfAVersionAndForgetsOldOnes() {
    TranslationHistory small = new TranslationHistory(2);
    PublishedTranslation first = translated(sources());
    ContentVersionedSnapshot snapshot = ContentVersionedSnapshot.of(first.translation().resources());
    String eds = snapshot.version(io.envoyproxy.controlplane.cache.Resources.ResourceType.ENDPOINT);
    small.record(snapshot, first);
    PublishedTranslation same = translated(sources());
    small.record(snapshot, same);
    assertThat(small.find(EDS, eds)).containsSame(same);
    slices.put(new ServiceKey("customer-b", "shop"), List.of(slice("customer-b", "shop", "http", 8080, ready("10.0.0.9"))));
    PublishedTranslation other = translated(sources());
    small.record(ContentVersionedSnapshot.of(other.translation().resources()), other);
    small.record(ContentVersionedSnapshot.of(other.translation().resources()), other);
    assertThat(small.find(EDS, eds)).isEqualTo(Optional.empty());
  }
}
