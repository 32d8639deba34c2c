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
  record Checkpoints(DeletionCheckpoints deletion, QuotaCheckpoints quota, UpdateCheckpoints update) {
    static final Checkpoints NONE = new Checkpoints(DeletionCheckpoints.NONE, QuotaCheckpoints.NONE, UpdateCheckpoints.NONE);

    Checkpoints(DeletionCheckpoints deletion, QuotaCheckpoints quota) {
      this(deletion, quota, UpdateCheckpoints.NONE);
    }
  }

  private final BookRepository books;
  private final InstanceRepository instances;
  private final OrganizationDirectory organizations;
  private final BookLibraryService service;
  private final AuthenticationInterceptor authentication;
  private final PreviousValueSweeper sweeper;
  private final DeliverySummaries deliveries;

  /** How often, by default, rotated credentials' previous values are checked for the end of their overlap. */
  static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(10);

  LibraryBackend(KubernetesClient client, String namespace, Clock clock, Duration cacheWait, TokenVerifier verifier,
      MeterRegistry registry) {
    this(client, namespace, clock, cacheWait, verifier, registry, Checkpoints.NONE);
  }

  LibraryBackend(KubernetesClient client, String namespace, Clock clock, Duration cacheWait, TokenVerifier verifier,
      MeterRegistry registry, Checkpoints checkpoints) {
    this(client, namespace, clock, cacheWait, verifier, registry, checkpoints, DEFAULT_SWEEP_INTERVAL);
  }

  LibraryBackend(KubernetesClient client, String namespace, Clock clock, Duration cacheWait, TokenVerifier verifier,
      MeterRegistry registry, Checkpoints checkpoints, Duration sweepInterval) {
    this(client, namespace, clock, cacheWait, verifier, registry, checkpoints, sweepInterval, false);
  }

  /** @param tailscaleKernelAllowed whether instances may ask for kernel-mode Tailscale (--tailscale-allow-kernel-mode) */
  LibraryBackend(KubernetesClient client, String namespace, Clock clock, Duration cacheWait, TokenVerifier verifier,
      MeterRegistry registry, Checkpoints checkpoints, Duration sweepInterval, boolean tailscaleKernelAllowed) {
    this(client, namespace, clock, cacheWait, verifier, registry, checkpoints, sweepInterval, tailscaleKernelAllowed,
        DeliverySummaries.unconfigured());
  }

  /** {@code deliveries}: where instance reads find their queued webhooks (closed with the backend). */
  LibraryBackend(KubernetesClient client, String namespace, Clock clock, Duration cacheWait, TokenVerifier verifier,
      MeterRegistry registry, Checkpoints checkpoints, Duration sweepInterval, boolean tailscaleKernelAllowed,
      DeliverySummaries deliveries) {
    this.deliveries = deliveries;
    this.books = new BookRepository(client, namespace, cacheWait);
    this.instances = new InstanceRepository(client, namespace, cacheWait);
    this.organizations = new OrganizationDirectory(client, namespace);
    AuditLog audit = new AuditLog(registry);
    this.authentication = new AuthenticationInterceptor(verifier, audit);
    RequestValidator validator = new RequestValidator(tailscaleKernelAllowed);
    ResourceMapper mapper = new ResourceMapper(namespace);
    CredentialValues values = new CredentialValues();
    BookDeletionGuard deletions = new BookDeletionGuard(books, instances, clock, checkpoints.deletion());
    QuotaGuard quotas = new QuotaGuard(client, namespace, instances, checkpoints.quota());
    InstanceUpdater updater = new InstanceUpdater(books, instances, deletions, quotas, new CredentialsSecretWriter(client),
        new InstanceUpdatePlanner(validator, values), mapper, clock, checkpoints.update());
    this.service =
        new BookLibraryService(
            books, instances, deletions, validator, mapper, clock, UUID::randomUUID,
            organizations::index, new AccessPolicy(), quotas, audit, values, updater, deliveries);
    this.sweeper = new PreviousValueSweeper(client, clock, sweepInterval, registry);
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
    sweeper.start();
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
    sweeper.close();
    instances.close();
    books.close();
    organizations.close();
    try {
      deliveries.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
