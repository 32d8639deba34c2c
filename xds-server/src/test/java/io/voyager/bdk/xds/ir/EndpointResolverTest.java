package io.voyager.bdk.xds.ir;

import static io.voyager.bdk.xds.Fixtures.ready;
import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.EndpointSliceView.Port;
import io.voyager.bdk.xds.model.PortSelector;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointResolverTest {
  static EndpointSliceView slice(String name, List<Port> ports, String... ips) {
    return new EndpointSliceView("customer-a", name, "acme", ports,
        Arrays.stream(ips).map(ip -> ready(ip)).toList());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 8080, 65535})
  void aTargetPortInRangeBecomesTheEndpointsPort(int port) {
    assertThat(EndpointResolver.resolve(PortSelector.named("http"), List.of(slice("s1", List.of(new Port("http", port)), "10.0.0.1"))))
        .containsExactly(new HostPort("10.0.0.1", port));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 65536, 70000, -1, Integer.MIN_VALUE, Integer.MAX_VALUE})
  void aTargetPortOutOfRangeGivesNoEndpointWhileTheServicesOtherSlicesStillDo(int bad) {
    List<EndpointSliceView> slices = List.of(
        slice("s1", List.of(new Port("http", bad)), "10.0.0.1", "10.0.0.2"),
        slice("s2", List.of(new Port("http", 9000)), "10.0.0.3"));
    assertThat(EndpointResolver.resolve(PortSelector.named("http"), slices)).containsExactly(new HostPort("10.0.0.3", 9000));
    assertThat(EndpointResolver.resolve(PortSelector.numbered(8080), slices))
        .as("by number, through the single-port rule").containsExactly(new HostPort("10.0.0.3", 9000));
  }

  @Test
  void anOutOfRangePortNeverMakesAnotherPortOfTheSliceMatchInstead() {
    // Two ports: 8080 (the selector's number) is absent, 70000 is invalid. Dropping 70000 before
    // matching would leave one port and the single-port rule would route to 9090 — the wrong port.
    EndpointSliceView twoPorts = slice("s1", List.of(new Port("http", 70000), new Port("metrics", 9090)), "10.0.0.1");
    assertThat(EndpointResolver.resolve(PortSelector.numbered(8080), List.of(twoPorts))).isEmpty();
    assertThat(EndpointResolver.resolve(PortSelector.named("http"), List.of(twoPorts))).isEmpty();
    assertThat(EndpointResolver.resolve(PortSelector.named("metrics"), List.of(twoPorts)))
        .as("the slice's valid port still serves its own selector").containsExactly(new HostPort("10.0.0.1", 9090));
  }

  @Test
  void aSliceReportsItsInvalidPorts() {
    EndpointSliceView mixed = slice("s1", List.of(new Port("http", 0), new Port("grpc", 50051), new Port(null, 65536)));
    assertThat(mixed.invalidPorts()).containsExactly(new Port("http", 0), new Port(null, 65536));
  }
}
