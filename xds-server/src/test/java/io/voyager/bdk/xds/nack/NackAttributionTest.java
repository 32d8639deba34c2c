package io.voyager.bdk.xds.nack;

import static io.voyager.bdk.xds.Fixtures.book;
import static io.voyager.bdk.xds.Fixtures.ready;
import static io.voyager.bdk.xds.Fixtures.slice;
import static io.voyager.bdk.xds.Fixtures.webhook;
import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.ServiceKey;
import io.voyager.bdk.xds.nack.NackAttribution.BookRef;
import io.voyager.bdk.xds.translate.GatewayTranslator;
import io.voyager.bdk.xds.translate.Translation;
import io.voyager.bdk.xds.translate.XdsTranslator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NackAttributionTest {
  static final GatewaySettings SETTINGS = GatewaySettings.defaults();
  static final Translation TRANSLATION = new GatewayTranslator(new XdsTranslator(SETTINGS.transcoder())).translate(
      new GatewayInput(SETTINGS,
          List.of(book("customer-a", "acme", webhook("github", "github")),
              book("customer-b", "shop", webhook("stripe", "stripe"))),
          Map.of(new ServiceKey("customer-b", "shop"),
              List.of(slice("customer-b", "shop", "http", 9000, ready("10.9.8.7"))))));
  static final BookRef ACME = new BookRef("customer-a", "acme");
  static final BookRef SHOP = new BookRef("customer-b", "shop");

  @Test
  void aClusterNamedInTheErrorBlamesTheBookThatMadeIt() {
    assertThat(NackAttribution.culprits(
        "Error adding/updating cluster(s) k8s/customer-a/acme/8080: invalid thing", TRANSLATION)).containsExactly(ACME);
  }

  @Test
  void aRouteNameOrPathBlamesItsBook() {
    assertThat(NackAttribution.culprits("route webhook/customer-b/shop/stripe: bad", TRANSLATION)).containsExactly(SHOP);
    String path = WebhookRoutes.publicPath("customer-a", "acme", "github");
    assertThat(NackAttribution.culprits("invalid path " + path + " in route", TRANSLATION)).containsExactly(ACME);
  }

  @Test
  void aRouteConfigurationUnderItsAlternateNameBlamesItsBook() {
    // The held-books bound serves a book's route configuration R as R~1 too (and its scope naming
    // either): Envoy's error names the one it refused; '~' is not a name character, so R is the word.
    assertThat(NackAttribution.culprits("route configuration webhook/customer-b/shop/stripe~1: bad", TRANSLATION))
        .containsExactly(SHOP);
    assertThat(NackAttribution.culprits("scope webhook/customer-b/shop/stripe names webhook/customer-b/shop/stripe~1",
        TRANSLATION)).containsExactly(SHOP);
  }

  @Test
  void anEndpointAddressBlamesTheBookOfItsCluster() {
    // the shape of Envoy 1.36.4's EDS NACK for a bad address (seen verbatim for an FQDN slice address,
    // which the translator now leaves out): the address ends a sentence
    assertThat(NackAttribution.culprits("malformed IP address: 10.9.8.7. Consider setting resolver_name or "
        + "setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'", TRANSLATION)).containsExactly(SHOP);
    assertThat(NackAttribution.culprits("endpoint 10.9.8.7:9000 refused", TRANSLATION)).containsExactly(SHOP);
  }

  @Test
  void aClusterNamedNextToASharedAddressBlamesOnlyThatClustersBook() {
    // Shaped like Envoy 1.36.4's EDS NACK for a port above 65535, which dumps the ClusterLoadAssignment: the cluster
    // name and the endpoint's address, which other books' endpoints share (one node, many pods).
    Translation shared = new GatewayTranslator(new XdsTranslator(SETTINGS.transcoder())).translate(
        new GatewayInput(SETTINGS,
            List.of(book("customer-a", "acme", webhook("github", "github")), book("customer-b", "shop", webhook("stripe", "stripe"))),
            Map.of(new ServiceKey("customer-a", "acme"), List.of(slice("customer-a", "acme", "http", 9001, ready("10.9.8.7"))),
                new ServiceKey("customer-b", "shop"), List.of(slice("customer-b", "shop", "http", 9000, ready("10.9.8.7"))))));
    String error = "Proto constraint validation failed (SocketAddressValidationError.PortValue: value must be less than "
        + "or equal to 65535): cluster_name: \"k8s/customer-b/shop/8080\" endpoints { lb_endpoints { endpoint { address "
        + "{ socket_address { address: \"10.9.8.7\" port_value: 70000 } } } } }";
    assertThat(NackAttribution.culprits(error, shared)).containsExactly(SHOP);
    assertThat(NackAttribution.culprits("malformed IP address: 10.9.8.7. Consider …", shared))
        .as("an address alone still blames every book it may be").containsExactly(ACME, SHOP);
  }

  @Test
  void namesMatchOnlyAsWholeWords() {
    assertThat(NackAttribution.culprits("cluster k8s/customer-a/acme/80800 is bad", TRANSLATION)).isEmpty();
    assertThat(NackAttribution.containsWord("x k8s/a/b/80: y", "k8s/a/b/80")).isTrue();
    assertThat(NackAttribution.containsWord("x k8s/a/b/8080: y", "k8s/a/b/80")).isFalse();
  }

  @Test
  void anErrorNamingNoBookBlamesNone() {
    assertThat(NackAttribution.culprits("listener bdk-http: cannot bind 127.0.0.1:80", TRANSLATION)).isEmpty();
    assertThat(NackAttribution.culprits("cluster k8s/bdk/book-library/grpc: bad", TRANSLATION)).isEmpty();
    assertThat(NackAttribution.culprits(null, TRANSLATION)).isEmpty();
  }

  @Test
  void conditionMessageIsOneBoundedLine() {
    assertThat(NackAttribution.conditionMessage("a\n\n  b", 100)).isEqualTo("a b");
    assertThat(NackAttribution.conditionMessage("x".repeat(50), 10)).hasSize(10).endsWith("…");
  }

  @Test
  void writeBackMarksCulpritsAndClearsThemWhenALaterVersionIsAcked() {
    List<String> writes = new ArrayList<>();
    NackWriteBack writeBack = new NackWriteBack(() -> TRANSLATION,
        (book, message) -> writes.add(book + "=" + (message == null ? "accepted" : message)), new DirectExecutor());
    String cds = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

    writeBack.onNack("envoy-1", cds, "v2", "cluster k8s/customer-a/acme/8080: refused");
    assertThat(writes).containsExactly("customer-a/acme=cluster k8s/customer-a/acme/8080: refused");
    assertThat(writeBack.culprits()).containsEntry("Cluster", Set.of("customer-a/acme"));

    writeBack.onAck("envoy-2", cds, "v2"); // another Envoy acking the rejected version clears nothing
    writeBack.onAck("envoy-1", "type.googleapis.com/envoy.config.listener.v3.Listener", "l3");
    assertThat(writes).hasSize(1);

    writeBack.onAck("envoy-1", cds, "v3");
    assertThat(writes).containsExactly("customer-a/acme=cluster k8s/customer-a/acme/8080: refused", "customer-a/acme=accepted");
    assertThat(writeBack.culprits()).isEmpty();
  }

  @Test
  void repeatedNacksOfOneVersionAreAttributedOnce() {
    List<String> writes = new ArrayList<>();
    NackWriteBack writeBack = new NackWriteBack(() -> TRANSLATION, (book, message) -> writes.add(book.toString()),
        new DirectExecutor());
    String eds = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    for (int i = 0; i < 100; i++) {
      writeBack.onNack("envoy-1", eds, "e2", "malformed IP address: 10.9.8.7. Consider …");
    }
    assertThat(writes).containsExactly("customer-b/shop");
  }

  @Test
  void acceptedConditionReplacesOnlyItsOwnTypeAndKeepsTheTransitionTimeWhenStatusIsUnchanged() {
    var routed = new Condition("WebhooksRouted", "True", "Routed", "ok", "t0", 1L);
    var rejected = AcceptedConditionWriter.rejected("bad", 1L, "t1");
    List<Condition> once = AcceptedConditionWriter.withCondition(List.of(routed), rejected);
    assertThat(once).containsExactly(routed, rejected);
    assertThat(AcceptedConditionWriter.withCondition(once, AcceptedConditionWriter.rejected("bad", 1L, "t2"))).isNull();
    var worse = AcceptedConditionWriter.withCondition(once, AcceptedConditionWriter.rejected("worse", 1L, "t3"));
    assertThat(worse).hasSize(2);
    assertThat(worse.get(1).message()).isEqualTo("worse");
    assertThat(worse.get(1).lastTransition()).isEqualTo("t1");
    var cleared = AcceptedConditionWriter.withCondition(worse, AcceptedConditionWriter.accepted(1L, "t4"));
    assertThat(cleared.get(1).status()).isEqualTo("True");
    assertThat(cleared.get(1).lastTransition()).isEqualTo("t4");
  }

  @Test
  void anUnattributedNackIsOnlyReported() {
    List<String> writes = new ArrayList<>();
    NackWriteBack writeBack = new NackWriteBack(() -> TRANSLATION, (book, message) -> writes.add(book.toString()),
        new DirectExecutor());
    writeBack.onNack("envoy-1", "type.googleapis.com/envoy.config.listener.v3.Listener", "l2", "cannot bind");
    assertThat(writes).isEmpty();
    assertThat(writeBack.culprits()).containsEntry("Listener", Set.of());
  }

  /** Runs tasks on the calling thread. */
  static final class DirectExecutor extends AbstractExecutorService {
    @Override public void execute(Runnable command) { command.run(); }
    @Override public void shutdown() {}
    @Override public List<Runnable> shutdownNow() { return List.of(); }
    @Override public boolean isShutdown() { return false; }
    @Override public boolean isTerminated() { return false; }
    @Override public boolean awaitTermination(long timeout, TimeUnit unit) { return true; }
  }
}
