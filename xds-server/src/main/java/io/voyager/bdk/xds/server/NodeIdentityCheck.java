package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.support.tls.PeerIdentity;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts an ADS stream only from the Envoy its client certificate names. The mapping: an Envoy
 * whose {@code node.cluster} is {@code C} must present a certificate (from the internal CA; the
 * TLS handshake already checked that) with the subject alternative name URI
 * {@value #IDENTITY_PREFIX}{@code C}. A stream whose first request claims another cluster, names
 * no node, or that arrives without a verified certificate is closed with
 * {@code PERMISSION_DENIED} before any other callback sees the request — so the sync tracker and
 * the NACK write-back (and its quarantine) only ever hear streams that passed. A later request
 * that names a different cluster on the same stream is refused the same way.
 *
 * <p>Registered first among the discovery server's callbacks; with a plaintext ADS server
 * ({@code --plaintext}, local tools) it is not registered at all.
 */
public final class NodeIdentityCheck implements DiscoveryServerCallbacks {
  private static final Logger log = LoggerFactory.getLogger(NodeIdentityCheck.class);

  public static final String IDENTITY_PREFIX = "spiffe://bdk/envoy/";

  private final Supplier<PeerIdentity> peer;
  private final Map<Long, String> verifiedClusters = new ConcurrentHashMap<>();
  private final MeterRegistry registry;

  /** Reads the caller's identity from the gRPC context ({@link PeerIdentity#current()}). */
  public NodeIdentityCheck(MeterRegistry registry) {
    this(registry, PeerIdentity::current);
  }

  NodeIdentityCheck(MeterRegistry registry, Supplier<PeerIdentity> peer) {
    this.registry = registry;
    this.peer = peer;
  }

  /** The URI SAN an Envoy of {@code nodeCluster} must present. */
  public static String identityOf(String nodeCluster) {
    return IDENTITY_PREFIX + nodeCluster;
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) throws RequestException {
    check(streamId, request.hasNode() ? request.getNode() : null);
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) throws RequestException {
    check(streamId, request.hasNode() ? request.getNode() : null);
  }

  private void check(long streamId, Node node) throws RequestException {
    String verified = verifiedClusters.get(streamId);
    if (node == null) {
      if (verified != null) {
        return; // Envoy names its node on a stream's first request only
      }
      throw refuse(streamId, "", "the stream's first request names no node");
    }
    String cluster = node.getCluster();
    if (verified != null) {
      if (verified.equals(cluster)) {
        return;
      }
      throw refuse(streamId, cluster, "the stream was verified for node.cluster '" + verified + "'");
    }
    PeerIdentity identity = peer.get();
    if (identity == null) {
      throw refuse(streamId, cluster, "no verified client certificate");
    }
    if (cluster.isEmpty() || !identity.uris().contains(identityOf(cluster))) {
      throw refuse(streamId, cluster, "the client certificate (URI SANs " + identity.uris() + ") is not "
          + identityOf(cluster.isEmpty() ? "<node.cluster>" : cluster));
    }
    verifiedClusters.put(streamId, cluster);
    log.info("event=ads_stream_verified stream={} node={} cluster={}", streamId, node.getId(), cluster);
  }

  private RequestException refuse(long streamId, String claimed, String why) {
    Counter.builder("bdk.xds.ads.refused").description("ADS streams refused: the client certificate does not name the claimed Envoy node")
        .register(registry).increment();
    log.warn("event=ads_stream_refused stream={} claimed_cluster=\"{}\" reason=\"{}\"", streamId,
        claimed.replace('"', '\''), why.replace('"', '\''));
    return new RequestException(Status.PERMISSION_DENIED.withDescription(
        "ADS refused: " + why + "; an Envoy of node.cluster C must present the URI SAN " + IDENTITY_PREFIX + "C"));
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    verifiedClusters.remove(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    verifiedClusters.remove(streamId);
  }
}
