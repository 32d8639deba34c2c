package io.voyager.bdk.xds.ir;

import io.voyager.bdk.xds.model.ServiceRef;
import java.util.List;

/** An upstream Service port, its cluster name, protocol and resolved ready endpoints. */
public record BackendIr(String clusterName, ServiceRef service, boolean http2, List<HostPort> endpoints) {
  public BackendIr {
    endpoints = List.copyOf(endpoints);
  }

  /** {@code k8s/<namespace>/<service>/<port name or number>}: one cluster per Service port. */
  public static String clusterName(ServiceRef service) {
    return "k8s/" + service.namespace() + "/" + service.name() + "/" + service.port();
  }
}
