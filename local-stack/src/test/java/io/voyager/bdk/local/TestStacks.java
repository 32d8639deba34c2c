package io.voyager.bdk.local;

import io.voyager.bdk.xds.translate.RouteLayout;
import java.nio.file.Path;

/** How end-to-end tests build a stack: free loopback ports, a run directory of their own, this project. */
final class TestStacks {
  private TestStacks() {}

  /**
   * The route layout every stack of this run uses unless a test sets its own: system property
   * {@value #ROUTE_LAYOUT_PROPERTY}, unset for the stack's default (scoped routes, Envoy on delta
   * xDS), {@code single} for one route configuration with Envoy on state-of-the-world (the layout
   * before scoped became the default), so the whole real-Envoy suite can be run on either:
   * {@code mvn -pl local-stack test -Dbdk.test.route-layout=single}. A test that pins its own
   * protocol or layout after this keeps it.
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
      RouteLayout parsed = RouteLayout.parse(layout);
      builder.routeLayout(parsed);
      if (parsed == RouteLayout.SINGLE) {
        builder.adsApiType(AdsApiType.GRPC);
      }
    }
    return builder;
  }

  /**
   * A gateway-only stack (no controller, no local runtime) on scoped routes over delta xDS, as the
   * on-demand tests need, with Envoy's per-client webhook limit raised to {@code clientRate} a
   * second and as burst: every test sender shares 127.0.0.1, so that bucket must not refuse them.
   */
  static LocalStack.Builder scopedGateway(Path runDir, String nodeId, int clientRate) {
    return ephemeral(runDir, nodeId)
        .routeLayout(RouteLayout.SCOPED)
        .adsApiType(AdsApiType.DELTA_GRPC)
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .serviceArgs(Component.XDS, "--webhook-client-rate", String.valueOf(clientRate),
            "--webhook-client-burst", String.valueOf(clientRate));
  }
}
