package io.voyager.bdk.controller;

import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.ImageResolver;
import io.voyager.bdk.controller.desired.ManagedLabels;
import io.voyager.bdk.controller.desired.Rollout;
import io.voyager.bdk.controller.status.InstancePhaseGauge;
import io.voyager.bdk.controller.status.StatusCalculator;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An instance's status tells what its pods really do, on a real kube-apiserver where the test plays
 * the controller-manager and kubelet ({@link Kubelet}: ReplicaSets owned by the Deployment, pods
 * owned by them, statuses written as they report them): a container that cannot pull its image, a
 * crash loop, an OOM kill, a missing config key, an unschedulable pod and a rollout past its
 * deadline make the instance Failed (no replica ready) or Degraded (some ready), naming the
 * container and the cause, on its ExternalBookDefinition too and in the phase gauge; it is Ready
 * again once the pods recover. A new revision that fails is rolled back to the last Ready one.
 */
class RuntimeStatusTest extends ControllerOnRealApiTest {
  static final String IMAGE = "voyager/book-runtime-python:3.11";
  static final String NEW_IMAGE = "voyager/book-runtime-python:3.12";
  static final String BOOK_V2 = "customer-support-book-v2";
  Kubelet kubelet;

  @Override
  ControllerSettings settings() {
    var defaults = ControllerSettings.defaults();
    return new ControllerSettings(
        new ImageResolver(Map.of("python", IMAGE, "python:3.12", NEW_IMAGE), null), defaults.tailscaleImage(),
        defaults.tailscaleMode(), defaults.gatewayNamespace(), defaults.gatewayPodLabels(), defaults.defaultLogLevel(),
        defaults.dnsNamespace(), defaults.dnsPodLabels(), defaults.apiServerEgress());
  }

  @Override
  String namespacePrefix() {
    return "customer-runtime-";
  }

  @BeforeAll
  void applyTheSecondRevision() {
    BookDefinition v2 = Fixtures.book(BOOK_V2);
    var s = v2.getSpec();
    v2.setSpec(new BookDefinitionSpec(s.name(), "2.0.0", s.description(), s.schema(), s.capabilities(),
        new BookDefinitionSpec.Runtime("python", "3.12", List.of()), s.integrations()));
    Fixtures.applyBook(client, v2);
  }

  @BeforeEach
  void kubelet() {
    kubelet = new Kubelet(client, NS);
  }

  private BookInstanceDefinitionSpec spec(int replicas) {
    var s = Fixtures.spec(NS, "primary");
    return new BookInstanceDefinitionSpec(s.bookRef(), s.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", replicas, s.deployment().resources(), null),
        s.networking(), s.credentials(), s.configuration(), s.webhooks());
  }

  @Test
  void anImageThatCannotBePulledFailsTheInstanceNamingContainerAndImage_andItRecovers() {
    create(client, Fixtures.instance("pull", spec(1)));
    Deployment d = awaitDeployment(client, NS, "pull");
    ReplicaSet rs = kubelet.replicaSet(d, 1);
    Pod pod = kubelet.pod(rs, "a1");
    kubelet.waiting(pod, "book", "ImagePullBackOff", "Back-off pulling image \"" + IMAGE + "\"", 0, null);
    kubelet.deploymentStatus("pull", 0, 1);

    BookInstanceDefinitionStatus failed = awaitPhase(client, "pull", BookInstanceDefinitionStatus.FAILED);
    Condition ready = condition(failed, StatusCalculator.DEPLOYMENT_READY);
    assertThat(ready.status()).isEqualTo("False");
    assertThat(ready.reason()).isEqualTo("ImagePullBackOff");
    assertThat(ready.message()).startsWith("container book: ImagePullBackOff for " + IMAGE).endsWith("0/1 replicas ready");
    await().atMost(WAIT).until(() -> BookInstanceDefinitionStatus.FAILED.equals(
        client.resources(ExternalBookDefinition.class).inNamespace(NS).withName("pull").get().getStatus().phase()));
    await().atMost(WAIT).until(() -> controller.gauge(InstancePhaseGauge.NAME, "phase", "Failed") >= 1);

    kubelet.running(pod);
    kubelet.deploymentStatus("pull", 1, 1);
    BookInstanceDefinitionStatus recovered = awaitPhase(client, "pull", BookInstanceDefinitionStatus.READY);
    assertThat(condition(recovered, StatusCalculator.DEPLOYMENT_READY).status()).isEqualTo("True");
  }

