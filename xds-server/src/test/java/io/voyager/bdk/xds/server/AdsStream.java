package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import com.google.rpc.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One ADS stream (id 1) as java-control-plane's observer runs it, with the tracker as callback. */
final class AdsStream {
  private final SyncTracker tracker;
  private final io.envoyproxy.controlplane.cache.ConfigWatcher watcher;
  private final Map<String, Watch> watches = new HashMap<>();
  private final Map<String, Set<String>> known = new HashMap<>();
  private final Map<String, DiscoveryResponse> latest = new HashMap<>();
  private final Map<String, List<String>> sent = new HashMap<>();
  private final Map<String, String> acked = new HashMap<>();
  private int nonce;

  AdsStream(SyncTracker tracker, io.envoyproxy.controlplane.cache.ConfigWatcher watcher) {
    this.tracker = tracker;
    this.watcher = watcher;
  }

  void request(String type, String version, String responseNonce, List<String> names) {
    handle(DiscoveryRequest.newBuilder().setTypeUrl(type).setVersionInfo(version)
        .setResponseNonce(responseNonce).addAllResourceNames(names).build());
  }

  void nack(String type, List<String> names) {
    handle(DiscoveryRequest.newBuilder().setTypeUrl(type).setVersionInfo(acked.getOrDefault(type, ""))
        .setResponseNonce(lastNonce(type)).addAllResourceNames(names)
        .setErrorDetail(Status.newBuilder().setCode(3).setMessage("rejected")).build());
  }

  void ack(String type, List<String> names) {
    acked.put(type, latest.get(type).getVersionInfo());
    request(type, latest.get(type).getVersionInfo(), lastNonce(type), names);
  }

  String lastNonce(String type) {
    return latest.containsKey(type) ? latest.get(type).getNonce() : "";
  }

  List<String> sent(String type) {
    return sent.getOrDefault(type, List.of());
  }

  private void handle(DiscoveryRequest request) {
    String type = request.getTypeUrl();
    tracker.onV3StreamRequest(1, request);
    DiscoveryResponse last = latest.get(type);
    if (!request.getResponseNonce().isEmpty() && (last == null || !last.getNonce().equals(request.getResponseNonce()))) {
      return; // stale nonce: ignored
    }
    if (!request.hasErrorDetail() && last != null) {
      Set<String> names = new HashSet<>();
      last.getResourcesList().forEach(any -> names.add(Resources.getResourceName(any)));
      known.put(type, names);
    }
    Watch previous = watches.remove(type);
    if (previous != null) {
      previous.cancel();
    }
    watches.put(type, watcher.createWatch(true, XdsRequest.create(request), known.getOrDefault(type, Set.of()),
        response -> send(type, response), false, false));
  }

  private void send(String type, Response response) {
    DiscoveryResponse out = DiscoveryResponse.newBuilder().setTypeUrl(type).setVersionInfo(response.version())
        .setNonce(Integer.toString(++nonce))
        .addAllResources(response.resources().stream().map(r -> com.google.protobuf.Any.pack(r)).toList())
        .build();
    tracker.onV3StreamResponse(1, response.request().v3Request(), out);
    latest.put(type, out);
    sent.computeIfAbsent(type, t -> new ArrayList<>()).add(response.version());
  }
}
