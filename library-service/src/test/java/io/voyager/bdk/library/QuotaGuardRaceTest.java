package io.voyager.bdk.library;

import static io.voyager.bdk.library.BookLibraryServiceTest.assertCode;
import static io.voyager.bdk.library.BookLibraryServiceTest.instanceRequest;
import static io.voyager.bdk.library.BookLibraryServiceTest.supportBook;
import static io.voyager.bdk.library.LibraryHarness.ACME_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.ACME_NS;
import static io.voyager.bdk.library.LibraryHarness.PLATFORM_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.code;
import static io.voyager.bdk.library.LibraryHarness.liveInstances;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.voyager.bdk.library.v1.Book;
import io.voyager.bdk.library.v1.CreateInstanceRequest;
import io.voyager.bdk.library.v1.GetBookRequest;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec.Quotas;
import io.voyager.bdk.model.OrganizationSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two library replicas (each its own caches and guard) creating for one Organization with room for
 * one instance, interleaved step by step through {@link QuotaCheckpoints} (and latches where both
 * creates must be in flight), never by timing. The mock API server enforces resourceVersion on
 * updates, which is the compare-and-swap {@link QuotaGuard} relies on.
 */
@EnableKubernetesMockClient(crud = true)
class QuotaGuardRaceTest {
  static final Duration WAIT = Duration.ofSeconds(30);

  KubernetesClient client;

  private final Hooks hooksA = new Hooks();
  private final Hooks hooksB = new Hooks();
  private LibraryHarness replicaA;
  private LibraryHarness replicaB;
  private Book book;

  @BeforeEach
  void start() {
    LibraryHarness.organization(client, "acme", "acme", new Quotas(1, null, null, null, null, null), ACME_NS);
    replicaA = new LibraryHarness(client, new LibraryBackend.Checkpoints(DeletionCheckpoints.NONE, hooksA));
    replicaB = new LibraryHarness(client, new LibraryBackend.Checkpoints(DeletionCheckpoints.NONE, hooksB));
    book = replicaA.as(PLATFORM_ADMIN).createBook(supportBook("1.0.0"));
    // B's caches are its own: wait until they hold the book A created (a loaded machine delays the watch)
    org.awaitility.Awaitility.await().atMost(WAIT).ignoreExceptions().until(() -> replicaB.as(PLATFORM_ADMIN)
        .getBook(GetBookRequest.newBuilder().setBookId(book.getBookId()).build()) != null);
  }

  @AfterEach
  void stop() {
    replicaA.close();
    replicaB.close();
  }

  private CreateInstanceRequest request() {
    return instanceRequest(book.getBookId()).setOrganizationId("").build();
  }

  @Test
  void bothCountedBeforeEitherWrote_theOneConfirmedSecondRecountsAndIsRefused() {
    // A counts (0 in use); B then creates and confirms; A's check passed on its stale count and it
    // writes — but its confirmation fails (B changed the Lease), it counts again, sees B's, rolls back.
    hooksA.afterUsageCounted = once(org -> assertThat(replicaB.as(ACME_ADMIN).createInstance(request()).getOrganizationId())
        .isEqualTo("acme"));

    StatusRuntimeException e = assertCode(() -> replicaA.as(ACME_ADMIN).createInstance(request()), Status.Code.RESOURCE_EXHAUSTED);

    assertThat(e.getStatus().getDescription()).isEqualTo("quota max_instances of organization 'acme' exceeded: limit 1, in use 1, requested 1");
    assertThat(hooksA.confirmations).as("A wrote before it learned").isEqualTo(1);
    assertThat(liveInstances(client)).hasSize(1);
    assertThat(client.secrets().inNamespace(ACME_NS).list().getItems()).as("A's Secret went with its instance").hasSize(1);
  }

  @Test
  void anUnconfirmedInstanceOfAnotherReplicaIsCounted() {
    // A has written its instance and is about to confirm; B counts it and is refused up front.
    hooksA.beforeConfirm = once(org -> {
      StatusRuntimeException e = assertCode(() -> replicaB.as(ACME_ADMIN).createInstance(request()), Status.Code.RESOURCE_EXHAUSTED);
      assertThat(e.getStatus().getDescription()).contains("limit 1, in use 1, requested 1");
    });

    Instance created = replicaA.as(ACME_ADMIN).createInstance(request());

    assertThat(hooksB.confirmations).as("B never wrote").isZero();
    assertThat(liveInstances(client)).extracting(i -> i.getMetadata().getLabels().get(BdkLabels.INSTANCE_ID))
        .containsExactly(created.getInstanceId());
  }

