package io.voyager.bdk.support;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --kubeconfig} flag every service has (a picocli mixin). */
public final class KubeconfigOption {
  @Option(
      names = "--kubeconfig",
      description = "Kubeconfig file (default: $KUBECONFIG, ~/.kube/config or in-cluster).")
  Path kubeconfig;

  /** A client for the cluster the flag names, or fabric8's auto-configuration without it. */
  public KubernetesClient client() {
    return KubeClients.create(kubeconfig);
  }
}
