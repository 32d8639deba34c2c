package io.voyager.bdk.xds.model;

import java.util.List;
import java.util.Map;

/**
 * Everything the gateway's config is computed from: settings, the ExternalBookDefinitions and the
 * EndpointSlices of Services by Service. Immutable.
 */
public record GatewayInput(
    GatewaySettings settings, List<BookSource> books, Map<ServiceKey, List<EndpointSliceView>> slices) {
  public GatewayInput {
    books = List.copyOf(books);
    slices = Map.copyOf(slices);
  }

  public List<EndpointSliceView> slicesOf(ServiceKey service) {
    return slices.getOrDefault(service, List.of());
  }
}
