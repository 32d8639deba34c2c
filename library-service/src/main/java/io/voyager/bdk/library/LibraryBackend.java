package io.voyager.bdk.library;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

/**
 * The library's parts wired together on one Kubernetes client: informer caches, repositories and
 * the gRPC service (with the 201 interceptor). Transport-agnostic, so tests serve it in-process.
 */
final class LibraryBackend implements AutoCloseable {

  private final BookRepository books;
  private final InstanceRepository instances;
  private final BookLibraryService service;

  LibraryBackend(KubernetesClient client, String namespace, Clock clock, Duration cacheWait) {
    this(client, namespace, clock, cacheWait, DeletionCheckpoints.NONE);
  }

  /** With {@code checkpoints} where tests interleave DeleteBook and CreateInstance. */
  LibraryBackend(KubernetesClient client, String namespace, Clock clock, Duration cacheWait, DeletionCheckpoints checkpoints) {
    this.books = new BookRepository(client, namespace, cacheWait);
    this.instances = new InstanceRepository(client, namespace, cacheWait);
    this.service =
        new BookLibraryService(
            books, instances, new BookDeletionGuard(books, instances, clock, checkpoints),
            new RequestValidator(), new ResourceMapper(namespace), clock, UUID::randomUUID);
  }

  /** Starts the informers and returns once both caches hold the initial lists. */
  LibraryBackend start(Duration timeout) {
    books.start(timeout);
    instances.start(timeout);
    return this;
  }

  boolean ready() {
    return books.hasSynced() && instances.hasSynced();
  }

  /** Cache sizes as gauges: bdk_library_books, bdk_library_instances. */
  void bindMetrics(MeterRegistry registry) {
    Gauge.builder("bdk.library.books", books, BookRepository::size)
        .description("Books in the library cache").register(registry);
    Gauge.builder("bdk.library.instances", instances, InstanceRepository::size)
        .description("Book instances in the library cache").register(registry);
  }

  /** The BookLibrary service, create methods answering with the 201 header. */
  BindableService grpcService() {
    return () -> ServerInterceptors.intercept(service, new CreatedStatusInterceptor());
  }

  @Override
  public void close() {
    instances.close();
    books.close();
  }
}
