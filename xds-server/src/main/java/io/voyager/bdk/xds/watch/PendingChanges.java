package io.voyager.bdk.xds.watch;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.voyager.bdk.xds.model.InputChanges;
import io.voyager.bdk.xds.model.ServiceKey;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What changed since the last rebuild, as the informers reported it: the keys of the books and
 * the Services (of EndpointSlices) that changed, and whether a global input did (the JWKS object,
 * the edge TLS Secret) or the watcher cannot tell (before the first rebuild, after a failed one).
 * Informer threads add; the rebuild thread {@link #drain drains}. Thread-safe.
 */
final class PendingChanges {
  private boolean global = true; // the first rebuild walks everything
  private Set<String> books = new HashSet<>();
  private Set<ServiceKey> services = new HashSet<>();
  private Set<String> slices = new HashSet<>();

  /** What a rebuild takes: the changes for the translator, and which EndpointSlices (by key) to read again. */
  record Batch(InputChanges changes, Set<String> slices) {}

  synchronized void book(HasMetadata book) {
    books.add(book.getMetadata().getNamespace() + "/" + book.getMetadata().getName());
  }

  /** The EndpointSlice, and the Service it belongs to (by its {@value KubeViews#SERVICE_NAME_LABEL} label; none without it). */
  synchronized void slice(HasMetadata slice) {
    Map<String, String> labels = slice.getMetadata().getLabels();
    String service = labels == null ? null : labels.get(KubeViews.SERVICE_NAME_LABEL);
    if (service != null) {
      services.add(new ServiceKey(slice.getMetadata().getNamespace(), service));
    }
    slices.add(slice.getMetadata().getNamespace() + "/" + slice.getMetadata().getName());
  }

  synchronized void global() {
    global = true;
  }

  /** What changed since the last drain, and starts afresh. */
  synchronized Batch drain() {
    Batch batch = new Batch(global ? InputChanges.EVERYTHING : InputChanges.of(books, services), Set.copyOf(slices));
    global = false;
    books = new HashSet<>();
    services = new HashSet<>();
    slices = new HashSet<>();
    return batch;
  }
}
