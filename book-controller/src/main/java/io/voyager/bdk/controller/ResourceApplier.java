package io.voyager.bdk.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.voyager.bdk.model.BookInstanceDefinition;
import java.util.HashMap;
import java.util.Optional;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one object in the cluster equal to its desired form with plain create and update (PUT) —
 * no server-side apply, which the fabric8 mock server lacks. The desired object's digest is kept in
 * an annotation, so an object whose digest matches the cached one is not written at all; a written
 * object is put into the informer cache at once, so the controller's own write does not trigger
 * another reconcile. Replaces carry the cached resourceVersion; when another writer got there first
 * (409) it reads the latest version and replaces again.
 */
final class ResourceApplier {
  private static final Logger log = LoggerFactory.getLogger(ResourceApplier.class);

  private static final int MAX_CONFLICT_ATTEMPTS = 3;

  private final KubernetesClient client;
  private final SecondaryCaches caches;

  ResourceApplier(KubernetesClient client, SecondaryCaches caches) {
    this.client = client;
    this.caches = caches;
  }

  /** Result of {@link #apply}: the object as it now is, and whether anything was written. */
  record Applied<T>(T object, boolean written) {}

  <T extends HasMetadata> Applied<T> apply(T desired) {
    return apply(desired, (want, live) -> want);
  }

  /**
   * @param keepFromLive copies into the desired object what belongs to the live one (e.g. the
   *     replica count an autoscaler set, a Service's cluster IP); not part of the digest
   */
  @SuppressWarnings("unchecked")
  <T extends HasMetadata> Applied<T> apply(T desired, BiFunction<T, T, T> keepFromLive) {
    Class<T> kind = (Class<T>) desired.getClass();
    String digest = ContentHash.of(desired);
    var annotations = new HashMap<>(Optional.ofNullable(desired.getMetadata().getAnnotations()).orElse(java.util.Map.of()));
    annotations.put(ManagedLabels.APPLIED_HASH, digest);
    desired.getMetadata().setAnnotations(annotations);

    InformerEventSource<T, BookInstanceDefinition> cache = caches.of(kind);
    ResourceID id = ResourceID.fromResource(desired);
    Optional<T> cached = cache.get(id);
    if (cached.isPresent() && digest.equals(annotation(cached.get(), ManagedLabels.APPLIED_HASH))) {
      return new Applied<>(cached.get(), false);
    }
    T live = cached.orElse(null);
    if (live == null) {
      try {
        T created = client.resource(desired).create();
        cache.handleRecentResourceCreate(id, created);
        log.info("event=resource_created kind={} namespace={} name={}", desired.getKind(), id.getNamespace().orElse(""), id.getName());
        return new Applied<>(created, true);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
        live = client.resource(desired).get(); // made meanwhile (cache behind): update it
        if (live == null) {
          throw e;
        }
      }
    }
    for (int attempt = 1; ; attempt++) {
      T toWrite = keepFromLive.apply(desired, live);
      toWrite.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
      try {
        T updated = client.resource(toWrite).update();
        cache.handleRecentResourceUpdate(id, updated, live);
        log.info("event=resource_updated kind={} namespace={} name={}", desired.getKind(), id.getNamespace().orElse(""), id.getName());
        return new Applied<>(updated, true);
      } catch (KubernetesClientException e) {
        // 409: someone else wrote it since our cache saw it (a status writer, an autoscaler). The
        // desired form is still ours to write: read the latest and replace again, a few times.
        if (e.getCode() != 409 || attempt >= MAX_CONFLICT_ATTEMPTS) {
          throw e;
        }
        log.info("event=resource_conflict kind={} namespace={} name={} attempt={}", desired.getKind(),
            id.getNamespace().orElse(""), id.getName(), attempt);
        live = client.resource(desired).get();
        if (live == null) {
          throw e; // deleted meanwhile: the delete event brings us back
        }
      }
    }
  }

  /** Deletes {@code object}; absent already is fine. */
  void delete(HasMetadata object) {
    client.resource(object).delete();
    log.info("event=resource_deleted kind={} namespace={} name={}", object.getKind(),
        object.getMetadata().getNamespace(), object.getMetadata().getName());
  }

  static String annotation(HasMetadata r, String key) {
    var annotations = r.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }
}
