package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.voyager.bdk.model.BdkLabels;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every object of k8s/deploy passes a server-side dry run on a real kube-apiserver (kube-api-test):
 * schemas, defaults and validation as a cluster applies them (the fabric8 mock validates nothing).
 * Then the JetStream cluster and the relay are checked for what R3 delivery depends on.
 */
@EnableKubeAPIServer
class DeployManifestsDryRunTest {
  private static final Path DEPLOY = ProjectRoot.get().resolve("k8s/deploy");

  @KubeConfig static String kubeConfigYaml;
  static KubernetesClient client;
  static List<HasMetadata> objects;

  @BeforeAll
  static void load() throws Exception {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    objects = new ArrayList<>();
    try (Stream<Path> files = Files.list(DEPLOY)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml") && !f.endsWith("kustomization.yaml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          objects.addAll(client.load(in).items());
        }
      }
    }
  }

  @AfterAll
  static void close() {
    if (client != null) {
      client.close();
    }
  }

  @Test
  void everyDeployedObjectPassesAServerSideDryRun() {
    objects.stream().filter(o -> o instanceof Namespace).forEach(ns -> client.resource(ns).serverSideApply());
    List<String> refused = new ArrayList<>();
    for (HasMetadata object : objects) {
      if (object instanceof Namespace) {
        continue;
      }
      try {
        client.resource(object).dryRun().create();
      } catch (RuntimeException e) {
        refused.add(object.getKind() + "/" + object.getMetadata().getName() + ": " + e.getMessage());
      }
    }
    assertThat(refused).isEmpty();
    assertThat(objects).extracting(HasMetadata::getKind).contains("StatefulSet", "NetworkPolicy", "PodDisruptionBudget");
  }

  @Test
  void theJetStreamClusterHasThreeServersOnSeparateNodesEachWithItsOwnVolumeAndAQuorumBudget() throws Exception {
    StatefulSet nats = one(StatefulSet.class, "nats");
    assertThat(nats.getMetadata().getNamespace()).isEqualTo(BdkLabels.BDK_NAMESPACE);
    assertThat(nats.getSpec().getReplicas()).isEqualTo(3);
    assertThat(nats.getSpec().getServiceName()).isEqualTo("nats-headless");
    assertThat(nats.getSpec().getVolumeClaimTemplates()).extracting(c -> c.getMetadata().getName()).containsExactly("data");
    var antiAffinity = nats.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
        .getRequiredDuringSchedulingIgnoredDuringExecution();
    assertThat(antiAffinity).extracting(t -> t.getTopologyKey()).containsExactly("kubernetes.io/hostname");
    Container server = nats.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(server.getReadinessProbe()).isNotNull();
    assertThat(server.getLivenessProbe()).isNotNull();
    assertThat(server.getStartupProbe()).isNotNull();
    assertThat(server.getImage()).as("the image is the version nats-server/go.mod pins")
        .isEqualTo("nats:" + pinnedNatsVersion() + "-alpine");
    assertThat(nats.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("nats");

    PodDisruptionBudget pdb = one(PodDisruptionBudget.class, "nats");
    assertThat(pdb.getSpec().getMinAvailable().getIntVal()).as("two of three keep R3 writable").isEqualTo(2);

    NetworkPolicy policy = one(NetworkPolicy.class, "nats");
    assertThat(policy.getSpec().getPodSelector().getMatchLabels()).containsEntry("app.kubernetes.io/name", "nats");
    assertThat(policy.getSpec().getIngress()).anySatisfy(rule -> assertThat(rule.getFrom())
        .anySatisfy(peer -> assertThat(peer.getPodSelector().getMatchLabels())
            .containsEntry("app.kubernetes.io/name", "webhook-relay")));
  }

  @Test
  void theRelayUsesReplicatedStreamsOnTheClusterAndOnlyTheGatewayReachesIt() {
    Deployment relay = one(Deployment.class, "webhook-relay");
    List<String> args = relay.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    assertThat(args).contains("--stream-replicas=3", "--nats-url=nats://nats.bdk.svc.cluster.local:4222");
    assertThat(relay.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isFalse();
    Map<String, String> labels = relay.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(labels).containsEntry("app.kubernetes.io/name", "webhook-relay");
    NetworkPolicy policy = one(NetworkPolicy.class, "webhook-relay");
    assertThat(policy.getSpec().getIngress().get(0).getFrom().get(0).getPodSelector().getMatchLabels())
        .containsEntry("app.kubernetes.io/name", "envoy");
  }

  private static <T extends HasMetadata> T one(Class<T> type, String name) {
    return objects.stream().filter(type::isInstance).map(type::cast)
        .filter(o -> name.equals(o.getMetadata().getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " in k8s/deploy"));
  }

  private static String pinnedNatsVersion() throws Exception {
    Matcher m = Pattern.compile("github\\.com/nats-io/nats-server/v2 v([0-9.]+)")
        .matcher(Files.readString(ProjectRoot.get().resolve("nats-server/go.mod")));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }
}
