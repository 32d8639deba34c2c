package io.voyager.bdk.xds.ir;

import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.PortSelector;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/** Ready endpoints of a Service port from its EndpointSlices. Pure. */
public final class EndpointResolver {
  private EndpointResolver() {}

  /** Sorted, de-duplicated ready addresses with the slice's target port for {@code port}. */
  public static List<HostPort> resolve(PortSelector port, List<EndpointSliceView> slices) {
    TreeSet<HostPort> result = new TreeSet<>();
    for (EndpointSliceView slice : slices) {
      Optional<Integer> target = targetPort(port, slice);
      if (target.isEmpty()) {
        continue;
      }
      for (EndpointSliceView.Endpoint endpoint : slice.endpoints()) {
        if (endpoint.ready() && endpoint.address() != null && !endpoint.address().isBlank()) {
          result.add(new HostPort(endpoint.address(), target.get()));
        }
      }
    }
    return List.copyOf(result);
  }

  static Optional<Integer> targetPort(PortSelector selector, EndpointSliceView slice) {
    if (selector.name() != null) {
      return slice.ports().stream()
          .filter(p -> selector.name().equals(p.name()))
          .map(EndpointSliceView.Port::port)
          .findFirst();
    }
    Optional<Integer> exact =
        slice.ports().stream().map(EndpointSliceView.Port::port).filter(selector.number()::equals).findFirst();
    if (exact.isPresent()) {
      return exact;
    }
    return slice.ports().size() == 1 ? Optional.of(slice.ports().get(0).port()) : Optional.empty();
  }
}
