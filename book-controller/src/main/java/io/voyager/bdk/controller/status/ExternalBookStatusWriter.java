package io.voyager.bdk.controller.status;

import io.voyager.bdk.controller.apply.ManagedCache;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.ExternalBookDefinition;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows an instance's phase and replica counts on its ExternalBookDefinition's status subresource.
 * Writes a JSON merge patch holding only the fields the controller owns ({@link ExternalBookPhase}),
 * so the xds-server's {@code webhooks} and {@code conditions} stay as they are, and only when the
 * object does not already show them — a steady state costs no write and keeps {@code last_updated}.
 * The patched object goes into the informer cache at once, so the controller's own write does not
 * reconcile the instance again.
 */
public final class ExternalBookStatusWriter {
  private static final Logger log = LoggerFactory.getLogger(ExternalBookStatusWriter.class);

  private final KubernetesClient client;
  private final ManagedCache caches;
  private final Clock clock;

  public ExternalBookStatusWriter(KubernetesClient client, ManagedCache caches, Clock clock) {
    this.client = client;
    this.caches = caches;
    this.clock = clock;
  }

  /**
   * Makes {@code book}'s status show {@code instance}'s phase and replicas; true if it wrote.
   * {@code book} is the object as last seen (informer cache or the controller's own write). A book
   * deleted meanwhile is skipped (its delete event reconciles the instance again); other API errors
   * propagate, so JOSDK retries the reconcile with backoff.
   */
  public boolean show(ExternalBookDefinition book, BookInstanceDefinitionStatus instance) {
    ExternalBookPhase want = ExternalBookPhase.of(instance);
    if (want.shownBy(book.getStatus())) {
      return false;
    }
    String namespace = book.getMetadata().getNamespace();
    String name = book.getMetadata().getName();
    String patch = client.getKubernetesSerialization().asJson(want.statusPatch(clock.instant()));
    ExternalBookDefinition patched;
    try {
      patched = client.resources(ExternalBookDefinition.class).inNamespace(namespace).withName(name)
          .subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        log.info("event=external_book_status_skipped namespace={} name={} reason=not_found", namespace, name);
        return false;
      }
      throw e;
    }
    caches.of(ExternalBookDefinition.class).handleRecentResourceUpdate(new ResourceID(name, namespace), patched, book);
    log.info("event=external_book_status_written namespace={} name={} phase={} ready={}/{}", namespace, name,
        want.phase(), want.readyReplicas(), want.replicas());
    return true;
  }
}
