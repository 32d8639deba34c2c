package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Answers a state-of-the-world resubscription. java-control-plane's stream remembers the names of
 * the last response it sent per type and answers at once only a request naming something outside
 * them; when Envoy drops a resource (an SDS secret whose listener went away: the request names
 * nothing) and asks for it again later with the type's unchanged version, the cache sees known
 * names and a current version and waits, and Envoy's listener waits for its secret for ever.
 *
 * <p>Here the names a request subscribes to anew (absent from the previous request of its type on
 * its stream, as {@link SyncTracker} found just before, on this thread) are taken out of the known
 * names, so the cache sends them when it has them, and as soon as a snapshot brings them otherwise.
 */
public final class ResubscriptionConfigWatcher extends ForwardingConfigWatcher {
  private final Supplier<Set<String>> newlySubscribed;

  public ResubscriptionConfigWatcher(ConfigWatcher delegate, Supplier<Set<String>> newlySubscribed) {
    super(delegate);
    this.newlySubscribed = newlySubscribed;
  }

  @Override
  public Watch createWatch(
      boolean ads,
      XdsRequest request,
      Set<String> knownResourceNames,
      Consumer<Response> responseConsumer,
      boolean hasClusterChanged,
      boolean allowDefaultEmptyEdsUpdate) {
    Set<String> added = newlySubscribed.get();
    Set<String> known = knownResourceNames;
    if (!added.isEmpty() && added.stream().anyMatch(knownResourceNames::contains)) {
      known = new HashSet<>(knownResourceNames);
      known.removeAll(added);
    }
    return delegate().createWatch(ads, request, known, responseConsumer, hasClusterChanged, allowDefaultEmptyEdsUpdate);
  }
}
