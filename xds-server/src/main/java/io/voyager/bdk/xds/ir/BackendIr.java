package io.voyager.bdk.xds.ir;

import io.voyager.bdk.xds.model.ServiceRef;
import java.util.List;

/**
 * An upstream Service port, its cluster name, protocol, resolved ready endpoints and, for our own
 * services (ext-authz, the library), the mutual TLS Envoy speaks to it (null: plaintext — books).
 */
public record BackendIr(String clusterName, ServiceRef service, boolean http2, List<HostPort> endpoints, UpstreamTlsIr tls) {
  public BackendIr {
    endpoints = List.copyOf(endpoints);
  }

  /** A plaintext backend (books; our services when upstream TLS is off). */
  public BackendIr(String clusterName, ServiceRef service, boolean http2, List<HostPort> endpoints) {
    this(clusterName, service, http2, endpoints, null);
  }

  public BackendIr withTls(UpstreamTlsIr tls) {
    return new BackendIr(clusterName, service, http2, endpoints, tls);
  }

  /** {@code k8s/<namespace>/<service>/<port name or number>}: one cluster per Service port. */
  public static String clusterName(ServiceRef service) {
    return "k8s/" + service.namespace() + "/" + service.name() + "/" + service.port();
  }
}