  @Test
  void oneCrashLoopingReplicaOfTwoIsDegraded_anOomKillSaysSo() {
    create(client, Fixtures.instance("crash", spec(2)));
    Deployment d = awaitDeployment(client, NS, "crash");
    ReplicaSet rs = kubelet.replicaSet(d, 1);
    Pod healthy = kubelet.pod(rs, "a1");
    Pod crashing = kubelet.pod(rs, "a2");
    kubelet.running(healthy);
    kubelet.waiting(crashing, "book", "CrashLoopBackOff", "back-off 40s restarting failed container=book", 4, "Error");
    kubelet.deploymentStatus("crash", 1, 2);

    BookInstanceDefinitionStatus degraded = awaitPhase(client, "crash", BookInstanceDefinitionStatus.DEGRADED);
    assertThat(condition(degraded, StatusCalculator.DEPLOYMENT_READY).message())
        .isEqualTo("container book: CrashLoopBackOff after exit code 1 (Error), 4 restarts; 1/2 replicas ready");

    kubelet.waiting(crashing, "book", "CrashLoopBackOff", "back-off 80s restarting failed container=book", 5, "OOMKilled");
    await().atMost(WAIT).until(() -> "OOMKilled".equals(condition(get(client, "crash").getStatus(), StatusCalculator.DEPLOYMENT_READY).reason()));
    assertThat(condition(get(client, "crash").getStatus(), StatusCalculator.DEPLOYMENT_READY).message())
        .startsWith("container book: OOMKilled: it used more memory than its limit, restarting in CrashLoopBackOff, 5 restarts");
  }

  @Test
  void unschedulablePods_aMissingConfigKey_andAnExpiredProgressDeadlineAreNamed() {
    create(client, Fixtures.instance("stuck", spec(1)));
    Deployment d = awaitDeployment(client, NS, "stuck");
    ReplicaSet rs = kubelet.replicaSet(d, 1);
    Pod pod = kubelet.pod(rs, "a1");
    kubelet.unschedulable(pod, "0/3 nodes are available: 3 Insufficient cpu.");
    kubelet.deploymentStatus("stuck", 0, 1);
    awaitPhase(client, "stuck", BookInstanceDefinitionStatus.FAILED);
    assertThat(condition(get(client, "stuck").getStatus(), StatusCalculator.DEPLOYMENT_READY).message())
        .startsWith("pods cannot be scheduled: 0/3 nodes are available: 3 Insufficient cpu.");

    kubelet.waiting(pod, "book", "CreateContainerConfigError", "couldn't find key zendesk_signing_key in Secret " + NS + "/stuck-credentials", 0, null);
    await().atMost(WAIT).until(() -> "CreateContainerConfigError".equals(
        condition(get(client, "stuck").getStatus(), StatusCalculator.DEPLOYMENT_READY).reason()));
    assertThat(condition(get(client, "stuck").getStatus(), StatusCalculator.DEPLOYMENT_READY).message()).startsWith(
        "container book: CreateContainerConfigError: couldn't find key zendesk_signing_key in Secret " + NS + "/stuck-credentials");

    kubelet.delete(pod);
    kubelet.deploymentStatus("stuck", 0, 0, "Progressing", "False", "ProgressDeadlineExceeded",
        "ReplicaSet \"" + rs.getMetadata().getName() + "\" has timed out progressing.");
    await().atMost(WAIT).until(() -> "ProgressDeadlineExceeded".equals(
        condition(get(client, "stuck").getStatus(), StatusCalculator.DEPLOYMENT_READY).reason()));
    assertThat(get(client, "stuck").getStatus().phase()).isEqualTo(BookInstanceDefinitionStatus.FAILED);
  }

