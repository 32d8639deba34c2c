package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per connected Envoy and per resource type: which version was sent, which Envoy acked, and the
 * error of its last NACK, like {@code istioctl proxy-status}. Remembers nonce → version for every
 * response, so a NACK (a request with {@code error_detail}) names the version Envoy refused.
 *
 * <p>Both protocols: a state-of-the-world request names the version Envoy runs and NACKs with the
 * previous one; a delta request carries no version, so an ACK is its nonce without
 * {@code error_detail} and the version it acks is the one that nonce's response carried (the
 * snapshot's type version in {@code system_version_info}). Counts every response, its resources
 * and its bytes per type and protocol ({@code bdk_xds_responses_total},
 * {@code bdk_xds_resources_sent_total}, {@code bdk_xds_response_bytes_total}).
 */
public final class SyncTracker implements DiscoveryServerCallbacks {
  private static final Logger log = LoggerFactory.getLogger(SyncTracker.class);
  private static final int NONCES_KEPT = 32;

  public enum Status { SYNCED, STALE, NACKED }

  /** One row of {@code /debug/sync}. */
  public record TypeSync(String type, String current, String sent, String acked, Status status, String error) {}

  /** {@code protocol}: {@value #SOTW} or {@value #DELTA}. */
  public record NodeSync(String node, String cluster, long stream, String protocol, List<TypeSync> types) {}

  public static final String SOTW = "sotw";
  public static final String DELTA = "delta";

  private final Map<Long, StreamState> streams = new ConcurrentHashMap<>();
  /**
   * The rejected response the request being handled on this thread answers (a NACK, or a later
   * request still carrying the rejected response's nonce). The server runs request callbacks and
   * then creates the request's watch on the same thread.
   */
  private final ThreadLocal<RejectedResponse> rejectedByCurrentRequest = new ThreadLocal<>();
  /** Resource names the request on this thread names that the previous request of its type on its stream did not. */
  private final ThreadLocal<Set<String>> subscribedByCurrentRequest = new ThreadLocal<>();
  private final MeterRegistry registry;
  private final Consumer<String> onNodeGroup;
  private final XdsAckListener acks;
  private final Map<String, ResponseMeters> responseMeters = new ConcurrentHashMap<>();

  /** {@code onNodeGroup} learns each connecting Envoy's node.cluster before its first watch. */
  public SyncTracker(MeterRegistry registry, Consumer<String> onNodeGroup) {
    this(registry, onNodeGroup, XdsAckListener.NONE);
  }

  /** As above; {@code acks} hears every NACK and ACK (e.g. to write them back to the culprit). */
  public SyncTracker(MeterRegistry registry, Consumer<String> onNodeGroup, XdsAckListener acks) {
    this.registry = registry;
    this.onNodeGroup = onNodeGroup;
    this.acks = acks;
  }

  private static final class StreamState {
    volatile String nodeId = "";
    volatile String cluster = "";
    volatile String protocol = SOTW;
    final Map<String, TypeState> types = new ConcurrentHashMap<>();
  }

