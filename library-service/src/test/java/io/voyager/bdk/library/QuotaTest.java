package io.voyager.bdk.library;

import static io.voyager.bdk.library.BookLibraryServiceTest.assertCode;
import static io.voyager.bdk.library.BookLibraryServiceTest.instanceRequest;
import static io.voyager.bdk.library.BookLibraryServiceTest.supportBook;
import static io.voyager.bdk.library.LibraryHarness.ACME_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.ACME_NS;
import static io.voyager.bdk.library.LibraryHarness.GLOBEX_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.GLOBEX_NS;
import static io.voyager.bdk.library.LibraryHarness.PLATFORM_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.liveInstances;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.QuotaFailure;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.voyager.bdk.library.v1.Book;
import io.voyager.bdk.library.v1.Configuration;
import io.voyager.bdk.library.v1.CreateInstanceRequest;
import io.voyager.bdk.library.v1.DeleteInstanceRequest;
import io.voyager.bdk.library.v1.Deployment;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.Resources;
import io.voyager.bdk.library.v1.Scaling;
import io.voyager.bdk.library.v1.UpdateInstanceRequest;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec.Quotas;
import io.voyager.bdk.model.OrganizationSpec;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each quota of an Organization, enforced on create through the API, with the mock API server. */
@EnableKubernetesMockClient(crud = true)
class QuotaTest {
  KubernetesClient client;
  private LibraryHarness library;
  private Book book;

  /** acme with {@code quotas}, globex without any; then the library and a book. */
  private void start(Quotas quotas) {
    LibraryHarness.organization(client, "acme", "acme", quotas, ACME_NS);
    LibraryHarness.organization(client, "globex", "globex", null, GLOBEX_NS);
    library = new LibraryHarness(client);
    book = library.as(PLATFORM_ADMIN).createBook(supportBook("1.0.0"));
  }

  @AfterEach
  void stop() {
    if (library != null) {
      library.close();
    }
  }

  private CreateInstanceRequest.Builder acme(int replicas) {
    return instanceRequest(book.getBookId()).setOrganizationId("")
        .setDeployment(Deployment.newBuilder().setType("primary").setReplicas(replicas));
  }

