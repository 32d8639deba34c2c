package io.voyager.bdk.controller;

import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.ManagedLabels;
import io.voyager.bdk.controller.status.InstancePhaseGauge;
import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Restarts and replicas on a real kube-apiserver: each test starts (and stops) its own controllers. */
@ExtendWith(RealApiServer.class)
class LifecycleTest {
  private static final AtomicInteger NAMESPACES = new AtomicInteger();
  static KubernetesClient client;
  static RealApiServer.KubeConfigYaml kubeConfig;
  String NS;

  @BeforeAll
  static void seed(KubernetesClient apiServer, RealApiServer.KubeConfigYaml yaml) {
    client = apiServer;
    kubeConfig = yaml;
    Fixtures.applyBook(client, Fixtures.book(Fixtures.BOOK));
  }

  @BeforeEach
  void namespace() {
    NS = "customer-lifecycle-" + NAMESPACES.incrementAndGet();
    Fixtures.namespace(client, NS);
  }

  @AfterEach
  void cleanUp() {
    try (BookController cleaner = ControllerHarness.start(client)) {
      deleteAllInstances(client);
    }
  }

  @Test
  void aControllerRestartedMidwayConverges() {
    BookController first = ControllerHarness.start(client);
    create(client, Fixtures.instance("before", Fixtures.spec(NS, "primary")));
    create(client, Fixtures.instance("doomed", Fixtures.spec(NS, "primary")));
    awaitDeployment(client, NS, "before");
    awaitDeployment(client, NS, "doomed");
    await().atMost(WAIT).until(() -> get(client, "doomed").getMetadata().getFinalizers().contains(ManagedLabels.FINALIZER));
    first.close();

    // While no controller runs: a new instance, a changed one and a deleted one (held by the finalizer).
    create(client, Fixtures.instance("during", Fixtures.spec(NS, "primary")));
    String hashBefore = configHash(client, NS, "before");
    var s = get(client, "before").getSpec();
    updateSpec(client, "before", new BookInstanceDefinitionSpec(s.bookRef(), s.customer(), s.deployment(), null,
        s.credentials(), new BookInstanceDefinitionSpec.Configuration("staging", "warn", null), s.webhooks()));
    client.resource(get(client, "doomed")).delete();
    assertThat(get(client, "doomed").getMetadata().getDeletionTimestamp()).isNotNull();

    try (BookController second = ControllerHarness.start(client)) {
      awaitDeployment(client, NS, "during");
      await().atMost(WAIT).until(() -> !hashBefore.equals(configHash(client, NS, "before")));
      await().atMost(WAIT).until(() -> get(client, "doomed") == null
          && client.apps().deployments().inNamespace(NS).withName("doomed").get() == null
          && client.secrets().inNamespace(NS).withName("doomed-credentials").get() == null);
      markReady(client, NS, "during");
      awaitPhase(client, "during", BookInstanceDefinitionStatus.READY);
    }
  }

  @Test
  void twoControllersWithLeaderElection_onlyTheLeaderReconciles_theOtherTakesOverWhenItStops() {
    String lease = "book-controller-" + NS;
    SimpleMeterRegistry metricsA = new SimpleMeterRegistry();
    SimpleMeterRegistry metricsB = new SimpleMeterRegistry();
    // Separate clients, as two replicas would have.
    KubernetesClient clientA = RealApiServer.client(kubeConfig.yaml());
    KubernetesClient clientB = RealApiServer.client(kubeConfig.yaml());
    BookController a = startElected(clientA, lease, "replica-a", metricsA);
    BookController b = startElected(clientB, lease, "replica-b", metricsB);
    try {
      String leader = await().atMost(WAIT).until(() -> leaseHolder(lease), h -> h != null);
      assertThat(leader).isIn("replica-a", "replica-b");
      create(client, Fixtures.instance("elected", Fixtures.spec(NS, "primary")));
      awaitDeployment(client, NS, "elected");
      SimpleMeterRegistry leaderMetrics = leader.equals("replica-a") ? metricsA : metricsB;
      SimpleMeterRegistry standbyMetrics = leader.equals("replica-a") ? metricsB : metricsA;
      await().atMost(WAIT).until(() -> reconciliations(leaderMetrics) > 0);
      assertThat(reconciliations(standbyMetrics)).isZero();
      // The standby's primary informer runs too: its phase gauge counts what the leader writes.
      awaitPhase(client, "elected", BookInstanceDefinitionStatus.PENDING);
      await().atMost(WAIT).until(() -> pending(standbyMetrics) >= 1 && pending(standbyMetrics) == pending(leaderMetrics));
      assertThat(reconciliations(standbyMetrics)).isZero();

      BookController leading = leader.equals("replica-a") ? a : b;
      leading.close();
      String other = leader.equals("replica-a") ? "replica-b" : "replica-a";
      await().atMost(WAIT).until(() -> other.equals(leaseHolder(lease)));
      create(client, Fixtures.instance("after-failover", Fixtures.spec(NS, "primary")));
      awaitDeployment(client, NS, "after-failover");
      awaitPhase(client, "after-failover", BookInstanceDefinitionStatus.PENDING); // its reconcile is done
      assertThat(reconciliations(standbyMetrics)).isPositive();
    } finally {
      closeQuietly(a);
      closeQuietly(b);
      clientA.close();
      clientB.close();
    }
  }

  /** Reconciliations JOSDK started in the controller that records to {@code registry}. */
  private static double reconciliations(SimpleMeterRegistry registry) {
    return registry.find("operator.sdk.reconciliations.started").counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /** Instances in phase Pending as the controller recording to {@code registry} counts them. */
  private static double pending(SimpleMeterRegistry registry) {
    return registry.get(InstancePhaseGauge.NAME).tag("phase", BookInstanceDefinitionStatus.PENDING).gauge().value();
  }

  private String leaseHolder(String name) {
    Lease lease = client.leases().inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  private static BookController startElected(KubernetesClient c, String lease, String identity, SimpleMeterRegistry metrics) {
    var election = new BookController.LeaderElection(lease, BdkLabels.BDK_NAMESPACE, identity,
        Duration.ofSeconds(4), Duration.ofSeconds(3), Duration.ofMillis(500), false);
    return BookController.start(c, ControllerSettings.defaults(), metrics, Optional.of(election), 1);
  }

  private static void closeQuietly(BookController c) {
    try {
      c.close();
    } catch (RuntimeException ignored) {
      // already stopped
    }
  }
}
