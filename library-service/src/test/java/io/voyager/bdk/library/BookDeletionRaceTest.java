package io.voyager.bdk.library;

import static io.voyager.bdk.library.BookLibraryServiceTest.NS;
import static io.voyager.bdk.library.BookLibraryServiceTest.assertCode;
import static io.voyager.bdk.library.BookLibraryServiceTest.instanceRequest;
import static io.voyager.bdk.library.BookLibraryServiceTest.supportBook;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.voyager.bdk.library.v1.Book;
import io.voyager.bdk.library.v1.BookLibraryGrpc.BookLibraryBlockingStub;
import io.voyager.bdk.library.v1.DeleteBookRequest;
import io.voyager.bdk.library.v1.GetBookRequest;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.ListBooksRequest;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DeleteBook against CreateInstance of the same book, with the interleavings driven step by step
 * through {@link DeletionCheckpoints} (and latches where both calls must be in flight), never by
 * timing. The fabric8 mock server ignores resourceVersion preconditions, so a concurrent change is
 * played by a 409 answer instead, and the delete requests are checked to carry the precondition.
 */
@EnableKubernetesMockClient(crud = true)
class BookDeletionRaceTest {

  KubernetesClient client;
  KubernetesMockServer server;

  private final Checkpoints checkpoints = new Checkpoints();
  private LibraryHarness library;
  private BookLibraryBlockingStub stub;

  @BeforeEach
  void start() {
    LibraryHarness.tenants(client);
    library = new LibraryHarness(client, new LibraryBackend.Checkpoints(checkpoints, QuotaCheckpoints.NONE));
    stub = library.as(LibraryHarness.PLATFORM_ADMIN);
  }

  @AfterEach
  void stop() {
    library.close();
  }

  @Test
  void deleteOfABookWithAnInstanceIsRefusedAndTakesItsMarkBack() {
    Book book = stub.createBook(supportBook("1.0.0"));
    stub.createInstance(instanceRequest(book.getBookId()).build());

    StatusRuntimeException e = assertCode(() -> stub.deleteBook(delete(book)), Status.Code.FAILED_PRECONDITION);

    assertThat(e.getStatus().getDescription()).startsWith("book_id: ").contains(book.getBookId()).contains("instances");
    assertThat(DeletionMark.of(bookOnServer(book))).isEmpty();
    // read-your-writes: the refused delete left nothing that refuses the next instance
    stub.createInstance(instanceRequest(book.getBookId()).build());
    assertThat(instancesOnServer()).hasSize(2);
  }

  @Test
  void aBookBeingDeletedReadsNormallyAndRefusesInstancesUpFront() {
    Book book = stub.createBook(supportBook("1.0.0"));
    mark(book, Instant.now());
    cacheBarrier();

    assertThat(stub.getBook(GetBookRequest.newBuilder().setBookId(book.getBookId()).build())).isEqualTo(book);
    assertThat(stub.listBooks(ListBooksRequest.getDefaultInstance()).getBooksList()).contains(book);
    StatusRuntimeException e = assertCode(() -> stub.createInstance(instanceRequest(book.getBookId()).build()),
        Status.Code.FAILED_PRECONDITION);

    assertThat(e.getStatus().getDescription()).isEqualTo("book_id: book " + book.getBookId() + " is being deleted");
    assertThat(checkpoints.instanceWrites).as("refused before any write").isZero();
    assertNothingLeftBehind();
  }

  @Test
  void anInstanceWrittenAfterTheMarkLandedIsRolledBack() {
    Book book = stub.createBook(supportBook("1.0.0"));
    checkpoints.beforeInstanceWrite = once(id -> mark(book, Instant.now())); // the cache may not show it yet

    StatusRuntimeException e = assertCode(() -> stub.createInstance(instanceRequest(book.getBookId()).build()),
        Status.Code.FAILED_PRECONDITION);

    assertThat(e.getStatus().getDescription()).isEqualTo("book_id: book " + book.getBookId() + " is being deleted");
    assertThat(checkpoints.instanceWrites).as("the up-front check passed").isEqualTo(1);
    assertNothingLeftBehind();
  }

