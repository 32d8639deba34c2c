package io.voyager.bdk.support;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds the fabric8 client every service uses to reach the Kubernetes API. */
public final class KubeClients {
  private KubeClients() {}

  /** A builder on the JDK HTTP client, whatever other HTTP client factories are on the classpath. */
  public static KubernetesClientBuilder builder() {
    return new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory());
  }

  /**
   * A client for the cluster named by {@code kubeconfig}, or, when it is null, fabric8's
   * auto-configuration: {@code $KUBECONFIG}, {@code ~/.kube/config}, then the in-cluster service
   * account.
   */
  public static KubernetesClient create(Path kubeconfig) {
    if (kubeconfig == null) {
      return builder().build();
    }
    try {
      Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
      return builder().withConfig(config).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read kubeconfig " + kubeconfig, e);
    }
  }
}
