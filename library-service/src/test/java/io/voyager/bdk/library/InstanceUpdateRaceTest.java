package io.voyager.bdk.library;

import static io.voyager.bdk.library.BookLibraryServiceTest.assertCode;
import static io.voyager.bdk.library.BookLibraryServiceTest.instanceRequest;
import static io.voyager.bdk.library.BookLibraryServiceTest.supportBook;
import static io.voyager.bdk.library.LibraryHarness.ACME_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.PLATFORM_ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.voyager.bdk.library.v1.Configuration;
import io.voyager.bdk.library.v1.Deployment;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two library replicas (each its own caches) updating one instance at once, interleaved through
 * {@link UpdateCheckpoints}, never by timing: both read the instance and pass the etag check before
 * either writes. The write is a compare-and-swap on the resourceVersion read (the mock API server
 * enforces it, as a real one does), so the second write is refused and its fresh read turns the
 * etag stale: one update wins, the other is ABORTED and changes nothing.
 */
@EnableKubernetesMockClient(crud = true)
class InstanceUpdateRaceTest {
  KubernetesClient client;

  private Runnable beforeAWrites = () -> {};
  private final List<String> checkedByA = new ArrayList<>();
  private LibraryHarness replicaA;
  private LibraryHarness replicaB;
  private Instance instance;

  @BeforeEach
  void start() {
    LibraryHarness.tenants(client);
    UpdateCheckpoints hooksA = new UpdateCheckpoints() {
      @Override
      public void afterEtagChecked(String instanceName) {
        checkedByA.add(instanceName);
        Runnable once = beforeAWrites;
        beforeAWrites = () -> {};
        once.run();
      }
    };
    replicaA = new LibraryHarness(client, new LibraryBackend.Checkpoints(DeletionCheckpoints.NONE, QuotaCheckpoints.NONE, hooksA));
    replicaB = new LibraryHarness(client);
    var book = replicaA.as(PLATFORM_ADMIN).createBook(supportBook("1.0.0"));
    instance = replicaA.as(ACME_ADMIN).createInstance(instanceRequest(book.getBookId()).setOrganizationId("").build());
    // B's caches are its own: wait until they hold what A created (a loaded machine delays the watch)
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions().until(() ->
        replicaB.as(ACME_ADMIN).getInstance(InstanceUpdateTest.get(instance)) != null);
  }

  @AfterEach
  void stop() {
    replicaA.close();
    replicaB.close();
  }

  @Test
  void twoUpdatesWithTheSameEtag_oneWins_theOtherIsAbortedAndWritesNothing() {
    List<Instance> bWon = new ArrayList<>();
    beforeAWrites = () -> bWon.add(replicaB.as(ACME_ADMIN).updateInstance(InstanceUpdateTest.patch(instance,
        Instance.newBuilder().setDeployment(Deployment.newBuilder().setReplicas(5)), "deployment.replicas")));

    StatusRuntimeException e = assertCode(() -> replicaA.as(ACME_ADMIN).updateInstance(InstanceUpdateTest.patch(instance,
        Instance.newBuilder().setDeployment(Deployment.newBuilder().setReplicas(3)), "deployment.replicas")), Status.Code.ABORTED);

    assertThat(checkedByA).as("A passed the etag check before B wrote, then read again after its write was refused")
        .hasSize(1);
    assertThat(e.getStatus().getDescription()).startsWith("etag: the instance changed since W/\"1-0\" was read (it is W/\"2-0\" now)");
    assertThat(bWon).singleElement().satisfies(b -> assertThat(b.getDeployment().getReplicas()).isEqualTo(5));
    BookInstanceDefinition stored = stored();
    assertThat(stored.getSpec().deployment().replicas()).isEqualTo(5);
    assertThat(stored.getMetadata().getGeneration()).as("one write").isEqualTo(2L);
  }

  @Test
  void withoutAnEtagBothApply_eachToTheInstanceAsItThenIs() {
    beforeAWrites = () -> replicaB.as(ACME_ADMIN).updateInstance(InstanceUpdateTest.withoutEtag(instance,
        Instance.newBuilder().setDeployment(Deployment.newBuilder().setReplicas(5)), "deployment.replicas"));

    Instance a = replicaA.as(ACME_ADMIN).updateInstance(InstanceUpdateTest.withoutEtag(instance,
        Instance.newBuilder().setConfiguration(Configuration.newBuilder().setLogLevel("debug")), "configuration.log_level"));

    assertThat(checkedByA).as("A's first write lost the compare-and-swap and it started again").hasSize(2);
    assertThat(a.getDeployment().getReplicas()).as("B's field kept").isEqualTo(5);
    assertThat(a.getConfiguration().getLogLevel()).isEqualTo("debug");
    assertThat(stored().getMetadata().getGeneration()).isEqualTo(3L);
  }

  private BookInstanceDefinition stored() {
    return client.resources(BookInstanceDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).list().getItems().get(0);
  }
}
