package io.voyager.bdk.localruntime;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.voyager.bdk.model.CustomerNamespaces;
import io.voyager.bdk.samplebook.SampleBook;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands in for kubelet and the endpoint-slice controller where no cluster runs pods: watches
 * Deployments, Services and its own EndpointSlices in customer namespaces and, through a
 * debounced per-namespace {@link NamespaceReconciler}, runs a sample book backend for each
 * Deployment a Service selects, publishes the Service's EndpointSlice at that backend and writes
 * each Deployment's status. {@link #close()} stops the watches and every backend; the slices it
 * published stay (as a crashed kubelet's would) and are corrected by its next run.
 */
public final class LocalRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalRuntime.class);

  /** Knobs with their defaults. */
  public record Settings(Duration debounce, Duration maxBackoff, int maxBackends, int history) {
    public static Settings defaults() {
      return new Settings(Duration.ofMillis(100), Duration.ofSeconds(30), 500, 100);
    }
  }

  private final Backends backends;
  private final ReconcileQueue queue;
  private final List<SharedIndexInformer<?>> informers;

  private LocalRuntime(Backends backends, ReconcileQueue queue, List<SharedIndexInformer<?>> informers) {
    this.backends = backends;
    this.queue = queue;
    this.informers = informers;
  }

  /**
   * Starts the watches and returns once their caches hold the current state. Handlers are added
   * only after every cache has synced (fabric8 then replays the cached objects to them), so no
   * namespace is reconciled against a half-filled cache — which would remove live slices.
   */
  public static LocalRuntime start(KubernetesClient client, Settings settings) {
    Backends backends = new Backends(settings.maxBackends(), settings.history());
    RecentWrites recentWrites = new RecentWrites();
    SharedIndexInformer<Deployment> deployments =
        client.apps().deployments().inAnyNamespace().runnableInformer(0);
    SharedIndexInformer<Service> services = client.services().inAnyNamespace().runnableInformer(0);
    SharedIndexInformer<EndpointSlice> slices =
        client.discovery().v1().endpointSlices().inAnyNamespace()
            .withLabel(EndpointSlices.MANAGED_BY_LABEL, EndpointSlices.MANAGED_BY)
            .runnableInformer(0);
    List<SharedIndexInformer<?>> informers = List.of(deployments, services, slices);
    ReconcileQueue queue =
        new ReconcileQueue(
            new NamespaceReconciler(
                client, deployments.getIndexer(), services.getIndexer(), slices.getIndexer(),
                backends, recentWrites, Clock.systemUTC()),
            settings.debounce(),
            settings.maxBackoff());
    try {
      informers.forEach(informer -> informer.start().toCompletableFuture().join());
      deployments.addEventHandler(
          new NamespaceEnqueuer<>(queue::enqueue, d -> recentWrites.observed(RecentWrites.statusKey(
              d.getMetadata().getNamespace(), d.getMetadata().getName()))));
      services.addEventHandler(new NamespaceEnqueuer<>(queue::enqueue, s -> {}));
      slices.addEventHandler(
          new NamespaceEnqueuer<>(queue::enqueue, s -> recentWrites.observed(RecentWrites.sliceKey(
              s.getMetadata().getNamespace(), s.getMetadata().getName()))));
    } catch (RuntimeException e) {
      informers.forEach(SharedIndexInformer::close);
      queue.close();
      backends.close();
      throw e;
    }
    log.info("event=local_runtime_started max_backends={} debounce_ms={}",
        settings.maxBackends(), settings.debounce().toMillis());
    return new LocalRuntime(backends, queue, informers);
  }

  /** The running backends, for {@code /debug/backends} and tests. */
  public List<RunningBackend> backends() {
    return backends.list();
  }

  /** The port of the backend standing in for {@code namespace/deployment}, or -1 when none runs. */
  public int backendPort(String namespace, String deployment) {
    return backends.get(namespace, deployment).map(SampleBook::port).orElse(-1);
  }

  /** The backend standing in for {@code namespace/deployment}, if one runs. */
  public Optional<SampleBook> backend(String namespace, String deployment) {
    return backends.get(namespace, deployment);
  }

  /**
   * Takes the backend of {@code namespace/deployment} down, as if its book's process had died and
   * stayed dead: its slice goes, its Deployment reports no ready replica, until {@link #startBackend}.
   * For walkthroughs and tests of a book that is down (the controller would undo a scale to zero).
   */
  public void stopBackend(String namespace, String deployment) {
    backends.hold(namespace, deployment);
    queue.enqueue(namespace);
  }

  /** Undoes {@link #stopBackend}: the backend runs again (on a new port) and is published. */
  public void startBackend(String namespace, String deployment) {
    backends.release(namespace, deployment);
    queue.enqueue(namespace);
  }

  int backendCount() {
    return backends.size();
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
    queue.close();
    backends.close();
    log.info("event=local_runtime_stopped");
  }

  /**
   * Turns every watch event in a customer namespace into a reconcile of that namespace, after
   * telling {@code observe} the object was seen.
   */
  private record NamespaceEnqueuer<T extends HasMetadata>(Consumer<String> enqueue, Consumer<T> observe)
      implements ResourceEventHandler<T> {
    @Override
    public void onAdd(T obj) {
      handle(obj);
    }

    @Override
    public void onUpdate(T oldObj, T newObj) {
      handle(newObj);
    }

    @Override
    public void onDelete(T obj, boolean deletedFinalStateUnknown) {
      handle(obj);
    }

    private void handle(T obj) {
      String namespace = obj.getMetadata().getNamespace();
      if (CustomerNamespaces.isCustomerNamespace(namespace)) {
        observe.accept(obj);
        enqueue.accept(namespace);
      }
    }
  }
}
