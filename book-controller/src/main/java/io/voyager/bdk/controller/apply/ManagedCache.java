package io.voyager.bdk.controller.apply;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/**
 * Where a reconciler keeps the live objects of each kind it makes: the informer {@link
 * ResourceApplier} compares desired objects with and tells about its own writes.
 */
public interface ManagedCache {
  /** The informer holding the managed objects of {@code kind}. */
  <R extends HasMetadata> InformerEventSource<R, ?> of(Class<R> kind);
}
