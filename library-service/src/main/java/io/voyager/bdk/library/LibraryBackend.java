package io.voyager.bdk.library;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.support.auth.TokenVerifier;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

/**
 * The library's parts wired together on one Kubernetes client: informer caches (books, instances,
 * Organizations), repositories, the guards, and the gRPC service behind token verification (and the
 * 201 interceptor). Transport-agnostic, so tests serve it in-process.
 */
final class LibraryBackend implements AutoCloseable {

  /** Where tests interleave calls of different replicas; {@link #NONE} in production. */
  record Checkpoints(DeletionCheckpoints deletion, QuotaCheckpoints quota) {
    static final Checkpoints NONE = new Checkpoints(DeletionCheckpoints.NONE, QuotaCheckpoints.NONE);
  }

  private final BookRepository books;
  private final InstanceRepository instances;
  private final OrganizationDirectory organizations;
  private final BookLibraryService service;
  private final AuthenticationInterceptor authentication;

  LibraryBackend(KubernetesClient client, String namespace, Clock clock, Duration cacheWait, TokenVerifier verifier,
      MeterRegistry registry) {
    this(client, namespace, clock, cacheWait, verifier, registry, Checkpoints.NONE);
  }

  LibraryBackend(KubernetesClient client, String namespace, Clock clock, Duration cacheWait, TokenVerifier verifier,
      MeterRegistry registry, Checkpoints checkpoints) {
    this.books = new BookRepository(client, namespace, cacheWait);
    this.instances = new InstanceRepository(client, namespace, cacheWait);
    this.organizations = new OrganizationDirectory(client, namespace);
    AuditLog audit = new AuditLog(registry);
    this.authentication = new AuthenticationInterceptor(verifier, audit);
    this.service =
        new BookLibraryService(
            books, instances, new BookDeletionGuard(books, instances, clock, checkpoints.deletion()),
            new RequestValidator(), new ResourceMapper(namespace), clock, UUID::randomUUID,
            organizations::index, new AccessPolicy(),
            new QuotaGuard(client, namespace, instances, checkpoints.quota()), audit);
    Gauge.builder("bdk.library.books", books, BookRepository::size)
        .description("Books in the library cache").register(registry);
    Gauge.builder("bdk.library.instances", instances, InstanceRepository::size)
        .description("Book instances in the library cache").register(registry);
  }

  /** Starts the informers and returns once every cache holds the initial lists. */
  LibraryBackend start(Duration timeout) {
    organizations.start(timeout);
    books.start(timeout);
    instances.start(timeout);
    return this;
  }

  boolean ready() {
    return organizations.hasSynced() && books.hasSynced() && instances.hasSynced();
  }

  /**
   * The BookLibrary service: every call authenticated first (a bearer token, verified here), create
   * methods answering with the 201 header.
   */
  BindableService grpcService() {
    return () -> ServerInterceptors.intercept(service, new CreatedStatusInterceptor(), authentication);
  }

  @Override
  public void close() {
    instances.close();
    books.close();
    organizations.close();
  }
}
