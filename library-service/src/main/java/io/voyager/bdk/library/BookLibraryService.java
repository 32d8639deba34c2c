package io.voyager.bdk.library;

import com.google.protobuf.Empty;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.voyager.bdk.library.SortKeys.BookKey;
import io.voyager.bdk.library.SortKeys.InstanceKey;
import io.voyager.bdk.library.v1.Book;
import io.voyager.bdk.library.v1.BookLibraryGrpc;
import io.voyager.bdk.library.v1.CreateBookRequest;
import io.voyager.bdk.library.v1.CreateInstanceRequest;
import io.voyager.bdk.library.v1.DeleteBookRequest;
import io.voyager.bdk.library.v1.DeleteInstanceRequest;
import io.voyager.bdk.library.v1.GetBookRequest;
import io.voyager.bdk.library.v1.GetInstanceRequest;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.ListBooksRequest;
import io.voyager.bdk.library.v1.ListBooksResponse;
import io.voyager.bdk.library.v1.ListInstancesRequest;
import io.voyager.bdk.library.v1.ListInstancesResponse;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BookLibrary gRPC API: validates, then reads from the caches or writes through the
 * repositories, and maps resources to messages. Deleting a book and creating an instance of it go
 * through {@link BookDeletionGuard}, so they cannot both succeed. Logs one line per change, never a
 * credential value.
 */
final class BookLibraryService extends BookLibraryGrpc.BookLibraryImplBase {
  private static final Logger log = LoggerFactory.getLogger(BookLibraryService.class);

  static final String BOOKS_TOKEN = "books.v1";
  static final String INSTANCES_TOKEN = "instances.v1";

  private final BookRepository books;
  private final InstanceRepository instances;
  private final BookDeletionGuard deletions;
  private final RequestValidator validator;
  private final ResourceMapper mapper;
  private final Clock clock;
  private final Supplier<UUID> ids;

  BookLibraryService(
      BookRepository books,
      InstanceRepository instances,
      BookDeletionGuard deletions,
      RequestValidator validator,
      ResourceMapper mapper,
      Clock clock,
      Supplier<UUID> ids) {
    this.books = books;
    this.instances = instances;
    this.deletions = deletions;
    this.validator = validator;
    this.mapper = mapper;
    this.clock = clock;
    this.ids = ids;
  }

  // ---- books ----

  @Override
  public void createBook(CreateBookRequest request, StreamObserver<Book> response) {
    answer("CreateBook", response, () -> {
      validator.validateCreateBook(request);
      UUID bookId = ids.get();
      BookDefinition created = books.create(mapper.toBookDefinition(request, bookId, clock.instant()));
      log.info("event=book_created book_id={} name={} version={} resource={}",
          bookId, request.getName(), request.getVersion(), created.getMetadata().getName());
      return mapper.toBook(created);
    });
  }

  @Override
  public void getBook(GetBookRequest request, StreamObserver<Book> response) {
    answer("GetBook", response, () -> mapper.toBook(book(request.getBookId())));
  }

  @Override
  public void listBooks(ListBooksRequest request, StreamObserver<ListBooksResponse> response) {
    answer("ListBooks", response, () -> {
      int size = validator.pageSize(request.getPageSize());
      Optional<BookKey> after = request.getPageToken().isEmpty()
          ? Optional.empty()
          : Optional.of(BookKey.fromParts(PageToken.decode(BOOKS_TOKEN, 3, request.getPageToken())));
      Page<BookDefinition> page = books.list(after, size);
      ListBooksResponse.Builder b = ListBooksResponse.newBuilder();
      page.items().forEach(d -> b.addBooks(mapper.toBook(d)));
      if (page.more()) {
        BookKey last = BookKey.of(page.items().get(page.items().size() - 1));
        b.setNextPageToken(PageToken.encode(BOOKS_TOKEN, last.parts()));
      }
      return b.build();
    });
  }

  @Override
  public void deleteBook(DeleteBookRequest request, StreamObserver<Empty> response) {
    answer("DeleteBook", response, () -> {
      BookDefinition book = book(request.getBookId());
      deletions.delete(book);
      log.info("event=book_deleted book_id={} resource={}", request.getBookId(), book.getMetadata().getName());
      return Empty.getDefaultInstance();
    });
  }

  // ---- instances ----

