package io.voyager.bdk.install;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The install as an operator runs it: every overlay renders with {@code kubectl kustomize}, and
 * every object it renders passes a server-side dry run on a real kube-apiserver (CRDs applied
 * first, the namespace created as the real apply would), with no warning — the namespace enforces
 * the restricted Pod Security Standard, whose admission warns about any Deployment that breaks it.
 * Then what each overlay promises, read from what it renders.
 */
@ExtendWith(RealApiServer.class)
class OverlaysTest {
  static final Duration KUBECTL = Duration.ofMinutes(2);
  static final String REGISTRY = "registry.example.internal:5000";

  static RealApiServer.Cluster cluster;
  @TempDir Path tmp;

  @BeforeAll
  static void cluster(RealApiServer.Cluster running) {
    cluster = running;
  }

  record Rendered(String yaml, List<HasMetadata> items) {
    <T extends HasMetadata> List<T> all(Class<T> kind) {
      return Manifests.ofKind(items, kind);
    }

    Deployment deployment(String name) {
      return all(Deployment.class).stream().filter(d -> d.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }
  }

  static Rendered render(Path dir) {
    String yaml = cluster.kubectl(KUBECTL, null, "kustomize", dir).ok().stdout();
    return new Rendered(yaml, Manifests.parse(yaml));
  }

  /** Creates the namespaces for real (as kubectl apply would, first), then dry-runs everything. */
  static Command serverDryRun(Rendered rendered) {
    for (Namespace ns : rendered.all(Namespace.class)) {
      cluster.kubectl(KUBECTL, Serialization.asYaml(ns), "apply", "--server-side", "--field-manager=install-tests", "-f", "-").ok();
    }
    return cluster.kubectl(KUBECTL, rendered.yaml(),
        "apply", "--server-side", "--dry-run=server", "--field-manager=install-tests", "-f", "-");
  }

  static Path overlay(String name) {
    return Project.root().resolve("k8s/overlays").resolve(name);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"k8s/deploy", "k8s/overlays/dev", "k8s/overlays/production", "k8s/overlays/air-gapped"})
  void everyObjectPassesAServerSideDryRunWithoutWarnings(String dir) {
    Rendered rendered = render(Project.root().resolve(dir));
    assertThat(rendered.all(Deployment.class)).hasSize(6);
    Command dryRun = serverDryRun(rendered).ok();
    List<String> applied = dryRun.stdout().lines().filter(l -> l.endsWith("serverside-applied (server dry run)")).toList();
    assertThat(applied).as(dryRun.stdout()).hasSameSizeAs(rendered.items());
    assertThat(dryRun.stderr()).as("warnings (PodSecurity, deprecations)").doesNotContainIgnoringCase("warning");
  }

