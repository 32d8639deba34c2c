package io.voyager.bdk.install;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealApiServer.class)
class DebugHoldTest {
  @Test
  void hold(RealApiServer.Cluster c) throws Exception {
    Path d = Files.createDirectories(Path.of("/tmp/dbg"));
    StringBuilder rbac = new StringBuilder();
    for (var item : Manifests.readDir(Project.root().resolve("k8s/deploy"))) {
      if (java.util.Set.of("Namespace","ServiceAccount","Role","RoleBinding","ClusterRole","ClusterRoleBinding").contains(item.getKind()))
        rbac.insert(0, "---\n" + io.fabric8.kubernetes.client.utils.Serialization.asYaml(item));
    }
    c.kubectl(Duration.ofMinutes(1), "---\n" + io.fabric8.kubernetes.client.utils.Serialization.asYaml(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName("bdk").endMetadata().build()), "apply", "--server-side", "-f", "-").ok();
    c.kubectl(Duration.ofMinutes(1), rbac.toString(), "apply", "--server-side", "-f", "-").ok();
    Files.writeString(d.resolve("admin.kubeconfig"), c.kubeconfigYaml());
    long end = System.currentTimeMillis() + 900_000;
    while (!Files.exists(d.resolve("stop")) && System.currentTimeMillis() < end) Thread.sleep(500);
  }
}
