package io.voyager.bdk.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeClientsTest {
  @Test
  void kubeconfigNamesTheClusterAndNamespace(@TempDir Path dir) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(
        kubeconfig,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: local
          cluster: {server: "http://127.0.0.1:16443"}
        contexts:
        - name: local
          context: {cluster: local, namespace: bdk, user: local}
        current-context: local
        users:
        - name: local
          user: {token: not-a-secret}
        """);
    try (KubernetesClient client = KubeClients.create(kubeconfig)) {
      assertThat(client.getMasterUrl().toString()).startsWith("http://127.0.0.1:16443");
      assertThat(client.getNamespace()).isEqualTo("bdk");
    }
  }

  @Test
  void missingKubeconfigIsAClearError(@TempDir Path dir) {
    Path missing = dir.resolve("nope");
    assertThatThrownBy(() -> KubeClients.create(missing))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(missing.toString());
  }
}