  private static final class TypeState {
    final Map<String, String> versionByNonce =
        new LinkedHashMap<>() {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > NONCES_KEPT;
          }
        };
    /** Resource names each remembered response answered (the request's names; empty: wildcard). */
    final Map<String, List<String>> namesByNonce =
        new LinkedHashMap<>() {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, List<String>> eldest) {
            return size() > NONCES_KEPT;
          }
        };
    String sentVersion = "";
    String lastNonce = "";
    /** The names of the last request of this type on the stream (a subscription, whatever it answered). */
    Set<String> subscribed = Set.of();
    /** Resource names of the request the latest response answered (not a copy). */
    List<String> lastRequestedNames = List.of();
    /** The response Envoy NACKed last on this stream, until it ACKs something. */
    RejectedResponse rejected;
    String ackedVersion = "";
    String nackedVersion;
    String nackError;
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    rejectedByCurrentRequest.remove();
    subscribedByCurrentRequest.remove();
    StreamState stream = streams.computeIfAbsent(streamId, id -> new StreamState());
    if (request.hasNode()) {
      stream.nodeId = request.getNode().getId();
      stream.cluster = request.getNode().getCluster();
      onNodeGroup.accept(stream.cluster);
    }
    TypeState type = stream.types.computeIfAbsent(request.getTypeUrl(), t -> new TypeState());
    synchronized (type) {
      Set<String> names = Set.copyOf(request.getResourceNamesList());
      Set<String> added = new HashSet<>(names);
      added.removeAll(type.subscribed);
      type.subscribed = names;
      subscribedByCurrentRequest.set(added);
    }
    if (request.getResponseNonce().isEmpty()) {
      return;
    }
    synchronized (type) {
      String answered = type.versionByNonce.get(request.getResponseNonce());
      type.ackedVersion = request.getVersionInfo();
      if (request.hasErrorDetail()) {
        type.nackedVersion = answered;
        if (answered != null) {
          type.rejected = new RejectedResponse(answered,
              request.getResponseNonce().equals(type.lastNonce) ? type.lastRequestedNames : List.of());
        }
        type.nackError = request.getErrorDetail().getMessage();
        nack(stream, request.getTypeUrl(), answered, request.getErrorDetail().getMessage());
      } else if (answered != null && answered.equals(request.getVersionInfo())) {
        type.nackedVersion = null;
        type.nackError = null;
        type.rejected = null;
        acks.onAck(stream.nodeId, request.getTypeUrl(), answered,
            type.namesByNonce.getOrDefault(request.getResponseNonce(), List.of()));
      }
      // The NACK itself, or a later request still on the rejected response's nonce without ACKing
      // it. The version alone cannot tell: a type's version covers all of its resources, so a
      // rejected EDS/RDS response may carry the very version Envoy runs, for more resource names.
      if (type.rejected != null && type.rejected.version().equals(answered)
          && (request.hasErrorDetail() || !answered.equals(request.getVersionInfo()))) {
        rejectedByCurrentRequest.set(type.rejected);
      }
    }
  }

  /**
   * For {@link NackHoldingConfigWatcher}: the rejected response the request on this thread answers
   * (its NACK, or a later request on its nonce that does not ACK it), until Envoy ACKs a response.
   */
  public Optional<RejectedResponse> rejectedResponseOfCurrentRequest() {
    return Optional.ofNullable(rejectedByCurrentRequest.get());
  }

  /**
   * For {@link ResubscriptionConfigWatcher}: the resource names the state-of-the-world request on
   * this thread subscribes to that the previous request of its type on its stream did not (all of
   * them on a type's first request); empty for a request no callback saw.
   */
  public Set<String> newlySubscribedOfCurrentRequest() {
    Set<String> added = subscribedByCurrentRequest.get();
    return added == null ? Set.of() : added;
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    StreamState stream = streams.computeIfAbsent(streamId, id -> new StreamState());
    stream.protocol = DELTA;
    if (request.hasNode()) {
      stream.nodeId = request.getNode().getId();
      stream.cluster = request.getNode().getCluster();
      onNodeGroup.accept(stream.cluster);
    }
    if (request.getResponseNonce().isEmpty()) {
      return;
    }
    TypeState type = stream.types.computeIfAbsent(request.getTypeUrl(), t -> new TypeState());
    synchronized (type) {
      String answered = type.versionByNonce.get(request.getResponseNonce());
      if (request.hasErrorDetail()) {
        type.nackedVersion = answered;
        type.nackError = request.getErrorDetail().getMessage();
        nack(stream, request.getTypeUrl(), answered, request.getErrorDetail().getMessage());
      } else if (answered != null) {
        type.ackedVersion = answered;
        type.nackedVersion = null;
        type.nackError = null;
        List<String> names = type.namesByNonce.getOrDefault(request.getResponseNonce(), List.of());
        // Empty names mean "every resource" to the listener; a delta response that carried none
        // (only removals, or only a new version) confirms nothing about any one resource.
        if (names.isEmpty()) {
          acks.onAck(stream.nodeId, request.getTypeUrl(), answered);
        } else {
          acks.onAck(stream.nodeId, request.getTypeUrl(), answered, names);
        }
      }
    }
  }

  @Override
  public void onV3StreamDeltaResponse(long streamId, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
    count(DELTA, response.getTypeUrl(), response.getResourcesCount(), response.getSerializedSize());
    StreamState stream = streams.get(streamId);
    if (stream == null) {
      return;
    }
    TypeState type = stream.types.computeIfAbsent(response.getTypeUrl(), t -> new TypeState());
    synchronized (type) {
      List<String> names = new ArrayList<>(response.getResourcesCount());
      response.getResourcesList().forEach(r -> names.add(r.getName()));
      type.versionByNonce.put(response.getNonce(), response.getSystemVersionInfo());
      type.namesByNonce.put(response.getNonce(), List.copyOf(names));
      type.sentVersion = response.getSystemVersionInfo();
      type.lastNonce = response.getNonce();
    }
  }

  private void nack(StreamState stream, String typeUrl, String answered, String error) {
    Counter.builder("bdk.xds.nacks").description("Responses Envoy rejected")
        .tag("type", shortType(typeUrl)).register(registry).increment();
    log.warn("event=xds_nack node={} protocol={} type={} version={} error=\"{}\"", stream.nodeId, stream.protocol,
        shortType(typeUrl), answered, error.replace('"', '\''));
    acks.onNack(stream.nodeId, typeUrl, answered, error);
  }

  /** One response sent: counted per protocol and type (resources and bytes). */
  private void count(String protocol, String typeUrl, int resources, int bytes) {
    ResponseMeters meters = responseMeters.computeIfAbsent(protocol + " " + typeUrl, key -> new ResponseMeters(
        Counter.builder("bdk.xds.responses").description("xDS responses sent")
            .tag("protocol", protocol).tag("type", shortType(typeUrl)).register(registry),
        Counter.builder("bdk.xds.resources.sent").description("Resources carried by xDS responses")
            .tag("protocol", protocol).tag("type", shortType(typeUrl)).register(registry),
        Counter.builder("bdk.xds.response.bytes").description("Serialized size of xDS responses").baseUnit("bytes")
            .tag("protocol", protocol).tag("type", shortType(typeUrl)).register(registry)));
    meters.responses().increment();
    meters.resources().increment(resources);
    meters.bytes().increment(bytes);
  }

  private record ResponseMeters(Counter responses, Counter resources, Counter bytes) {}

  @Override
  public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
    count(SOTW, response.getTypeUrl(), response.getResourcesCount(), response.getSerializedSize());
    // A response can race the stream's close: never bring a closed stream's state back to life.
    StreamState stream = streams.get(streamId);
    if (stream == null) {
      return;
    }
    TypeState type = stream.types.computeIfAbsent(response.getTypeUrl(), t -> new TypeState());
    synchronized (type) {
      type.versionByNonce.put(response.getNonce(), response.getVersionInfo());
      type.sentVersion = response.getVersionInfo();
      type.lastNonce = response.getNonce();
      type.lastRequestedNames = request == null ? List.of() : request.getResourceNamesList();
      type.namesByNonce.put(response.getNonce(), type.lastRequestedNames);
    }
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    streams.remove(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    streams.remove(streamId);
  }

  /** Rows for every connected Envoy; {@code currentVersion} gives the snapshot's version per type URL. */
  public List<NodeSync> report(Function<String, String> currentVersion) {
    List<NodeSync> nodes = new ArrayList<>();
    streams.forEach(
        (id, stream) -> {
          List<TypeSync> types = new ArrayList<>();
          new TreeMap<>(stream.types).forEach((url, t) -> {
            synchronized (t) {
              if (t.sentVersion.isEmpty() && t.ackedVersion.isEmpty() && t.nackedVersion == null) {
                // Only asked for on this stream, nothing sent or acked yet (e.g. state of the world
                // after a reconnect: Envoy already runs the current version, so no response is due)
                return;
              }
              String current = currentVersion.apply(url);
              Status status;
              if (t.nackedVersion != null && t.nackedVersion.equals(t.sentVersion)) {
                status = Status.NACKED;
              } else if (t.ackedVersion.equals(t.sentVersion) && (current == null || current.equals(t.sentVersion))) {
                status = Status.SYNCED;
              } else {
                status = Status.STALE;
              }
              types.add(new TypeSync(shortType(url), current, t.sentVersion, t.ackedVersion, status, t.nackError));
            }
          });
          nodes.add(new NodeSync(stream.nodeId, stream.cluster, id, stream.protocol, types));
        });
    nodes.sort(Comparator.comparing(NodeSync::node).thenComparing(NodeSync::stream));
    return nodes;
  }

  static String shortType(String typeUrl) {
    int slash = typeUrl.lastIndexOf('.');
    return slash < 0 ? typeUrl : typeUrl.substring(slash + 1);
  }
}
