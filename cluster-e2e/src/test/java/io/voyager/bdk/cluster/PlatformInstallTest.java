package io.voyager.bdk.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.readiness.Readiness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The platform installed on the node the way an operator installs it: the CRDs of k8s/crds, the
 * images {@code make images} built imported into the node's containerd (nothing pulled from a
 * registry), the {@code dev} overlay applied with kubectl, every Deployment in {@code bdk} Ready
 * as real pods.
 *
 * <p>The image and overlay part is prepared ahead of the images work (issue 10): until
 * {@code target/images/images.txt} and {@code k8s/overlays/dev} exist it is skipped with a message.
 * {@code images.txt} lists one image a line: {@code reference digest tarball} (tarball relative
 * to that directory); each tarball is imported with {@code ctr -n k8s.io images import}.
 */
class PlatformInstallTest {
  private static final Duration DEPLOYMENTS_READY = Duration.ofMinutes(5);

  private RealCluster cluster;
  private KubernetesClient client;
  private Path root;
  private boolean overlayApplied;

  @BeforeEach
  void connect() {
    cluster = RealCluster.get();
    client = cluster.client();
    root = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
  }

  @AfterEach
  void uninstall() {
    if (cluster == null) {
      return; // skipped: no cluster
    }
    if (overlayApplied) {
      cluster.kubectl("delete", "-k", root.resolve("k8s/overlays/dev").toString(),
          "--ignore-not-found", "--wait=true", "--timeout=180s");
    }
    cluster.kubectl("delete", "-f", root.resolve("k8s/crds").toString(), "--ignore-not-found",
        "--wait=true", "--timeout=120s");
  }

  @Test
  void crdsAreAcceptedByTheApiServerAndEstablished() throws IOException {
    List<String> names = applyCrds();

    assertThat(names).contains("bookdefinitions.bdk.voyager.io", "bookinstancedefinitions.bdk.voyager.io",
        "externalbookdefinitions.books.voyager.io", "organizations.bdk.voyager.io");
  }

  @Test
  void devOverlayRunsEveryPlatformDeploymentFromTheBuiltImages() throws IOException {
    Path images = Path.of(System.getProperty("bdk.images.dir", root.resolve("target/images").toString()));
    Path list = images.resolve("images.txt");
    Path overlay = root.resolve("k8s/overlays/dev");
    Assumptions.assumeTrue(Files.isRegularFile(list) && Files.isDirectory(overlay),
        "cluster-e2e: platform install skipped: needs " + list + " (make images) and " + overlay);

    applyCrds();
    for (String line : Files.readAllLines(list)) {
      String[] fields = line.strip().split("\\s+");
      if (fields.length < 3 || line.startsWith("#")) {
        continue;
      }
      cluster.importImage(images.resolve(fields[2]));
    }
    overlayApplied = true;
    cluster.kubectl("apply", "-k", overlay.toString());

    Awaitility.await("every Deployment in bdk Ready").atMost(DEPLOYMENTS_READY)
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> {
          List<Deployment> deployments = client.apps().deployments().inNamespace("bdk").list().getItems();
          return !deployments.isEmpty() && deployments.stream().allMatch(Readiness::isDeploymentReady);
        });
    assertThat(client.apps().deployments().inNamespace("bdk").list().getItems())
        .extracting(d -> d.getMetadata().getName())
        .contains("xds-server", "library-service", "ext-authz", "book-controller", "envoy");
  }

  private List<String> applyCrds() throws IOException {
    cluster.kubectl("apply", "--server-side", "-f", root.resolve("k8s/crds").toString());
    List<String> names;
    try (Stream<Path> files = Files.list(root.resolve("k8s/crds"))) {
      names = files.filter(f -> f.toString().endsWith(".yaml"))
          .map(f -> f.getFileName().toString().replaceFirst("\\.yaml$", "")).sorted().toList();
    }
    for (String name : names) {
      Awaitility.await("CRD " + name + " Established").atMost(Duration.ofSeconds(60))
          .until(() -> established(client.apiextensions().v1().customResourceDefinitions().withName(name).get()));
    }
    return names;
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions().stream()
        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
