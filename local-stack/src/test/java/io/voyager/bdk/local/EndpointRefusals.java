package io.voyager.bdk.local;

import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.voyager.bdk.xds.Main;
import io.voyager.bdk.xds.translate.XdsResources;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * The end-to-end tests' fault: through the xds-server's output seam ({@code Main.start(outputFilter,
 * args)}), the load assignments of the clusters named here get a port a real Envoy refuses, so it
 * NACKs the response. The rewrite happens before content versioning, so versions stay
 * content-derived and the NACK machinery is exactly production's.
 */
final class EndpointRefusals implements UnaryOperator<XdsResources> {
  /** Envoy's port_value is at most 65535; Kubernetes refuses this too, the mock API stores it. */
  static final int PORT_ENVOY_REFUSES = 70000;

  private final Set<String> clusters = ConcurrentHashMap.newKeySet();

  /** From the next snapshot on, {@code cluster}'s endpoints carry {@link #PORT_ENVOY_REFUSES}. */
  void refuse(String cluster) {
    clusters.add(cluster);
  }

  /** From the next snapshot on, {@code cluster}'s endpoints are left as translated. */
  void allow(String cluster) {
    clusters.remove(cluster);
  }

  /** Starts the xds-server with this fault in its output. */
  ServiceStarter xdsStarter() {
    return args -> Main.start(this, args);
  }

  @Override
  public XdsResources apply(XdsResources resources) {
    if (clusters.isEmpty()) {
      return resources;
    }
    List<ClusterLoadAssignment> endpoints = resources.endpoints().stream()
        .map(cla -> clusters.contains(cla.getClusterName()) ? withPort(cla, PORT_ENVOY_REFUSES) : cla)
        .toList();
    return new XdsResources(resources.listeners(), resources.routes(), resources.clusters(), endpoints, resources.secrets(),
        resources.scopedRoutes(), resources.clusterDelivery());
  }

  private static ClusterLoadAssignment withPort(ClusterLoadAssignment cla, int port) {
    ClusterLoadAssignment.Builder builder = cla.toBuilder();
    builder.getEndpointsBuilderList().forEach(locality -> locality.getLbEndpointsBuilderList().forEach(lb ->
        lb.getEndpointBuilder().getAddressBuilder().getSocketAddressBuilder().setPortValue(port)));
    return builder.build();
  }
}
