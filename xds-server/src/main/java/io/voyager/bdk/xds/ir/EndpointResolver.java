package io.voyager.bdk.xds.ir;

import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.IpLiterals;
import io.voyager.bdk.xds.model.PortNumbers;
import io.voyager.bdk.xds.model.PortSelector;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Ready endpoints of a Service port from its EndpointSlices. Pure. Only IP literals with a target
 * port in 1–65535 become endpoints: Envoy refuses anything else in an EDS cluster ("malformed IP
 * address", a port_value constraint), and under state-of-the-world EDS that NACK would hold back
 * every other cluster's endpoint updates too. A real API server refuses such a slice; the fabric8
 * mock server or a buggy writer stores it. A slice whose target port is out of range contributes no
 * endpoints; other slices of the same Service still do.
 */
public final class EndpointResolver {
  private EndpointResolver() {}

  /** Sorted, de-duplicated ready IP addresses with the slice's (valid) target port for {@code port}. */
  public static List<HostPort> resolve(PortSelector port, List<EndpointSliceView> slices) {
    TreeSet<HostPort> result = new TreeSet<>();
    for (EndpointSliceView slice : slices) {
      Optional<Integer> target = targetPort(port, slice);
      if (target.isEmpty()) {
        continue;
      }
      for (EndpointSliceView.Endpoint endpoint : slice.endpoints()) {
        if (endpoint.ready() && IpLiterals.isIpLiteral(endpoint.address())) {
          result.add(new HostPort(endpoint.address(), target.get()));
        }
      }
    }
    return List.copyOf(result);
  }

  /**
   * The slice's target port for {@code selector}, if it is a port number. An out-of-range port is
   * dropped after matching, never before: it must not make another port of the slice match instead
   * (e.g. by leaving a single port for the "only port" rule).
   */
  static Optional<Integer> targetPort(PortSelector selector, EndpointSliceView slice) {
    return matchingPort(selector, slice).filter(PortNumbers::isPort);
  }

  private static Optional<Integer> matchingPort(PortSelector selector, EndpointSliceView slice) {
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
