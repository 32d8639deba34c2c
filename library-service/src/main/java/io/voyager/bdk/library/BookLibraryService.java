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
import io.voyager.bdk.library.v1.UpdateInstanceRequest;
import io.voyager.bdk.library.v1.CredentialInput;
import io.voyager.bdk.library.v1.WebhookBinding;
import io.voyager.bdk.library.v1.WebhookDeliverySummary;
import io.voyager.bdk.model.InstanceCredentials;
import io.voyager.bdk.model.InstanceNames;
import io.voyager.bdk.model.WebhookDelivery;
import java.util.LinkedHashMap;
import java.util.Map;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationIndex;
import io.voyager.bdk.support.auth.Caller;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BookLibrary gRPC API: authorizes the call's {@link Caller} ({@link AccessPolicy} over the
 * Organizations), validates, then reads from the caches or writes through the repositories, and
 * maps resources to messages. Deleting a book and creating an instance of it go through {@link
 * BookDeletionGuard}, so they cannot both succeed; creating an instance goes through {@link
 * QuotaGuard}, so its Organization's quotas hold across replicas. Reads show only what the caller
 * may see (another organization's instance is NOT_FOUND, as a missing one). Every mutating call
 * writes one audit line ({@link AuditLog}). Logs one line per change, never a credential value.
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
  private final Supplier<OrganizationIndex> organizations;
  private final AccessPolicy policy;
  private final QuotaGuard quotas;
  private final AuditLog audit;
  private final CredentialValues credentialValues;
  private final InstanceUpdater updater;
  private final DeliverySummaries deliveries;

  BookLibraryService(
      BookRepository books,
      InstanceRepository instances,
      BookDeletionGuard deletions,
      RequestValidator validator,
      ResourceMapper mapper,
      Clock clock,
      Supplier<UUID> ids,
      Supplier<OrganizationIndex> organizations,
      AccessPolicy policy,
      QuotaGuard quotas,
      AuditLog audit,
      CredentialValues credentialValues,
      InstanceUpdater updater,
      DeliverySummaries deliveries) {
    this.books = books;
    this.instances = instances;
    this.deletions = deletions;
    this.validator = validator;
    this.mapper = mapper;
    this.clock = clock;
    this.ids = ids;
    this.organizations = organizations;
    this.policy = policy;
    this.quotas = quotas;
    this.audit = audit;
    this.credentialValues = credentialValues;
    this.updater = updater;
    this.deliveries = deliveries;
  }

  // ---- books ----

  @Override
  public void createBook(CreateBookRequest request, StreamObserver<Book> response) {
    mutate("CreateBook", "books/" + request.getName() + "@" + request.getVersion(), response, entry -> {
      require(policy.writeBooks(Callers.current(), "create books"));
      validator.validateCreateBook(request);
      UUID bookId = ids.get();
      BookDefinition created = books.create(mapper.toBookDefinition(request, bookId, clock.instant()));
      log.info("event=book_created book_id={} name={} version={} resource={}",
          bookId, request.getName(), request.getVersion(), created.getMetadata().getName());
      entry.target("books/" + bookId);
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
    mutate("DeleteBook", "books/" + request.getBookId(), response, entry -> {
      require(policy.writeBooks(Callers.current(), "delete books"));
      BookDefinition book = book(request.getBookId());
      deletions.delete(book);
      log.info("event=book_deleted book_id={} resource={}", request.getBookId(), book.getMetadata().getName());
      return Empty.getDefaultInstance();
    });
  }

  // ---- instances ----

  @Override
  public void createInstance(CreateInstanceRequest request, StreamObserver<Instance> response) {
    String target = "books/" + request.getBookId() + "/instances";
    mutate("CreateInstance", target, response, entry -> {
      entry.namespace(request.getCustomerNamespace());
      Caller caller = Callers.current();
      OrganizationIndex orgs = organizations.get();
      BookDefinition book = book(request.getBookId());
      require(policy.createInstances(caller, orgs));
      validator.validateCreateInstance(request, book.getSpec());
      require(policy.createInstanceIn(caller, orgs, request.getCustomerNamespace()));
      AccessPolicy.OrganizationOfInstance owner =
          policy.organizationOf(caller, orgs, request.getCustomerNamespace(), request.getOrganizationId());
      if (!owner.ok()) {
        throw owner.invalid()
            ? ApiException.invalid(owner.field(), owner.problem())
            : ApiException.failedPrecondition(owner.field(), owner.problem());
      }
      Organization org = orgs.byOrganizationId(owner.organizationId()).orElseThrow();
      if (!instances.namespaceExists(request.getCustomerNamespace())) {
        throw ApiException.failedPrecondition("customer_namespace",
            "customer_namespace: namespace " + RequestValidator.quoted(request.getCustomerNamespace()) + " does not exist");
      }
      deletions.refuseIfDeleting(book);
      UUID instanceId = ids.get();
      BookInstanceDefinition instance =
          mapper.toInstanceDefinition(request, book, owner.organizationId(), instanceId, clock.instant());
      Map<String, String> generated = new LinkedHashMap<>();
      Optional<Secret> secret = request.getCredentialsCount() == 0
          ? Optional.empty()
          : Optional.of(mapper.credentialsSecret(instance, credentialValues(request, generated)));
      BookInstanceDefinition created = quotas.create(org, orgs.namespacesOf(owner.organizationId()),
          InstanceCharge.of(instance.getSpec()), () -> {
            BookInstanceDefinition written = instances.create(instance, secret);
            deletions.confirmCreated(book, written);
            return written;
          });
      entry.target(target + "/" + instanceId);
      log.info("event=instance_created instance_id={} book_id={} customer_namespace={} organization={} resource={} credentials={} webhooks={}",
          instanceId, request.getBookId(), request.getCustomerNamespace(), LogValues.of(owner.organizationId()),
          created.getMetadata().getName(), request.getCredentialsCount(), request.getWebhooksCount());
      return ResourceMapper.withGeneratedValues(mapper.toInstance(created), generated);
    });
  }

  /**
   * The values a new instance's credentials Secret holds: manual values as sent, generated ones made
   * here (and put in {@code generated}, to be answered once), nothing for external ones.
   */
  private Map<String, String> credentialValues(CreateInstanceRequest request, Map<String, String> generated) {
    Map<String, String> values = new LinkedHashMap<>();
    for (CredentialInput c : request.getCredentialsList()) {
      switch (InstanceCredentials.sourceOrDefault(c.getSource())) {
        case InstanceCredentials.MANUAL -> values.put(c.getName(), c.getValue());
        case InstanceCredentials.GENERATED -> {
          boolean standard = request.getWebhooksList().stream()
              .anyMatch(w -> w.getScheme().equals("standard") && w.getCredential().equals(c.getName()));
          String value = credentialValues.generate(standard);
          values.put(c.getName(), value);
          generated.put(c.getName(), value);
        }
        default -> { } // external: managed outside; the library writes nothing
      }
    }
    return values;
  }

  @Override
  public void updateInstance(UpdateInstanceRequest request, StreamObserver<Instance> response) {
    String bookId = request.getInstance().getBookId();
    String instanceId = request.getInstance().getInstanceId();
    mutate("UpdateInstance", "books/" + bookId + "/instances/" + instanceId, response, entry -> {
      BookDefinition book = book(bookId);
      BookInstanceDefinition cached = instance(bookId, instanceId);
      String namespace = InstanceRepository.customerNamespace(cached);
      OrganizationIndex orgs = organizations.get();
      AccessPolicy.Decision decision = policy.updateInstance(Callers.current(), orgs, namespace);
      if (decision.verdict() == AccessPolicy.Decision.Verdict.HIDDEN) {
        throw noInstance(bookId, instanceId);
      }
      entry.namespace(namespace);
      require(decision);
      return updater.update(cached, book, request, orgs, () -> noInstance(bookId, instanceId));
    });
  }

  @Override
  public void getInstance(GetInstanceRequest request, StreamObserver<Instance> response) {
    answer("GetInstance", response, () -> {
      BookInstanceDefinition instance = instance(request.getBookId(), request.getInstanceId());
      if (!policy.readInstance(Callers.current(), organizations.get(), InstanceRepository.customerNamespace(instance)).allowed()) {
        throw noInstance(request.getBookId(), request.getInstanceId());
      }
      Instance read = mapper.toInstance(instance);
      WebhookDeliverySummary summary = deliveries.summarize(read.getCustomerNamespace(),
          InstanceNames.externalBookDefinition(instance.getMetadata().getName()),
          read.getWebhooksList().stream()
              .filter(w -> WebhookDelivery.QUEUED.equals(w.getDelivery()))
              .map(WebhookBinding::getIntegration).toList());
      return summary == null ? read : read.toBuilder().setWebhookDeliverySummary(summary).build();
    });
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
      Caller caller = Callers.current();
      OrganizationIndex orgs = organizations.get();
      Page<BookInstanceDefinition> page = instances.list(request.getBookId(), after, size,
          i -> policy.canRead(caller, orgs, InstanceRepository.customerNamespace(i)));
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
    mutate("DeleteInstance", "books/" + request.getBookId() + "/instances/" + request.getInstanceId(), response, entry -> {
      BookInstanceDefinition instance = instance(request.getBookId(), request.getInstanceId());
      String namespace = InstanceRepository.customerNamespace(instance);
      AccessPolicy.Decision decision = policy.deleteInstance(Callers.current(), organizations.get(), namespace);
      if (decision.verdict() == AccessPolicy.Decision.Verdict.HIDDEN) {
        throw noInstance(request.getBookId(), request.getInstanceId());
      }
      entry.namespace(namespace);
      require(decision);
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
        .orElseThrow(() -> noInstance(bookId, instanceId));
  }

  /** The one answer for an instance that is missing or that the caller may not see. */
  private static ApiException noInstance(String bookId, String instanceId) {
    return ApiException.notFound("instance_id",
        "instance_id: book " + bookId + " has no instance with id " + RequestValidator.quoted(instanceId));
  }

  private static void require(AccessPolicy.Decision decision) {
    if (!decision.allowed()) {
      throw ApiException.permissionDenied(decision.reason());
    }
  }

  /**
   * {@link #answer} for a call that changes something: also writes its one audit line, with the
   * outcome (OK or the gRPC code of the refusal) and what {@code work} recorded in the entry.
   */
  private <T> void mutate(String method, String target, StreamObserver<T> response, Function<AuditLog.Entry, T> work) {
    AuditLog.Entry entry = new AuditLog.Entry(target);
    Caller caller = Callers.KEY.get();
    answer(method, response, () -> work.apply(entry),
        outcome -> audit.record(caller, method, entry, outcome));
  }

  /**
   * Runs {@code work} and answers with its result or its error. Kubernetes failures become
   * UNAVAILABLE with a generic message (their text may name internals); the log keeps the code.
   */
  private static <T> void answer(String method, StreamObserver<T> response, Supplier<T> work) {
    answer(method, response, work, outcome -> {});
  }

  /**
   * Runs {@code work} and answers with its result or its error, then tells {@code outcome} the gRPC
   * code answered. Kubernetes failures become UNAVAILABLE with a generic message (their text may
   * name internals); the log keeps the code.
   */
  private static <T> void answer(String method, StreamObserver<T> response, Supplier<T> work,
      Consumer<String> outcome) {
    T result;
    try {
      result = work.get();
    } catch (ApiException e) {
      log.info("event=request_refused method={} code={} reason=\"{}\"", method, e.code(), e.getMessage());
      outcome.accept(Status.fromCodeValue(e.code().getNumber()).getCode().name());
      response.onError(e.toStatusRuntimeException());
      return;
    } catch (KubernetesClientException e) {
      log.warn("event=kubernetes_error method={} http_code={} reason={}", method, e.getCode(),
          e.getStatus() == null ? "none" : e.getStatus().getReason());
      outcome.accept(Status.Code.UNAVAILABLE.name());
      response.onError(Status.UNAVAILABLE.withDescription("the Kubernetes API did not complete the request").asRuntimeException());
      return;
    } catch (RuntimeException e) {
      log.error("event=internal_error method={} error={}", method, e.getClass().getName(), e);
      outcome.accept(Status.Code.INTERNAL.name());
      response.onError(Status.INTERNAL.withDescription("internal error").asRuntimeException());
      return;
    }
    outcome.accept(Status.Code.OK.name());
    response.onNext(result);
    response.onCompleted();
  }
}
