package io.voyager.bdk.library;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationIndex;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Organizations of the library's namespace, from an informer, as an immutable {@link
 * OrganizationIndex} rebuilt on every change (Organizations are few: tenants, not instances).
 * Operators manage Organizations through the Kubernetes API (kubectl, GitOps); the library only
 * reads them, and a change applies to the next call.
 */
final class OrganizationDirectory implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OrganizationDirectory.class);

  private final SharedIndexInformer<Organization> informer;
  private final AtomicReference<OrganizationIndex> index = new AtomicReference<>(OrganizationIndex.EMPTY);

  OrganizationDirectory(KubernetesClient client, String namespace) {
    this.informer = client.resources(Organization.class).inNamespace(namespace).runnableInformer(0);
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Organization obj) {
        rebuild();
      }

      @Override
      public void onUpdate(Organization oldObj, Organization newObj) {
        rebuild();
      }

      @Override
      public void onDelete(Organization obj, boolean deletedFinalStateUnknown) {
        rebuild();
      }
    });
  }

  /** Starts the informer and returns once it holds the initial list. */
  void start(Duration timeout) {
    try {
      informer.start().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Organization informer did not sync: " + e, e);
    }
    rebuild();
  }

  boolean hasSynced() {
    return informer.hasSynced();
  }

  /** The Organizations as of now. */
  OrganizationIndex index() {
    return index.get();
  }

  private synchronized void rebuild() {
    OrganizationIndex next = OrganizationIndex.of(informer.getStore().list());
    index.set(next);
    log.debug("event=organizations_indexed organizations={}", next.organizations().size());
  }

  @Override
  public void close() {
    informer.close();
  }
}