  @Override
  public void createInstance(CreateInstanceRequest request, StreamObserver<Instance> response) {
    answer("CreateInstance", response, () -> {
      BookDefinition book = book(request.getBookId());
      validator.validateCreateInstance(request, book.getSpec());
      if (!instances.namespaceExists(request.getCustomerNamespace())) {
        throw ApiException.failedPrecondition("customer_namespace",
            "customer_namespace: namespace " + RequestValidator.quoted(request.getCustomerNamespace()) + " does not exist");
      }
      deletions.refuseIfDeleting(book);
      UUID instanceId = ids.get();
      BookInstanceDefinition instance = mapper.toInstanceDefinition(request, book, instanceId, clock.instant());
      Optional<Secret> secret = request.getCredentialsCount() == 0
          ? Optional.empty()
          : Optional.of(mapper.credentialsSecret(request, instance));
      BookInstanceDefinition created = instances.create(instance, secret);
      deletions.confirmCreated(book, created);
      log.info("event=instance_created instance_id={} book_id={} customer_namespace={} resource={} credentials={} webhooks={}",
          instanceId, request.getBookId(), request.getCustomerNamespace(), created.getMetadata().getName(),
          request.getCredentialsCount(), request.getWebhooksCount());
      return mapper.toInstance(created);
    });
  }

  @Override
  public void getInstance(GetInstanceRequest request, StreamObserver<Instance> response) {
    answer("GetInstance", response, () -> mapper.toInstance(instance(request.getBookId(), request.getInstanceId())));
  }

  @Override
  public void listInstances(ListInstancesRequest request, StreamObserver<ListInstancesResponse> response) {
    answer("ListInstances", response, () -> {
      book(request.getBookId());
      int size = validator.pageSize(request.getPageSize());
      Optional<InstanceKey> after = Optional.empty();
      if (!request.getPageToken().isEmpty()) {
        InstanceKey key = InstanceKey.fromParts(PageToken.decode(INSTANCES_TOKEN, 3, request.getPageToken()));
        if (!key.bookId().equals(request.getBookId())) {
          throw ApiException.invalid(PageToken.FIELD, "belongs to another book's instance list");
        }
        after = Optional.of(key);
      }
      Page<BookInstanceDefinition> page = instances.list(request.getBookId(), after, size);
      ListInstancesResponse.Builder b = ListInstancesResponse.newBuilder();
      page.items().forEach(d -> b.addInstances(mapper.toInstance(d)));
      if (page.more()) {
        InstanceKey last = InstanceKey.of(page.items().get(page.items().size() - 1));
        b.setNextPageToken(PageToken.encode(INSTANCES_TOKEN, last.parts()));
      }
      return b.build();
    });
  }

  @Override
  public void deleteInstance(DeleteInstanceRequest request, StreamObserver<Empty> response) {
    answer("DeleteInstance", response, () -> {
      BookInstanceDefinition instance = instance(request.getBookId(), request.getInstanceId());
      instances.delete(instance);
      log.info("event=instance_deleted instance_id={} book_id={} resource={}",
          request.getInstanceId(), request.getBookId(), instance.getMetadata().getName());
      return Empty.getDefaultInstance();
    });
  }

  // ---- helpers ----

  private BookDefinition book(String bookId) {
    validator.requireId("book_id", bookId);
    return books.findById(bookId)
        .orElseThrow(() -> ApiException.notFound("book_id", "book_id: no book with id " + RequestValidator.quoted(bookId)));
  }

  /** The instance, which must belong to the book: another book's instance is NOT_FOUND here. */
  private BookInstanceDefinition instance(String bookId, String instanceId) {
    book(bookId);
    validator.requireId("instance_id", instanceId);
    return instances.findById(instanceId)
        .filter(i -> bookId.equals(SortKeys.label(i.getMetadata().getLabels(), BdkLabels.BOOK_ID)))
        .orElseThrow(() -> ApiException.notFound("instance_id",
            "instance_id: book " + bookId + " has no instance with id " + RequestValidator.quoted(instanceId)));
  }

  /**
   * Runs {@code work} and answers with its result or its error. Kubernetes failures become
   * UNAVAILABLE with a generic message (their text may name internals); the log keeps the code.
   */
  private static <T> void answer(String method, StreamObserver<T> response, Supplier<T> work) {
    T result;
    try {
      result = work.get();
    } catch (ApiException e) {
      log.info("event=request_refused method={} code={} reason=\"{}\"", method, e.code(), e.getMessage());
      response.onError(e.toStatusRuntimeException());
      return;
    } catch (KubernetesClientException e) {
      log.warn("event=kubernetes_error method={} http_code={} reason={}", method, e.getCode(),
          e.getStatus() == null ? "none" : e.getStatus().getReason());
      response.onError(Status.UNAVAILABLE.withDescription("the Kubernetes API did not complete the request").asRuntimeException());
      return;
    } catch (RuntimeException e) {
      log.error("event=internal_error method={} error={}", method, e.getClass().getName(), e);
      response.onError(Status.INTERNAL.withDescription("internal error").asRuntimeException());
      return;
    }
    response.onNext(result);
    response.onCompleted();
  }
}
