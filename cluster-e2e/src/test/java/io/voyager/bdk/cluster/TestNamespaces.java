package io.voyager.bdk.cluster;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.Awaitility;

/**
 * Namespaces a test makes, each with a random suffix so that a second run on the same cluster
 * never meets the first one's leftovers; {@link #close()} deletes them and waits until they are
 * gone (call it from {@code @AfterEach}, so it runs when the test fails too).
 */
final class TestNamespaces implements AutoCloseable {
  /** The labels that make the API server's admission enforce the restricted Pod Security Standard. */
  static final Map<String, String> RESTRICTED = Map.of(
      "pod-security.kubernetes.io/enforce", "restricted",
      "pod-security.kubernetes.io/enforce-version", "latest");

  private final KubernetesClient client;
  private final List<String> created = new ArrayList<>();

  TestNamespaces(KubernetesClient client) {
    this.client = client;
  }

  /** Creates {@code e2e-<prefix>-<random>} with the given labels (plus {@code bdk.e2e/test=true}). */
  String create(String prefix, Map<String, String> labels) {
    String name = "e2e-" + prefix + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 24), 36);
    Map<String, String> all = new HashMap<>(labels);
    all.put("bdk.e2e/test", "true");
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
        .withLabels(all).endMetadata().build()).create();
    created.add(name);
    // Pods need the namespace's default ServiceAccount, which the controller manager adds.
    Awaitility.await("default service account in " + name).atMost(Duration.ofSeconds(60))
        .until(() -> client.serviceAccounts().inNamespace(name).withName("default").get() != null);
    return name;
  }

  @Override
  public void close() {
    for (String name : created) {
      client.namespaces().withName(name).delete();
    }
    for (String name : created) {
      Awaitility.await("namespace " + name + " deleted").atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> client.namespaces().withName(name).get() == null);
    }
    created.clear();
  }
}
