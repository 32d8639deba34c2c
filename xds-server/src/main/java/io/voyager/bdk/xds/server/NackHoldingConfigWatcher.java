package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Stops the NACK loop. A NACK carries the version Envoy still runs, which differs from the
 * snapshot's, so the plain cache answers it at once with the same rejected config, and again, in a
 * tight loop. For EDS and RDS there is a second way into the loop: the cache also answers at once
 * when a request names a resource Envoy has never ACKed, which is exactly the case of a new
 * cluster's or route's rejected first version.
 *
 * <p>Here every request that answers a rejected response (the NACK itself and any later request on
 * that stream still carrying the rejected response's nonce, as {@link SyncTracker} resolved just
 * before, on this thread) opens a watch as if Envoy had the rejected version and knew the resources
 * it was sent: the next response goes out when the content differs from the rejected one, or when
 * Envoy asks for a resource it was not sent, not before.
 */
public final class NackHoldingConfigWatcher extends ForwardingConfigWatcher {
  private final Supplier<Optional<RejectedResponse>> rejectedResponse;

  public NackHoldingConfigWatcher(ConfigWatcher delegate, Supplier<Optional<RejectedResponse>> rejectedResponse) {
    super(delegate);
    this.rejectedResponse = rejectedResponse;
  }

  @Override
  public Watch createWatch(
      boolean ads,
      XdsRequest request,
      Set<String> knownResourceNames,
      Consumer<Response> responseConsumer,
      boolean hasClusterChanged,
      boolean allowDefaultEmptyEdsUpdate) {
    Optional<RejectedResponse> rejected = rejectedResponse.get();
    if (rejected.isEmpty()) {
      return delegate().createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged, allowDefaultEmptyEdsUpdate);
    }
    XdsRequest asIfApplied = XdsRequest.create(request.v3Request().toBuilder().setVersionInfo(rejected.get().version()).build());
    Set<String> known = new HashSet<>(knownResourceNames);
    known.addAll(rejected.get().resourceNames());
    return delegate().createWatch(ads, asIfApplied, known, responseConsumer, hasClusterChanged, allowDefaultEmptyEdsUpdate);
  }
}
