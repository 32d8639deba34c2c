package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Stops the NACK loop. A NACK carries the version Envoy still runs, which differs from the
 * snapshot's, so the plain cache answers it at once with the same rejected config, and again, in a
 * tight loop. Here a NACK opens a watch as if Envoy had the version it rejected (the
 * {@link SyncTracker} resolved it from the NACK's nonce just before, on this thread): the next
 * response goes out when the content differs from the rejected one, not before.
 */
public final class NackHoldingConfigWatcher implements ConfigWatcher {
  private final ConfigWatcher delegate;
  private final java.util.function.Supplier<Optional<String>> rejectedVersion;

  public NackHoldingConfigWatcher(ConfigWatcher delegate, java.util.function.Supplier<Optional<String>> rejectedVersion) {
    this.delegate = delegate;
    this.rejectedVersion = rejectedVersion;
  }

  @Override
  public Watch createWatch(
      boolean ads,
      XdsRequest request,
      Set<String> knownResourceNames,
      Consumer<Response> responseConsumer,
      boolean hasClusterChanged,
      boolean allowDefaultEmptyEdsUpdate) {
    XdsRequest effective = request;
    if (request.hasErrorDetail()) {
      Optional<String> rejected = rejectedVersion.get();
      if (rejected.isPresent()) {
        effective = XdsRequest.create(request.v3Request().toBuilder().setVersionInfo(rejected.get()).build());
      }
    }
    return delegate.createWatch(ads, effective, knownResourceNames, responseConsumer, hasClusterChanged, allowDefaultEmptyEdsUpdate);
  }

  @Override
  public DeltaWatch createDeltaWatch(
      DeltaXdsRequest request,
      String requesterVersion,
      Map<String, String> resourceVersions,
      Set<String> pendingResources,
      boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer,
      boolean hasClusterChanged) {
    return delegate.createDeltaWatch(
        request, requesterVersion, resourceVersions, pendingResources, isWildcard, responseConsumer, hasClusterChanged);
  }
}
