package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
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

  @Test
  void theXdsServerAndTheLibraryGetTheSameJwtFlagsAndNoOtherServiceDoes() {
    for (Component component : List.of(Component.XDS, Component.LIBRARY)) {
      assertThat(LocalStack.serviceArgs(component, PORTS, KUBECONFIG))
          .containsSubsequence("--jwt-issuer", "bdk-local", "--jwt-audience", "bdk-library",
              "--jwks-configmap", "bdk/bdk-jwks:jwks.json");
    }
    for (Component component : List.of(Component.EXT_AUTHZ, Component.CONTROLLER, Component.LOCAL_RUNTIME)) {
      assertThat(LocalStack.serviceArgs(component, PORTS, KUBECONFIG)).noneMatch(a -> a.startsWith("--jwt") || a.startsWith("--jwks"));
    }
    assertThat(LocalStack.serviceArgs(Component.XDS, PORTS, KUBECONFIG, Set.of(), List.of("--jwks-uri", "http://127.0.0.1:9/")))
        .as("a test's own JWT flags replace the local issuer's")
        .contains("--jwks-uri").doesNotContain("--jwks-configmap");
  }
}
