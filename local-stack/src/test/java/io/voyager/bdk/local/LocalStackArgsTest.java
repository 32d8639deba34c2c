package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LocalStackArgsTest {
  static final StackPorts PORTS = StackPorts.defaults();
  static final Path KUBECONFIG = Path.of("/tmp/kubeconfig");

  @Test
  void embeddedXdsServerFindsTheLibraryAndExtAuthzThroughEndpointSlices() {
    assertThat(LocalStack.serviceArgs(Component.XDS, PORTS, KUBECONFIG))
        .doesNotContain("--library-endpoint", "--ext-authz-endpoint");
  }

  @Test
  void withAnExternalClusterTheXdsServerGetsFixedEndpointsAtTheLocalServices() {
    assertThat(LocalStack.serviceArgs(Component.XDS, PORTS, KUBECONFIG, Set.of(Component.LIBRARY, Component.EXT_AUTHZ)))
        .containsSubsequence("--library-endpoint", "127.0.0.1:" + PORTS.libraryGrpc())
        .containsSubsequence("--ext-authz-endpoint", "127.0.0.1:" + PORTS.extAuthzGrpc());
    assertThat(LocalStack.serviceArgs(Component.XDS, PORTS, KUBECONFIG, Set.of(Component.EXT_AUTHZ)))
        .as("a library left out of the stack is found through the cluster's slices")
        .doesNotContain("--library-endpoint")
        .contains("--ext-authz-endpoint");
    assertThat(LocalStack.serviceArgs(Component.LIBRARY, PORTS, KUBECONFIG, Set.of(Component.LIBRARY)))
        .doesNotContain("--library-endpoint");
  }

  @Test
  void theLocalRuntimeNeverRunsAgainstAnExternalCluster() {
    EnumSet<Component> all = EnumSet.allOf(Component.class);
    assertThat(LocalStack.Builder.effectiveComponents(all, true)).doesNotContain(Component.LOCAL_RUNTIME)
        .contains(Component.LIBRARY, Component.EXT_AUTHZ, Component.XDS, Component.CONTROLLER);
    assertThat(LocalStack.Builder.effectiveComponents(all, false)).isEqualTo(all);
    assertThat(LocalStack.Builder.effectiveComponents(EnumSet.noneOf(Component.class), true)).isEmpty();
  }
}
