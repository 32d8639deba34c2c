package io.voyager.bdk.local;

import java.nio.file.Path;

/** How end-to-end tests build a stack: free loopback ports, a run directory of their own, this project. */
final class TestStacks {
  private TestStacks() {}

  /** A builder on ephemeral ports; {@code nodeId} names the test's Envoy in xds-server logs and /debug/sync. */
  static LocalStack.Builder ephemeral(Path runDir, String nodeId) {
    return LocalStack.builder()
        .ports(StackPorts.ephemeral())
        .runDir(runDir)
        .projectRoot(ProjectRoot.get())
        .nodeId(nodeId);
  }
}
