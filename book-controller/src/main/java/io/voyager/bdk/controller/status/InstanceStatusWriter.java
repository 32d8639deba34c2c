package io.voyager.bdk.controller.status;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;

/**
 * Writes an instance's whole status with an update (PUT) of the status subresource carrying the
 * resourceVersion the status was computed from: a write from a stale object is refused (409) by
 * the API server instead of being merged into newer state, and then the instance is read again and
 * the status written on the fresh object (skipped if it already shows it), up to {@value #ATTEMPTS}
 * times.
 *
 * <p>Why not JOSDK's {@code patchStatus}: without server-side apply it sends a JSON Patch diffed
 * from the cached object, without a resourceVersion, so from a stale cache a condition the server
 * already has was added again (an instance read showed {@code WebhooksRouted} twice). A JSON merge
 * patch replaces lists whole on a real API server but the embedded fabric8 mock server appends to
 * them on the status subresource; an update replaces the status on both.
 */
public final class InstanceStatusWriter {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(InstanceStatusWriter.class);
  static final int ATTEMPTS = 5;

  private final KubernetesClient client;

  public InstanceStatusWriter(KubernetesClient client) {
    this.client = client;
  }

  /**
   * Writes {@code status} as the status of {@code instance} (the object it was computed from, with
   * its resourceVersion). Returns the object as written, or null when the instance is gone or
   * already showed {@code status} when read again after a conflict (then: the object read).
   *
   * @throws KubernetesClientException when the API refuses otherwise, or still conflicts after
   *     {@value #ATTEMPTS} attempts (the reconcile is retried)
   */
  public BookInstanceDefinition write(BookInstanceDefinition instance, BookInstanceDefinitionStatus status) {
    String namespace = instance.getMetadata().getNamespace();
    String name = instance.getMetadata().getName();
    BookInstanceDefinition base = instance;
    for (int attempt = 1; ; attempt++) {
      try {
        return client.resource(withStatus(base, status)).updateStatus();
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          log.info("event=instance_status_skipped instance={} reason=not_found", name);
          return null;
        }
        if (e.getCode() != 409 || attempt >= ATTEMPTS) {
          throw e;
        }
      }
      BookInstanceDefinition fresh = client.resources(BookInstanceDefinition.class).inNamespace(namespace).withName(name).get();
      if (fresh == null) {
        log.info("event=instance_status_skipped instance={} reason=not_found", name);
        return null;
      }
      log.info("event=instance_status_conflict instance={} attempt={} resource_version={}", name, attempt,
          fresh.getMetadata().getResourceVersion());
      if (!StatusCalculator.differs(fresh.getStatus(), status)) {
        return fresh;
      }
      base = fresh;
    }
  }

  /** A copy of {@code instance} (metadata, spec; resourceVersion kept) with {@code status}: the cached object is left alone. */
  private static BookInstanceDefinition withStatus(BookInstanceDefinition instance, BookInstanceDefinitionStatus status) {
    BookInstanceDefinition copy = new BookInstanceDefinition();
    copy.setApiVersion(instance.getApiVersion());
    copy.setKind(instance.getKind());
    copy.setMetadata(new ObjectMetaBuilder(instance.getMetadata()).withManagedFields().build());
    copy.setSpec(instance.getSpec());
    copy.setStatus(status);
    return copy;
  }
}