  @Test
  void anUpgradeWhoseNewPodsCannotPullTheirImageIsRolledBackToTheLastReadyRevision() {
    create(client, Fixtures.instance("upgrade", spec(1)));
    Deployment v1 = awaitDeployment(client, NS, "upgrade");
    String readyRevision = Rollout.templateRevision(v1);
    ReplicaSet rs1 = kubelet.replicaSet(v1, 1);
    Pod old = kubelet.pod(rs1, "a1");
    kubelet.running(old);
    kubelet.deploymentStatus("upgrade", 1, 1);
    awaitPhase(client, "upgrade", BookInstanceDefinitionStatus.READY);

    // The upgrade: the instance now runs version 2.0.0 of the book, whose image does not exist.
    var s = spec(1);
    updateSpec(client, "upgrade", new BookInstanceDefinitionSpec(new BookInstanceDefinitionSpec.BookRef(BOOK_V2, "2.0.0"),
        s.customer(), s.deployment(), s.networking(), s.credentials(), s.configuration(), s.webhooks()));
    Deployment v2 = await().atMost(WAIT).until(() -> client.apps().deployments().inNamespace(NS).withName("upgrade").get(),
        d -> NEW_IMAGE.equals(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()));
    String failedRevision = Rollout.templateRevision(v2);
    assertThat(v2.getMetadata().getAnnotations()).containsEntry(ManagedLabels.LAST_READY_REVISION, readyRevision);
    ReplicaSet rs2 = kubelet.replicaSet(v2, 2);
    Pod fresh = kubelet.pod(rs2, "b1");
    kubelet.waiting(fresh, "book", "ImagePullBackOff", "Back-off pulling image \"" + NEW_IMAGE + "\"", 0, null);
    kubelet.deploymentStatus("upgrade", 1, 0); // the old pod still serves (maxUnavailable 0 for one replica)

    Deployment rolledBack = await().atMost(WAIT).until(() -> client.apps().deployments().inNamespace(NS).withName("upgrade").get(),
        d -> readyRevision.equals(Rollout.templateRevision(d)));
    assertThat(rolledBack.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo(IMAGE);
    assertThat(rolledBack.getSpec().getTemplate().getMetadata().getLabels()).doesNotContainKey("pod-template-hash");
    assertThat(rolledBack.getMetadata().getAnnotations()).containsEntry(ManagedLabels.ROLLED_BACK_FROM, failedRevision);

    // The deployment controller scales the failed ReplicaSet down; the old revision serves.
    kubelet.delete(fresh);
    kubelet.deploymentStatus("upgrade", 1, 1);
    BookInstanceDefinitionStatus degraded = awaitPhase(client, "upgrade", BookInstanceDefinitionStatus.DEGRADED);
    Condition rolled = condition(degraded, StatusCalculator.ROLLED_BACK);
    assertThat(rolled.status()).isEqualTo("True");
    assertThat(rolled.reason()).isEqualTo("ImagePullBackOff");
    assertThat(rolled.message()).isEqualTo("the spec's revision failed (container book: ImagePullBackOff for " + NEW_IMAGE
        + "); running the last Ready revision until the instance changes");
    assertThat(degraded.observedGeneration()).isEqualTo(get(client, "upgrade").getMetadata().getGeneration());

    // Still rolled back on the next reconciles: the failed revision is not tried again.
    double reconciled = controller.count("operator.sdk.reconciliations.success");
    client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(BOOK_V2)
        .edit(b -> {
          b.getMetadata().getLabels().put("touched", String.valueOf(System.nanoTime()));
          return b;
        });
    await().atMost(WAIT).until(() -> controller.count("operator.sdk.reconciliations.success") > reconciled);
    assertThat(Rollout.templateRevision(client.apps().deployments().inNamespace(NS).withName("upgrade").get())).isEqualTo(readyRevision);

    // Back to version 1: the rollback is over, Ready again.
    updateSpec(client, "upgrade", spec(1));
    await().atMost(WAIT).until(() -> !client.apps().deployments().inNamespace(NS).withName("upgrade").get().getMetadata()
        .getAnnotations().containsKey(ManagedLabels.ROLLED_BACK_FROM));
    kubelet.deploymentStatus("upgrade", 1, 1);
    BookInstanceDefinitionStatus ready = awaitPhase(client, "upgrade", BookInstanceDefinitionStatus.READY);
    assertThat(ready.conditions()).extracting(Condition::type).doesNotContain(StatusCalculator.ROLLED_BACK);
  }

  @Test
  void aFailingFirstRevisionHasNothingToRollBackTo_itStaysFailed() {
    var s = spec(1);
    create(client, Fixtures.instance("first", new BookInstanceDefinitionSpec(new BookInstanceDefinitionSpec.BookRef(BOOK_V2, "2.0.0"),
        s.customer(), s.deployment(), s.networking(), s.credentials(), s.configuration(), s.webhooks())));
    Deployment d = awaitDeployment(client, NS, "first");
    Pod pod = kubelet.pod(kubelet.replicaSet(d, 1), "a1");
    kubelet.waiting(pod, "book", "ErrImagePull", "rpc error: not found", 0, null);
    kubelet.deploymentStatus("first", 0, 1);
    BookInstanceDefinitionStatus failed = awaitPhase(client, "first", BookInstanceDefinitionStatus.FAILED);
    assertThat(condition(failed, StatusCalculator.DEPLOYMENT_READY).message()).startsWith("container book: ErrImagePull for " + NEW_IMAGE);
    assertThat(failed.conditions()).extracting(Condition::type).doesNotContain(StatusCalculator.ROLLED_BACK);
    assertThat(Rollout.templateRevision(client.apps().deployments().inNamespace(NS).withName("first").get()))
        .isEqualTo(Rollout.templateRevision(d));
  }

  static Condition condition(BookInstanceDefinitionStatus status, String type) {
    return status.conditions().stream().filter(c -> type.equals(c.type())).findFirst()
        .orElseThrow(() -> new AssertionError("no condition " + type + " in " + status.conditions()));
  }
}
