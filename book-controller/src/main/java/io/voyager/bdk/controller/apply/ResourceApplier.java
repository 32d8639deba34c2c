package io.voyager.bdk.controller.apply;

import io.voyager.bdk.controller.desired.ContentHash;
import io.voyager.bdk.controller.desired.ManagedLabels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one object in the cluster equal to its desired form with plain create and update (PUT) —
 * no server-side apply, which the fabric8 mock server lacks. Each reconcile compares the desired
 * object with the cached live one on the fields the controller owns ({@link DriftMatcher}) and
 * writes only when they differ: a changed spec and a hand edit of the object (an image, a selector,
 * a loosened NetworkPolicy) are both written back; a steady object costs nothing. The desired
 * object's digest is kept in an annotation, which tells the two apart in the log and the
 * {@value #WRITES} counter ({@code reason=changed} or {@code drift}). A written object is put into
 * the informer cache at once, so the controller's own write does not trigger another reconcile.
 * Replaces carry the cached resourceVersion; when another writer got there first (409) it reads the
 * latest version and replaces again.
 */
public final class ResourceApplier {
  private static final Logger log = LoggerFactory.getLogger(ResourceApplier.class);

  private static final int MAX_CONFLICT_ATTEMPTS = 3;
  /** Counter of writes, tagged {@code kind} and {@code reason} ({@code created}, {@code changed}, {@code drift}). */
  public static final String WRITES = "bdk.controller.resource.writes";

  private final KubernetesClient client;
  private final ManagedCache caches;
  private final MeterRegistry registry;

  public ResourceApplier(KubernetesClient client, ManagedCache caches, MeterRegistry registry) {
    this.client = client;
    this.caches = caches;
    this.registry = registry;
  }

  /** Result of {@link #apply}: the object as it now is, and whether anything was written. */
  public record Applied<T>(T object, boolean written) {}

  public <T extends HasMetadata> Applied<T> apply(T desired) {
    return apply(desired, (want, live) -> want);
  }

  /**
   * @param keepFromLive copies into the desired object what belongs to the live one (e.g. the
   *     replica count an autoscaler set, a Service's cluster IP); not part of the digest, and not
   *     drift when others change it
   */
  @SuppressWarnings("unchecked")
  public <T extends HasMetadata> Applied<T> apply(T desired, BiFunction<T, T, T> keepFromLive) {
    Class<T> kind = (Class<T>) desired.getClass();
    String digest = ContentHash.of(desired);
    var annotations = new HashMap<>(Optional.ofNullable(desired.getMetadata().getAnnotations()).orElse(Map.of()));
    annotations.put(ManagedLabels.APPLIED_HASH, digest);
    desired.getMetadata().setAnnotations(annotations);

    InformerEventSource<T, ?> cache = caches.of(kind);
    ResourceID id = ResourceID.fromResource(desired);
    Optional<T> cached = cache.get(id);
    String reason = "changed";
    if (cached.isPresent()) {
      T wanted = keepFromLive.apply(desired, cached.get());
      if (DriftMatcher.matches(wanted, cached.get(), client.getKubernetesSerialization())) {
        return new Applied<>(cached.get(), false);
      }
      if (digest.equals(annotation(cached.get(), ManagedLabels.APPLIED_HASH))) {
        reason = "drift"; // we wanted this before too: someone else changed the object
      }
    }
    T live = cached.orElse(null);
    if (live == null) {
      try {
        T created = client.resource(desired).create();
        cache.handleRecentResourceCreate(id, created);
        log.info("event=resource_created kind={} namespace={} name={}", desired.getKind(), id.getNamespace().orElse(""), id.getName());
        counted(desired, "created");
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
        log.info("event=resource_updated kind={} namespace={} name={} reason={}", desired.getKind(),
            id.getNamespace().orElse(""), id.getName(), reason);
        counted(desired, reason);
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
  public void delete(HasMetadata object) {
    client.resource(object).delete();
    log.info("event=resource_deleted kind={} namespace={} name={}", object.getKind(),
        object.getMetadata().getNamespace(), object.getMetadata().getName());
  }

  private void counted(HasMetadata desired, String reason) {
    registry.counter(WRITES, "kind", desired.getKind(), "reason", reason).increment();
  }

  static String annotation(HasMetadata r, String key) {
    var annotations = r.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }
}
