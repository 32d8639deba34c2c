package io.voyager.bdk.install;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One real kube-apiserver + etcd (io.fabric8:kube-api-test, binaries built by
 * k8s/test-apiserver/build.sh, never downloaded) for the whole run, with the CRDs of k8s/crds
 * applied the way docs/install.md says (kubectl apply --server-side, then wait for Established). A test
 * class takes a {@link Cluster} parameter in its {@code @BeforeAll}.
 */
final class RealApiServer implements ParameterResolver {
  private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(RealApiServer.class);

  /** The running server: its kubeconfig (as a file, for kubectl and containers) and an admin client. */
  record Cluster(KubeAPIServer server, Path kubeconfig, String kubeconfigYaml) implements AutoCloseable {
    KubernetesClient client() {
      return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml)).build();
    }

    /** kubectl with this cluster's kubeconfig. */
    Command kubectl(Duration timeout, String stdin, Object... args) {
      return Command.run(timeout, Command.args(Project.kubectl(), "--kubeconfig", kubeconfig, List.of(args)), stdin);
    }

    @Override
    public void close() throws IOException {
      server.stop();
      Files.deleteIfExists(kubeconfig);
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Cluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getRoot().getStore(STORE).getOrComputeIfAbsent(Cluster.class, k -> start(), Cluster.class);
  }

  private static Cluster start() {
    KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withTestDir(Project.kubeApiTestDir().toString())
        .withApiServerVersion(Project.kubeVersion())
        .withOfflineMode(true)
        .withStartupTimeout(180_000)
        .build());
    server.start();
    try {
      String yaml = server.getKubeConfigYaml();
      // Readable by the containers' non-root users too (ImagesRunTest mounts it); a test cluster's admin.
      Path file = Files.createTempFile("install-tests", ".kubeconfig",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
      Files.writeString(file, yaml);
      Cluster cluster = new Cluster(server, file, yaml);
      Duration minute = Duration.ofMinutes(1);
      cluster.kubectl(minute, null, "apply", "--server-side", "-f", Project.root().resolve("k8s/crds")).ok();
      cluster.kubectl(minute, null, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s").ok();
      return cluster;
    } catch (IOException e) {
      server.stop();
      throw new UncheckedIOException(e);
    } catch (RuntimeException | AssertionError e) {
      server.stop();
      throw e;
    }
  }
}