  @Test
  void anInstanceWrittenAfterTheBookWasDeletedIsRolledBack() {
    Book book = stub.createBook(supportBook("1.0.0"));
    checkpoints.beforeInstanceWrite = once(id -> stub.deleteBook(delete(book)));

    StatusRuntimeException e = assertCode(() -> stub.createInstance(instanceRequest(book.getBookId()).build()),
        Status.Code.NOT_FOUND);

    assertThat(e.getStatus().getDescription()).startsWith("book_id: ").contains(book.getBookId());
    assertThat(client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).list().getItems()).isEmpty();
    assertNothingLeftBehind();
  }

  /** The interleaving the mark exists for: the instance is written after the delete looked for instances. */
  @Test
  void anInstanceWrittenBetweenTheDeletesCheckAndItsDeleteIsRolledBackAndTheBookIsDeleted() throws Exception {
    Book book = stub.createBook(supportBook("1.0.0"));
    CountDownLatch createAtWrite = new CountDownLatch(1);
    CountDownLatch createMayWrite = new CountDownLatch(1);
    checkpoints.beforeInstanceWrite = once(id -> {
      createAtWrite.countDown();
      awaitLatch(createMayWrite);
    });
    CompletableFuture<Throwable> create = CompletableFuture.supplyAsync(() -> {
      try {
        stub.createInstance(instanceRequest(book.getBookId()).build());
        return null;
      } catch (StatusRuntimeException e) {
        return e;
      }
    });
    awaitLatch(createAtWrite); // the create passed its up-front check before the book was marked
    List<Integer> instancesAtDelete = new ArrayList<>();
    checkpoints.beforeBookDelete = once(id -> {
      createMayWrite.countDown(); // the delete found no instance; now the create writes and checks
      create.join();
      instancesAtDelete.add(instancesOnServer().size());
    });

    stub.deleteBook(delete(book));

    Throwable refused = create.get(30, TimeUnit.SECONDS);
    assertThat(refused).isInstanceOf(StatusRuntimeException.class);
    assertThat(((StatusRuntimeException) refused).getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(refused.getMessage()).contains("is being deleted");
    assertThat(instancesAtDelete).containsExactly(0);
    assertThat(client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).list().getItems()).isEmpty();
    assertNothingLeftBehind();
  }

  @Test
  void aStaleMarkNeitherRefusesInstancesNorStaysOnTheBook() {
    Book book = stub.createBook(supportBook("1.0.0"));
    mark(book, Instant.now().minus(DeletionMark.STALE_AFTER).minusSeconds(1));
    cacheBarrier();

    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());

    assertThat(created.getBookId()).isEqualTo(book.getBookId());
    assertThat(instancesOnServer()).hasSize(1);
    assertThat(DeletionMark.of(bookOnServer(book))).as("the create cleared the crashed delete's mark").isEmpty();
  }

  @Test
  void theNextDeleteProceedsOverAMarkLeftBehind() {
    Book book = stub.createBook(supportBook("1.0.0"));
    mark(book, Instant.now());

    stub.deleteBook(delete(book));

    assertCode(() -> stub.getBook(GetBookRequest.newBuilder().setBookId(book.getBookId()).build()), Status.Code.NOT_FOUND);
    assertThat(client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).list().getItems()).isEmpty();
  }

  @Test
  void aDeleteWhoseBookChangedAfterTheMarkStartsOverAndDeletesOnlyOnTheMarkedVersion() throws Exception {
    Book book = stub.createBook(supportBook("1.0.0"));
    String path = bookPath(book);
    server.expect().delete().withPath(path).andReturn(409, conflict()).once();
    drainRequests();

    stub.deleteBook(delete(book));

    List<RecordedRequest> requests = drainRequests();
    List<String> preconditions = requests.stream()
        .filter(r -> r.getMethod().equals("DELETE") && r.getPath().equals(path))
        .map(r -> Serialization.unmarshal(r.getUtf8Body(), DeleteOptions.class).getPreconditions().getResourceVersion())
        .toList();
    assertThat(preconditions).hasSize(2).doesNotContainNull().doesNotHaveDuplicates();
    // (the mock server consumes PUT bodies, so the marks' own resourceVersions cannot be read back)
    assertThat(requests.stream().filter(r -> r.getMethod().equals("PUT") && r.getPath().equals(path)))
        .as("each attempt marks the book again").hasSize(2);
    assertThat(client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).list().getItems()).isEmpty();
  }

  @Test
  void aDeleteWhoseBookKeepsChangingIsAbortedAndLeavesTheBookUnmarked() {
    Book book = stub.createBook(supportBook("1.0.0"));
    server.expect().delete().withPath(bookPath(book)).andReturn(409, conflict()).times(BookDeletionGuard.ATTEMPTS);

    StatusRuntimeException e = assertCode(() -> stub.deleteBook(delete(book)), Status.Code.ABORTED);

    assertThat(e.getStatus().getDescription()).startsWith("book_id: ").contains("try again");
    assertThat(DeletionMark.of(bookOnServer(book))).isEmpty();
    stub.createInstance(instanceRequest(book.getBookId()).build());
  }

  // ---- helpers ----

  /** Records how often CreateInstance reached its write; runs the hooks a test sets. */
  static final class Checkpoints implements DeletionCheckpoints {
    volatile Consumer<String> beforeBookDelete = id -> {};
    volatile Consumer<String> beforeInstanceWrite = id -> {};
    volatile int instanceWrites;

    @Override
    public void beforeBookDelete(String bookId) {
      beforeBookDelete.accept(bookId);
    }

    @Override
    public void beforeInstanceWrite(String bookId) {
      instanceWrites++;
      beforeInstanceWrite.accept(bookId);
    }
  }

  private static Consumer<String> once(Consumer<String> hook) {
    CountDownLatch done = new CountDownLatch(1);
    return id -> {
      if (done.getCount() > 0) {
        done.countDown();
        hook.accept(id);
      }
    };
  }

  private static void awaitLatch(CountDownLatch latch) {
    try {
      assertThat(latch.await(30, TimeUnit.SECONDS)).as("the other call reached its checkpoint").isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Marks the book on the API server, as a delete that is in flight (or crashed at {@code since}) would have. */
  private void mark(Book book, Instant since) {
    client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE)
        .withName(bookOnServer(book).getMetadata().getName()).edit(b -> DeletionMark.marked(b, since));
  }

  /**
   * Returns once the library's book cache holds every earlier book write: a book created through
   * the service is awaited in the cache, and one watch delivers the kind's events in order.
   */
  private void cacheBarrier() {
    stub.createBook(supportBook("9.9.9"));
  }

  private BookDefinition bookOnServer(Book book) {
    return client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE)
        .withLabel(BdkLabels.BOOK_ID, book.getBookId()).list().getItems().get(0);
  }

  private String bookPath(Book book) {
    return "/apis/bdk.voyager.io/v1/namespaces/bdk/bookdefinitions/" + bookOnServer(book).getMetadata().getName();
  }

  private List<BookInstanceDefinition> instancesOnServer() {
    return client.resources(BookInstanceDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).list().getItems();
  }

  private void assertNothingLeftBehind() {
    assertThat(instancesOnServer()).as("no BookInstanceDefinition").isEmpty();
    assertThat(client.secrets().inAnyNamespace().list().getItems()).as("no credentials Secret").isEmpty();
  }

  /** The requests the mock server received since the last drain, in order. */
  private List<RecordedRequest> drainRequests() throws InterruptedException {
    List<RecordedRequest> requests = new ArrayList<>();
    for (RecordedRequest r = server.takeRequest(100, TimeUnit.MILLISECONDS); r != null;
        r = server.takeRequest(100, TimeUnit.MILLISECONDS)) {
      requests.add(r);
    }
    return requests;
  }

  private static io.fabric8.kubernetes.api.model.Status conflict() {
    return new StatusBuilder().withCode(409).withReason("Conflict")
        .withMessage("the object has been modified; please apply your changes to the latest version and try again").build();
  }

  private static DeleteBookRequest delete(Book book) {
    return DeleteBookRequest.newBuilder().setBookId(book.getBookId()).build();
  }
}
