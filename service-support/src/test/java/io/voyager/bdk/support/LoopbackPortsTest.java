package io.voyager.bdk.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoopbackPortsTest {
  private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

  @Test
  void portsAreDistinctAndBelowTheKernelsEphemeralRange() throws Exception {
    List<Integer> ports = LoopbackPorts.freePorts(16);

    assertThat(ports).hasSize(16).doesNotHaveDuplicates();
    if (Files.isReadable(RANGE)) {
      int ephemeralStart = Integer.parseInt(String.join(" ", Files.readAllLines(RANGE)).trim().split("\\s+")[0]);
      if (ephemeralStart > 20_000) {
        assertThat(ports).allSatisfy(port -> assertThat(port).isBetween(20_000, ephemeralStart - 1));
      }
    }
  }
}
