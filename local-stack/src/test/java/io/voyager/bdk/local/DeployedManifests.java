package io.voyager.bdk.local;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** The repository's manifests server-side applied to a real kube-apiserver, as an operator's install would. */
final class DeployedManifests {
  static final Set<Class<? extends HasMetadata>> RBAC_KINDS =
      Set.of(ServiceAccount.class, Role.class, RoleBinding.class, ClusterRole.class, ClusterRoleBinding.class);

  private DeployedManifests() {}

  /**
   * Applies every CRD of {@code k8s/crds}, the {@code bdk} namespace and the RBAC objects (only
   * those) of each of {@code services}' {@code k8s/deploy/<service>.yaml}; returns once the CRDs
   * are Established.
   */
  static void crdsNamespaceAndRbac(KubernetesClient admin, Path root, List<String> services, Duration wait)
      throws IOException {
    List<String> crds = new ArrayList<>();
    try (Stream<Path> files = Files.list(root.resolve("k8s/crds"))) {
      for (Path crd : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        apply(admin, crd, item -> true).forEach(c -> crds.add(c.getMetadata().getName()));
      }
    }
    apply(admin, root.resolve("k8s/deploy/namespace.yaml"), item -> item instanceof Namespace);
    for (String service : services) {
      apply(admin, root.resolve("k8s/deploy/" + service + ".yaml"), item -> RBAC_KINDS.contains(item.getClass()));
    }
    await().atMost(wait).until(() -> crds.stream().allMatch(n -> established(
        admin.apiextensions().v1().customResourceDefinitions().withName(n).get())));
  }

  /** Server-side applies the items of {@code file} that {@code which} selects; returns them. */
  static List<HasMetadata> apply(KubernetesClient admin, Path file, Predicate<HasMetadata> which) throws IOException {
    List<HasMetadata> applied = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      for (HasMetadata item : admin.load(in).items()) {
        if (which.test(item)) {
          applied.add(admin.resource(item).fieldManager("bdk-tests").forceConflicts().serverSideApply());
        }
      }
    }
    return applied;
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
