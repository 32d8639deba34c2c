package io.voyager.bdk.localruntime;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.List;
import java.util.Map;
import java.util.Arrays;

/**
 * The EndpointSlices the local runtime publishes, as Kubernetes' endpoint-slice controller would:
 * labelled {@code kubernetes.io/service-name}, one ready endpoint at {@code 127.0.0.1}, every
 * Service port (same name and protocol) pointing at the backend's port. Pure.
 */
final class EndpointSlices {
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
  static final String MANAGED_BY = "local-runtime.bdk.voyager.io";
  /** Which Deployment's backend a slice points at. */
  static final String BACKEND_LABEL = "bdk.voyager.io/local-backend";
  static final String LOOPBACK = "127.0.0.1";

  private EndpointSlices() {}

  /** The slice's name: Service then Deployment, both DNS labels, so the result is a valid name. */
  static String name(String service, String deployment) {
    return service + "-" + deployment;
  }

  static EndpointSlice forBackend(Service service, String deployment, int backendPort) {
    List<EndpointPort> ports =
        service.getSpec().getPorts().stream()
            .map(port -> toEndpointPort(port, backendPort))
            .toList();
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withNamespace(service.getMetadata().getNamespace())
        .withName(name(service.getMetadata().getName(), deployment))
        .withLabels(
            Map.of(
                SERVICE_NAME_LABEL, service.getMetadata().getName(),
                MANAGED_BY_LABEL, MANAGED_BY,
                BACKEND_LABEL, deployment))
        .endMetadata()
        .withAddressType("IPv4")
        .withEndpoints(
            new EndpointBuilder()
                .withAddresses(LOOPBACK)
                .withNewConditions()
                .withReady(true)
                .withServing(true)
                .withTerminating(false)
                .endConditions()
                .build())
        .withPorts(ports)
        .build();
  }

  /** True when {@code existing} already says what {@code desired} says (labels, endpoints, ports). */
  static boolean same(EndpointSlice existing, EndpointSlice desired) {
    return fingerprint(existing).equals(fingerprint(desired));
  }

  /** What the runtime decides about a slice: labels, address type, endpoints and ports. */
  static List<Object> fingerprint(EndpointSlice slice) {
    return Arrays.asList(
        slice.getMetadata().getLabels(), slice.getAddressType(), slice.getEndpoints(), slice.getPorts());
  }

  private static EndpointPort toEndpointPort(ServicePort port, int backendPort) {
    return new EndpointPortBuilder()
        .withName(port.getName())
        .withPort(backendPort)
        .withProtocol(port.getProtocol() == null ? "TCP" : port.getProtocol())
        .withAppProtocol(port.getAppProtocol())
        .build();
  }
}
