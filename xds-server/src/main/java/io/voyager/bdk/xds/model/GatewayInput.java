package io.voyager.bdk.xds.model;

import java.util.List;
import java.util.Map;

/**
 * Everything the gateway's config is computed from: settings, the ExternalBookDefinitions, the
 * EndpointSlices of Services by Service, and the books held out of the gateway (book key
 * {@code namespace/name} → why; see the xds-server's quarantine). A held-out book contributes no
 * route, cluster or endpoints, exactly like a book the translator refuses. Immutable.
 */
public record GatewayInput(
    GatewaySettings settings,
    List<BookSource> books,
    Map<ServiceKey, List<EndpointSliceView>> slices,
    Map<String, String> heldOut) {
  public GatewayInput {
    books = List.copyOf(books);
    slices = Map.copyOf(slices);
    heldOut = Map.copyOf(heldOut);
  }

  /** No book held out. */
  public GatewayInput(GatewaySettings settings, List<BookSource> books, Map<ServiceKey, List<EndpointSliceView>> slices) {
    this(settings, books, slices, Map.of());
  }

  public List<EndpointSliceView> slicesOf(ServiceKey service) {
    return slices.getOrDefault(service, List.of());
  }

  /** Why {@code book} is held out, or null when it is not. */
  public String heldOutReason(BookSource book) {
    return heldOut.isEmpty() ? null : heldOut.get(book.key());
  }
}
