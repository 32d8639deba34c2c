package io.voyager.bdk.local;

import java.nio.file.Path;

/** How end-to-end tests build a stack: free loopback ports, a run directory of their own, this project. */
final class TestStacks {
  private TestStacks() {}

  /**
   * The route layout every stack of this run uses unless a test sets its own: system property
   * {@value #ROUTE_LAYOUT_PROPERTY} ({@code single}, the default, or {@code scoped}, which also puts
   * Envoy on delta xDS), so the whole real-Envoy suite can be run on either layout:
   * {@code mvn -pl local-stack test -Dbdk.test.route-layout=scoped}. A test that then pins
   * state-of-the-world fails to start its stack, saying so.
   */
  static final String ROUTE_LAYOUT_PROPERTY = "bdk.test.route-layout";

  /** A builder on ephemeral ports; {@code nodeId} names the test's Envoy in xds-server logs and /debug/sync. */
  static LocalStack.Builder ephemeral(Path runDir, String nodeId) {
    LocalStack.Builder builder = LocalStack.builder()
        .ports(StackPorts.ephemeral())
        .runDir(runDir)
        .projectRoot(ProjectRoot.get())
        .nodeId(nodeId);
    String layout = System.getProperty(ROUTE_LAYOUT_PROPERTY, "").trim();
    if (!layout.isEmpty()) {
      builder.routeLayout(io.voyager.bdk.xds.translate.RouteLayout.parse(layout));
    }
    return builder;
  }
}