  @Test
  void maxInstances_namedWithLimitAndUse_nothingWritten_andADeleteMakesRoom() {
    start(new Quotas(2, null, null, null, null, null));
    Instance first = library.as(ACME_ADMIN).createInstance(acme(1).build());
    library.as(PLATFORM_ADMIN).createInstance(acme(1).build()); // a platform-admin is bound by the quota too
    StatusRuntimeException e = assertCode(() -> library.as(ACME_ADMIN).createInstance(acme(1).build()), Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("quota max_instances of organization 'acme' exceeded: limit 2, in use 2, requested 1");
    QuotaFailure failure = quotaFailure(e);
    assertThat(failure.getViolations(0).getSubject()).isEqualTo("organization:acme");
    assertThat(failure.getViolations(0).getDescription()).isEqualTo(e.getStatus().getDescription());
    assertThat(liveInstances(client)).hasSize(2);
    assertThat(client.secrets().inNamespace(ACME_NS).list().getItems()).hasSize(2);

    library.as(ACME_ADMIN).deleteInstance(DeleteInstanceRequest.newBuilder()
        .setBookId(book.getBookId()).setInstanceId(first.getInstanceId()).build());
    library.as(ACME_ADMIN).createInstance(acme(1).build());
    assertThat(liveInstances(client)).hasSize(2);
    Lease lease = client.leases().inNamespace(BdkLabels.BDK_NAMESPACE).withName("bdk-quota-acme").get();
    assertThat(lease.getSpec().getLeaseTransitions()).as("one confirmation per admitted create").isEqualTo(3);
  }

  @Test
  void replicasPerInstanceAndInTotal_theAutoscalerMaximumCounts() {
    start(new Quotas(null, 3, 4, null, null, null));
    StatusRuntimeException e = assertCode(() -> library.as(ACME_ADMIN).createInstance(acme(5).build()), Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription()).startsWith(
        "quota max_replicas_per_instance of organization 'acme' exceeded: limit 3, requested 5 (deployment.replicas, ");
    CreateInstanceRequest autoscaled = acme(1).setDeployment(Deployment.newBuilder().setType("primary").setReplicas(1)
        .setScaling(Scaling.newBuilder().setMinReplicas(1).setMaxReplicas(4))).build();
    e = assertCode(() -> library.as(ACME_ADMIN).createInstance(autoscaled), Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription()).contains("quota max_replicas_per_instance of organization 'acme' exceeded: limit 3, requested 4");
    library.as(ACME_ADMIN).createInstance(acme(3).build());
    e = assertCode(() -> library.as(ACME_ADMIN).createInstance(acme(2).build()), Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("quota max_total_replicas of organization 'acme' exceeded: limit 4, in use 3, requested 2");
    // another organization is not affected
    library.as(GLOBEX_ADMIN).createInstance(instanceRequest(book.getBookId()).setCustomerNamespace(GLOBEX_NS)
        .setOrganizationId("").setDeployment(Deployment.newBuilder().setType("primary").setReplicas(20)).build());
  }

  @Test
  void cpuAndMemoryRequests_anInstanceWithoutResourcesCountsTheDefaults() {
    start(new Quotas(null, null, null, "1", "1Gi", null));
    // no resources: 3 × the LimitRange defaults (100m, 256Mi) = 300m, 768Mi
    library.as(ACME_ADMIN).createInstance(acme(3).build());
    StatusRuntimeException e = assertCode(() -> library.as(ACME_ADMIN).createInstance(acme(1)
        .setDeployment(Deployment.newBuilder().setType("primary").setReplicas(1)
            .setResources(Resources.newBuilder().setCpu("800m").setMemory("128Mi"))).build()), Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("quota requests_cpu of organization 'acme' exceeded: limit 1, in use 300m, requested 800m");
    e = assertCode(() -> library.as(ACME_ADMIN).createInstance(acme(2).build()), Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("quota requests_memory of organization 'acme' exceeded: limit 1Gi, in use 768Mi, requested 512Mi");
    // exactly up to the limits is room
    Instance fits = library.as(ACME_ADMIN).createInstance(acme(1)
        .setDeployment(Deployment.newBuilder().setType("primary").setReplicas(1)
            .setResources(Resources.newBuilder().setCpu("700m").setMemory("256Mi"))).build());
    assertThat(fits.getDeployment().getResources().getCpu()).isEqualTo("700m");
    e = assertCode(() -> library.as(ACME_ADMIN).createInstance(acme(1)
        .setDeployment(Deployment.newBuilder().setType("primary").setReplicas(1)
            .setResources(Resources.newBuilder().setCpu("1m").setMemory("1Mi"))).build()), Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription()).isEqualTo(
        "quota requests_cpu of organization 'acme' exceeded: limit 1, in use 1, requested 1m; "
            + "quota requests_memory of organization 'acme' exceeded: limit 1Gi, in use 1Gi, requested 1Mi");
  }

  @Test
  void webhookIntegrations_andEveryQuotaExceededIsNamed() {
    start(new Quotas(2, 3, 4, "1", "1Gi", 2));
    CreateInstanceRequest oneWebhook = acme(1).build();
    assertThat(oneWebhook.getWebhooksCount()).isEqualTo(1);
    library.as(ACME_ADMIN).createInstance(oneWebhook);
    library.as(ACME_ADMIN).createInstance(acme(1).build());
    // third instance, 4 replicas and a webhook: max_instances, per-instance and total replicas, CPU, memory, webhooks
    StatusRuntimeException e = assertCode(() -> library.as(ACME_ADMIN).createInstance(acme(4).build()), Status.Code.RESOURCE_EXHAUSTED);
    assertThat(quotaFailure(e).getViolationsList()).extracting(QuotaFailure.Violation::getDescription).containsExactly(
        "quota max_instances of organization 'acme' exceeded: limit 2, in use 2, requested 1",
        "quota max_replicas_per_instance of organization 'acme' exceeded: limit 3, requested 4 (deployment.replicas, or deployment.scaling.max_replicas when it autoscales)",
        "quota max_total_replicas of organization 'acme' exceeded: limit 4, in use 2, requested 4",
        "quota requests_memory of organization 'acme' exceeded: limit 1Gi, in use 512Mi, requested 1Gi",
        "quota max_webhook_integrations of organization 'acme' exceeded: limit 2, in use 2, requested 1");
  }

  @Test
  void updatesAreHeldToTheQuotasOnlyWhereTheyGrow() {
    start(new Quotas(null, 3, 4, "1", null, 1));
    Instance two = library.as(ACME_ADMIN).createInstance(acme(2).build());
    Instance one = library.as(ACME_ADMIN).createInstance(acme(1).clearWebhooks().build());

    // growing within the quotas: allowed, and confirmed on the Organization's Lease
    Instance three = library.as(ACME_ADMIN).updateInstance(scale(two, 3));
    assertThat(three.getDeployment().getReplicas()).isEqualTo(3);
    Lease lease = client.leases().inNamespace(BdkLabels.BDK_NAMESPACE).withName("bdk-quota-acme").get();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(stored(three).getMetadata().getName());
    long generationOfOne = stored(one).getMetadata().getGeneration();

    // growing past a quota: 429 naming it, the others' use and the instance's new amount; nothing written
    StatusRuntimeException e = assertCode(() -> library.as(ACME_ADMIN).updateInstance(scale(one, 2)), Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("quota max_total_replicas of organization 'acme' exceeded: limit 4, in use 3, requested 2");
    assertThat(quotaFailure(e).getViolations(0).getSubject()).isEqualTo("organization:acme");
    e = assertCode(() -> library.as(ACME_ADMIN).updateInstance(scale(one, 4)), Status.Code.RESOURCE_EXHAUSTED);
    assertThat(quotaFailure(e).getViolationsList()).extracting(QuotaFailure.Violation::getDescription).contains(
        "quota max_replicas_per_instance of organization 'acme' exceeded: limit 3, requested 4 (deployment.replicas, or deployment.scaling.max_replicas when it autoscales)");
    e = assertCode(() -> library.as(ACME_ADMIN).updateInstance(InstanceUpdateTest.patch(one,
        Instance.newBuilder().addWebhooks(two.getWebhooks(0).toBuilder().setPath("")), "webhooks")), Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("quota max_webhook_integrations of organization 'acme' exceeded: limit 1, in use 1, requested 1");
    e = assertCode(() -> library.as(ACME_ADMIN).updateInstance(InstanceUpdateTest.patch(one, Instance.newBuilder()
        .setDeployment(Deployment.newBuilder().setResources(Resources.newBuilder().setCpu("900m"))), "deployment.resources.cpu")),
        Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("quota requests_cpu of organization 'acme' exceeded: limit 1, in use 300m, requested 900m");
    assertThat(stored(one).getMetadata().getGeneration()).isEqualTo(generationOfOne);
    assertThat(stored(one).getSpec().deployment().replicas()).isEqualTo(1);

    // a lowered quota leaves acme over it: a decrease still passes, and so does a change that grows nothing
    client.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName("acme")
        .edit(o -> {
          o.setSpec(new OrganizationSpec("acme", null, List.of(ACME_NS), new Quotas(null, 1, 1, "1", null, 1)));
          return o;
        });
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() -> {
      StatusRuntimeException refused = assertCode(() -> library.as(ACME_ADMIN).updateInstance(scale(one, 2)),
          Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getStatus().getDescription()).contains("max_replicas_per_instance of organization 'acme' exceeded: limit 1");
    });
    Instance lowered = library.as(ACME_ADMIN).updateInstance(scale(three, 2));
    assertThat(lowered.getDeployment().getReplicas()).isEqualTo(2);
    Instance relabelled = library.as(ACME_ADMIN).updateInstance(InstanceUpdateTest.patch(lowered, Instance.newBuilder()
        .setConfiguration(Configuration.newBuilder().setLogLevel("debug")), "configuration.log_level"));
    assertThat(relabelled.getConfiguration().getLogLevel()).isEqualTo("debug");
  }

  private static UpdateInstanceRequest scale(Instance i, int replicas) {
    return InstanceUpdateTest.patch(i, Instance.newBuilder().setDeployment(Deployment.newBuilder().setReplicas(replicas)),
        "deployment.replicas");
  }

  private BookInstanceDefinition stored(Instance i) {
    return liveInstances(client).stream().filter(d -> i.getInstanceId().equals(d.getMetadata().getLabels().get(BdkLabels.INSTANCE_ID)))
        .findFirst().orElseThrow();
  }

  static QuotaFailure quotaFailure(StatusRuntimeException e) {
    return StatusProto.fromThrowable(e).getDetailsList().stream().filter(d -> d.is(QuotaFailure.class)).findFirst()
        .map(d -> {
          try {
            return d.unpack(QuotaFailure.class);
          } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
          }
        }).orElseThrow(() -> new AssertionError("no QuotaFailure detail"));
  }
}