  @Test
  void theWarningCheckIsLive_aPrivilegedDeploymentIsFlagged() {
    String privileged = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: not-restricted, namespace: bdk}
        spec:
          selector: {matchLabels: {app: x}}
          template:
            metadata: {labels: {app: x}}
            spec:
              containers: [{name: x, image: voyager/x:1, securityContext: {privileged: true}}]
        """;
    serverDryRun(render(overlay("dev"))).ok(); // the namespace exists
    Command dryRun = cluster.kubectl(KUBECTL, privileged, "apply", "--server-side", "--dry-run=server", "-f", "-").ok();
    assertThat(dryRun.stderr()).contains("would violate PodSecurity \"restricted:latest\"");
  }

  @Test
  void devRunsOneReplicaOfEverythingWithSmallRequestsAndNoBudgets() {
    Rendered dev = render(overlay("dev"));
    assertThat(dev.all(Deployment.class)).allSatisfy(d -> {
      assertThat(d.getSpec().getReplicas()).as(d.getMetadata().getName()).isEqualTo(1);
      assertThat(container(d).getResources().getRequests()).containsEntry("cpu", new io.fabric8.kubernetes.api.model.Quantity("50m"));
      assertThat(container(d).getResources().getLimits()).containsKey("memory");
    });
    assertThat(dev.all(PodDisruptionBudget.class)).isEmpty();
    // one NATS server: ext-authz's state buckets are R1 and keep the default size
    Deployment extAuthz = dev.all(Deployment.class).stream().filter(d -> d.getMetadata().getName().equals("ext-authz")).findFirst().orElseThrow();
    assertThat(container(extAuthz).getArgs()).contains("--state-replicas=1").noneMatch(a -> a.startsWith("--replay-kv-max-bytes"));
  }

  @Test
  void productionIsSpreadBudgetedSizedAndBehindTls() {
    Rendered prod = render(overlay("production"));
    Map<String, Integer> replicas = prod.all(Deployment.class).stream()
        .collect(Collectors.toMap(d -> d.getMetadata().getName(), d -> d.getSpec().getReplicas()));
    assertThat(replicas).containsExactlyInAnyOrderEntriesOf(Map.of(
        "envoy", 3, "library-service", 3, "xds-server", 2, "ext-authz", 2, "book-controller", 2, "webhook-relay", 2));
    List<PodDisruptionBudget> budgets = prod.all(PodDisruptionBudget.class);
    for (Deployment d : prod.all(Deployment.class)) {
      String name = d.getMetadata().getName();
      Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
      assertThat(budgets).as("a budget for " + name).anySatisfy(b -> {
        assertThat(podLabels).containsAllEntriesOf(b.getSpec().getSelector().getMatchLabels());
        int allowedDown = b.getSpec().getMaxUnavailable() != null ? b.getSpec().getMaxUnavailable().getIntVal()
            : d.getSpec().getReplicas() - b.getSpec().getMinAvailable().getIntVal();
        assertThat(allowedDown).isBetween(1, d.getSpec().getReplicas() - 1);
      });
      List<TopologySpreadConstraint> spread = d.getSpec().getTemplate().getSpec().getTopologySpreadConstraints();
      assertThat(spread).extracting(TopologySpreadConstraint::getTopologyKey)
          .containsExactlyInAnyOrder("kubernetes.io/hostname", "topology.kubernetes.io/zone");
      assertThat(spread).allSatisfy(c -> assertThat(podLabels).containsAllEntriesOf(c.getLabelSelector().getMatchLabels()));
      var resources = container(d).getResources();
      assertThat(resources.getRequests()).as(name).containsKeys("cpu", "memory");
      assertThat(resources.getLimits()).as(name).containsKeys("cpu", "memory");
    }
    // TLS ends at Envoy (its HTTPS listener, certificate over SDS): its Service is the public TCP
    // load balancer, keeping client addresses; no Ingress in front talking plain HTTP (which only redirects).
    assertThat(prod.all(Ingress.class)).isEmpty();
    io.fabric8.kubernetes.api.model.Service envoy = prod.all(io.fabric8.kubernetes.api.model.Service.class).stream()
        .filter(s -> s.getMetadata().getName().equals("envoy")).findFirst().orElseThrow();
    assertThat(envoy.getSpec().getType()).isEqualTo("LoadBalancer");
    assertThat(envoy.getSpec().getExternalTrafficPolicy()).isEqualTo("Local");
    assertThat(envoy.getSpec().getPorts()).anySatisfy(p -> assertThat(p.getPort()).isEqualTo(443));
  }

  @Test
  void airGappedPullsEveryImageFromTheOneRegistryWithThePullSecret() throws IOException {
    assertAirGapped(render(overlay("air-gapped")), REGISTRY);

    // One setting: change the registry literal (in a copy) and everything follows.
    Path k8s = copyOfK8s();
    Path kustomization = k8s.resolve("overlays/registry/kustomization.yaml");
    Files.writeString(kustomization, Files.readString(kustomization).replace(REGISTRY, "mirror.corp.example/bdk"));
    Rendered moved = render(k8s.resolve("overlays/air-gapped"));
    assertAirGapped(moved, "mirror.corp.example/bdk");
    assertThat(moved.yaml()).doesNotContain(REGISTRY);
    serverDryRun(moved).ok();
  }

  @Test
  void devTakesTheRegistryComponentToo() throws IOException {
    Path k8s = copyOfK8s();
    Path dev = k8s.resolve("overlays/dev/kustomization.yaml");
    // As docs/install.md says: after ../digests, so the digests pin the images before they are moved.
    Files.writeString(dev, Files.readString(dev).replace("  - ../digests\n", "  - ../digests\n  - ../registry\n"));
    Rendered rendered = render(k8s.resolve("overlays/dev"));
    assertAirGapped(rendered, REGISTRY);
    assertThat(rendered.all(Deployment.class)).allSatisfy(d -> assertThat(d.getSpec().getReplicas()).isEqualTo(1));
    serverDryRun(rendered).ok();
  }

  private static void assertAirGapped(Rendered rendered, String registry) {
    ConfigMap settings = rendered.all(ConfigMap.class).stream()
        .filter(c -> c.getMetadata().getName().startsWith("bdk-install")).findFirst().orElseThrow();
    assertThat(settings.getData()).containsEntry("image-registry", registry);
    List<PodSpec> pods = new ArrayList<>();
    rendered.all(Deployment.class).forEach(d -> pods.add(d.getSpec().getTemplate().getSpec()));
    rendered.all(StatefulSet.class).forEach(s -> pods.add(s.getSpec().getTemplate().getSpec()));
    assertThat(rendered.all(StatefulSet.class)).as("nats").isNotEmpty();
    for (PodSpec pod : pods) {
      assertThat(pod.getContainers()).allSatisfy(c -> assertThat(c.getImage()).startsWith(registry + "/"));
      assertThat(pod.getImagePullSecrets()).extracting(LocalObjectReference::getName).containsExactly("bdk-registry-credentials");
    }
    assertThat(rendered.deployment("envoy").getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo(registry + "/voyager/bdk-envoy:1.40.0");
    Container controller = container(rendered.deployment("book-controller"));
    assertThat(controller.getArgs()).contains("--image-registry=$(BDK_IMAGE_REGISTRY)");
    assertThat(controller.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("BDK_IMAGE_REGISTRY");
      assertThat(e.getValueFrom().getConfigMapKeyRef().getName()).isEqualTo(settings.getMetadata().getName());
      assertThat(e.getValueFrom().getConfigMapKeyRef().getKey()).isEqualTo("image-registry");
    });
  }

  @Test
  void digestsPinnedByMakeImagesReachEveryOverlay() throws IOException {
    Path k8s = copyOfK8s();
    Path images = Files.createDirectories(tmp.resolve("images"));
    List<ImageModule> modules = ImageModule.all();
    for (ImageModule m : modules) {
      String digest = "sha256:" + String.format("%064x", Math.abs((long) m.name().hashCode()));
      Files.writeString(images.resolve(m.name() + ".json"),
          "{\"image\":\"" + m.reference() + "\",\"imageDigest\":\"" + digest + "\",\"tags\":[\"" + m.tag() + "\"]}");
      Files.writeString(images.resolve(m.name() + ".tar"), "");
    }
    Command.run(KUBECTL, "python3", Project.root().resolve("images/pin_digests.py").toString(),
        "--images-dir", images.toString(), "--component", k8s.resolve("overlays/digests/kustomization.yaml").toString()).ok();

    for (String overlay : List.of("dev", "production", "air-gapped")) {
      Rendered rendered = render(k8s.resolve("overlays").resolve(overlay));
      List<String> ours = new ArrayList<>();
      rendered.all(Deployment.class).forEach(d -> d.getSpec().getTemplate().getSpec().getContainers().stream()
          .map(Container::getImage).filter(i -> i.contains("voyager/")).forEach(ours::add));
      rendered.all(StatefulSet.class).forEach(s -> s.getSpec().getTemplate().getSpec().getContainers().stream()
          .map(Container::getImage).filter(i -> i.contains("voyager/")).forEach(ours::add));
      // Five services, Envoy and NATS.
      assertThat(ours).as(overlay).hasSize(7).allMatch(i -> i.matches(".*voyager/bdk-[a-z-]+@sha256:[0-9a-f]{64}"));
      assertThat(container(rendered.deployment("book-controller")).getArgs())
          .anyMatch(a -> a.matches("--runtime-image=python=voyager/book-runtime-python@sha256:[0-9a-f]{64}"));
      serverDryRun(rendered).ok();
    }
  }

  private Path copyOfK8s() throws IOException {
    Path source = Project.root().resolve("k8s");
    Path target = tmp.resolve("k8s");
    try (Stream<Path> files = Files.walk(source)) {
      for (Path file : files.filter(f -> !f.startsWith(source.resolve("test-apiserver"))).toList()) {
        Path to = target.resolve(source.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(to);
        } else {
          Files.copy(file, to);
        }
      }
    }
    return target;
  }

  private static Container container(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().get(0);
  }
}
