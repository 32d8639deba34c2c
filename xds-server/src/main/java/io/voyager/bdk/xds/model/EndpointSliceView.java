package io.voyager.bdk.xds.model;

import java.util.List;

/**
 * The part of a discovery.k8s.io/v1 EndpointSlice the gateway uses: which Service it belongs to,
 * its ports and its endpoints' addresses with readiness.
 */
public record EndpointSliceView(
    String namespace, String name, String serviceName, List<Port> ports, List<Endpoint> endpoints) {

  public EndpointSliceView {
    ports = List.copyOf(ports);
    endpoints = List.copyOf(endpoints);
  }

  public ServiceKey service() {
    return new ServiceKey(namespace, serviceName);
  }

  /** Ports that are not port numbers (1–65535): they route nowhere (see EndpointResolver). */
  public List<Port> invalidPorts() {
    return ports.stream().filter(p -> !PortNumbers.isPort(p.port())).toList();
  }

  /** A slice port: the Service port's name (may be null for an unnamed single port) and the target port. */
  public record Port(String name, int port) {}

  /**
   * An endpoint's first address and its {@code conditions.ready}; Kubernetes says a missing ready
   * condition means "unknown, treat as ready", so {@code ready} is false only when it says false.
   */
  public record Endpoint(String address, boolean ready) {}
}
