package io.voyager.bdk.xds.server;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.StreamObserver;

/**
 * The ADS gRPC service on the xds-server's one port: state-of-the-world streams
 * ({@code StreamAggregatedResources}, Envoy's {@code api_type: GRPC}) go to java-control-plane's
 * server, delta streams ({@code DeltaAggregatedResources}, {@code api_type: DELTA_GRPC}) to
 * {@link DeltaAds}. Envoy's bootstrap chooses; both see the same snapshots.
 */
public final class AggregatedDiscoveryService extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
  private final AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase stateOfTheWorld;
  private final DeltaAds delta;

  public AggregatedDiscoveryService(AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase stateOfTheWorld, DeltaAds delta) {
    this.stateOfTheWorld = stateOfTheWorld;
    this.delta = delta;
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamAggregatedResources(StreamObserver<DiscoveryResponse> responses) {
    return stateOfTheWorld.streamAggregatedResources(responses);
  }

  @Override
  public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(StreamObserver<DeltaDiscoveryResponse> responses) {
    return delta.open(responses);
  }
}
