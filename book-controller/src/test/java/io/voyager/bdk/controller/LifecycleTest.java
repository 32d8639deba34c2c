package io.voyager.bdk.controller;

import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class LifecycleTest {
  static final String NS = "customer-acme";
  KubernetesClient client;
  KubernetesMockServer server;

  @BeforeEach
  void seed() {
    Fixtures.namespace(client, BdkLabels.BDK_NAMESPACE);
    Fixtures.namespace(client, NS);
    client.resource(Fixtures.book(Fixtures.BOOK)).create();
  }

  @Test
  void aControllerRestartedMidwayConverges() {
    BookController first = ControllerHarness.start(client);
    create(client, Fixtures.instance("before", Fixtures.spec(NS, "primary")));
    awaitDeployment(client, NS, "before");
    first.close();

    // While no controller runs: a new instance, a changed one and a deleted one's request.
    create(client, Fixtures.instance("during", Fixtures.spec(NS, "primary")));
    String hashBefore = configHash(client, NS, "before");
    BookInstanceDefinition before = get(client, "before");
    var s = before.getSpec();
    before.setSpec(new io.voyager.bdk.model.BookInstanceDefinitionSpec(s.bookRef(), s.customer(), s.deployment(), null,
        s.credentials(), new io.voyager.bdk.model.BookInstanceDefinitionSpec.Configuration("staging", "warn", null), s.webhooks()));
    client.resource(before).update();

    try (BookController second = ControllerHarness.start(client)) {
      awaitDeployment(client, NS, "during");
      await().atMost(WAIT).until(() -> !hashBefore.equals(configHash(client, NS, "before")));
      markReady(client, NS, "during");
      awaitPhase(client, "during", BookInstanceDefinitionStatus.READY);
      client.resource(get(client, "before")).delete();
      await().atMost(WAIT).until(() -> get(client, "before") == null
          && client.apps().deployments().inNamespace(NS).withName("before").get() == null);
    }
  }

  @Test
  void twoControllersWithLeaderElection_oneLeads_theOtherTakesOverWhenItStops() {
    // The CRUD mock does not answer SelfSubjectRulesReview, which JOSDK asks before campaigning:
    // answer it as an API server would for a controller allowed to use Leases.
    server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewMetadata().endMetadata().withNewStatus()
            .addNewResourceRule().withApiGroups("coordination.k8s.io").withResources("leases").withVerbs("*").endResourceRule()
            .withIncomplete(false).endStatus().build())
        .always();
    KubernetesClient clientA = server.createClient();
    KubernetesClient clientB = server.createClient();
    BookController a = startElected(clientA, "replica-a");
    BookController b = startElected(clientB, "replica-b");
    try {
      String leader = await().atMost(WAIT).until(this::leaseHolder, h -> h != null);
      assertThat(leader).isIn("replica-a", "replica-b");
      create(client, Fixtures.instance("elected", Fixtures.spec(NS, "primary")));
      awaitDeployment(client, NS, "elected");

      BookController leading = leader.equals("replica-a") ? a : b;
      leading.close();
      String other = leader.equals("replica-a") ? "replica-b" : "replica-a";
      await().atMost(Duration.ofSeconds(30)).until(() -> other.equals(leaseHolder()));
      create(client, Fixtures.instance("after-failover", Fixtures.spec(NS, "primary")));
      awaitDeployment(client, NS, "after-failover");
    } finally {
      closeQuietly(a);
      closeQuietly(b);
      clientA.close();
      clientB.close();
    }
  }

  private String leaseHolder() {
    Lease lease = client.leases().inNamespace(BdkLabels.BDK_NAMESPACE).withName("book-controller").get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  private static BookController startElected(KubernetesClient c, String identity) {
    var election = new BookController.LeaderElection("book-controller", BdkLabels.BDK_NAMESPACE, identity,
        Duration.ofSeconds(4), Duration.ofSeconds(3), Duration.ofMillis(500), false);
    return BookController.start(c, ControllerSettings.defaults(), new SimpleMeterRegistry(), Optional.of(election), 1);
  }

  private static void closeQuietly(BookController c) {
    try {
      c.close();
    } catch (RuntimeException ignored) {
      // already stopped
    }
  }
}
