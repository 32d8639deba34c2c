package io.voyager.bdk.xds.watch;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EndpointSliceView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Kubernetes objects → the translator's immutable model. Pure. */
public final class KubeViews {
  private KubeViews() {}

  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  public static BookSource book(ExternalBookDefinition ebd) {
    return new BookSource(ebd.getMetadata().getNamespace(), ebd.getMetadata().getName(), ebd.getSpec());
  }

  /** Null when the slice names no Service (no {@value #SERVICE_NAME_LABEL} label). */
  public static EndpointSliceView slice(EndpointSlice slice) {
    Map<String, String> labels = slice.getMetadata().getLabels();
    String service = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
    if (service == null || service.isBlank()) {
      return null;
    }
    List<EndpointSliceView.Port> ports = new ArrayList<>();
    if (slice.getPorts() != null) {
      slice.getPorts().forEach(p -> {
        if (p.getPort() != null) {
          ports.add(new EndpointSliceView.Port(p.getName(), p.getPort()));
        }
      });
    }
    List<EndpointSliceView.Endpoint> endpoints = new ArrayList<>();
    if (slice.getEndpoints() != null) {
      slice.getEndpoints().forEach(e -> {
        if (e.getAddresses() != null && !e.getAddresses().isEmpty()) {
          EndpointConditions c = e.getConditions();
          boolean ready = c == null || c.getReady() == null || c.getReady();
          endpoints.add(new EndpointSliceView.Endpoint(e.getAddresses().get(0), ready));
        }
      });
    }
    return new EndpointSliceView(slice.getMetadata().getNamespace(), slice.getMetadata().getName(), service, ports, endpoints);
  }
}