  @Test
  void bothWroteOnStaleCounts_onlyTheFirstConfirmationHolds() throws Exception {
    // A and B both count 0 and both write; B confirms first; A's confirmation fails, it recounts
    // (B's instance now confirmed) and rolls back. Without the compare-and-swap both would stay.
    CountDownLatch bCounted = new CountDownLatch(1);
    CountDownLatch bMayGoOn = new CountDownLatch(1);
    hooksB.afterUsageCounted = once(org -> {
      bCounted.countDown();
      await(bMayGoOn);
    });
    CompletableFuture<Instance> b = new CompletableFuture<>();
    hooksA.afterUsageCounted = once(org -> {
      new Thread(() -> {
        try {
          b.complete(replicaB.as(ACME_ADMIN).createInstance(request()));
        } catch (RuntimeException ex) {
          b.completeExceptionally(ex);
        }
      }, "replica-b").start();
      await(bCounted);
    });
    hooksA.beforeConfirm = once(org -> {
      bMayGoOn.countDown();
      assertThat(b.join().getOrganizationId()).isEqualTo("acme");
    });

    StatusRuntimeException e = assertCode(() -> replicaA.as(ACME_ADMIN).createInstance(request()), Status.Code.RESOURCE_EXHAUSTED);

    assertThat(e.getStatus().getDescription()).isEqualTo("quota max_instances of organization 'acme' exceeded: limit 1, in use 1, requested 1");
    assertThat(hooksA.confirmations).isEqualTo(1);
    assertThat(hooksB.confirmations).isEqualTo(1);
    assertThat(liveInstances(client)).extracting(i -> i.getMetadata().getLabels().get(BdkLabels.INSTANCE_ID))
        .containsExactly(b.get(10, TimeUnit.SECONDS).getInstanceId());
  }

  @Test
  void alternatingReplicasFillTheQuotaExactly() {
    client.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName("acme")
        .edit(o -> {
          o.setSpec(new OrganizationSpec("acme", null, List.of(ACME_NS), new Quotas(3, null, null, null, null, null)));
          return o;
        });
    org.awaitility.Awaitility.await().atMost(WAIT).until(() ->
        replicaA.backend != null && code(() -> replicaA.as(ACME_ADMIN).createInstance(request())) == Status.Code.OK);
    int ok = 1;
    int refused = 0;
    for (int i = 0; i < 4; i++) {
      LibraryHarness replica = i % 2 == 0 ? replicaB : replicaA;
      Status.Code code = code(() -> replica.as(ACME_ADMIN).createInstance(request()));
      if (code == Status.Code.OK) {
        ok++;
      } else {
        assertThat(code).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        refused++;
      }
    }
    assertThat(ok).isEqualTo(3);
    assertThat(refused).isEqualTo(2);
    assertThat(liveInstances(client)).hasSize(3);
  }

  @Test
  void theUseIsCountedFromTheApiServer_notFromACacheThatMayLag() {
    BookInstanceDefinition other = new BookInstanceDefinition();
    other.getMetadata().setName("written-by-another-replica");
    other.getMetadata().setNamespace(BdkLabels.BDK_NAMESPACE);
    other.getMetadata().setLabels(Map.of(BdkLabels.CUSTOMER_NAMESPACE, ACME_NS));
    other.setSpec(new BookInstanceDefinitionSpec(new BookInstanceDefinitionSpec.BookRef("b", "1.0.0"),
        new BookInstanceDefinitionSpec.Customer(ACME_NS, "acme"), null, null, null, null, null));
    client.resource(other).create();
    // a repository whose cache was never started: only the API server can show the instance
    InstanceRepository cold = new InstanceRepository(client, BdkLabels.BDK_NAMESPACE, Duration.ofSeconds(1));
    try {
      assertThat(cold.liveInNamespaces(List.of(ACME_NS, "customer-elsewhere"))).containsOnlyKeys("written-by-another-replica");
      assertThat(cold.liveInNamespaces(List.of("customer-elsewhere"))).isEmpty();
    } finally {
      cold.close();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        throw new AssertionError("the other replica did not reach its checkpoint");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Runs {@code action} at the first crossing only. */
  private static Consumer<String> once(Consumer<String> action) {
    boolean[] done = {false};
    return org -> {
      if (!done[0]) {
        done[0] = true;
        action.accept(org);
      }
    };
  }

  /** Checkpoints whose actions tests set; counts the confirmations attempted. */
  static final class Hooks implements QuotaCheckpoints {
    volatile Consumer<String> afterUsageCounted = org -> {};
    volatile Consumer<String> beforeConfirm = org -> {};
    volatile int confirmations;

    @Override
    public void afterUsageCounted(String organizationId) {
      afterUsageCounted.accept(organizationId);
    }

    @Override
    public void beforeConfirm(String organizationId) {
      confirmations++;
      beforeConfirm.accept(organizationId);
    }
  }
}
