package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JetStream cluster and the webhook relay of k8s/deploy carry what R3 delivery depends on.
 * (The whole bundle passes a server-side dry run on a real kube-apiserver in
 * {@link DeployedPoliciesEndToEndTest}; which pods may talk to them, {@link NetworkPolicyFlowsTest}.)
 */
class QueueManifestsTest {
  private static final Path DEPLOY = ProjectRoot.get().resolve("k8s/deploy");

  static List<HasMetadata> objects;

  @BeforeAll
  static void load() throws Exception {
    KubernetesSerialization serialization = new KubernetesSerialization();
    objects = new ArrayList<>();
    try (Stream<Path> files = Files.list(DEPLOY)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml") && !f.endsWith("kustomization.yaml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          Object parsed = serialization.unmarshal(in);
          if (parsed instanceof KubernetesList list) {
            objects.addAll(list.getItems());
          } else if (parsed instanceof List<?> list) {
            list.forEach(item -> objects.add((HasMetadata) item));
          } else {
            objects.add((HasMetadata) parsed);
          }
        }
      }
    }
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
    assertThat(server.getImage()).as("our image (make images) of the version nats-server/go.mod pins")
        .isEqualTo("voyager/bdk-nats-server:" + pinnedNatsVersion());
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
  void theLibraryReadsTheQueueForInstanceReadsFromTheSameNats() {
    Deployment library = one(Deployment.class, "library-service");
    assertThat(library.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .contains("--nats-url=nats://nats.bdk.svc.cluster.local:4222");
    assertThat(one(NetworkPolicy.class, "nats").getSpec().getIngress()).anySatisfy(rule -> assertThat(rule.getFrom())
        .anySatisfy(peer -> assertThat(peer.getPodSelector().getMatchLabels())
            .containsEntry("app.kubernetes.io/name", "library-service")));
  }

  @Test
  void theRelayUsesReplicatedStreamsOnTheClusterAndOnlyTheGatewayReachesIt() {
    Deployment relay = one(Deployment.class, "webhook-relay");
    List<String> args = relay.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    assertThat(args).contains("--stream-replicas=3", "--nats-url=nats://nats.bdk.svc.cluster.local:4222");
    // its token: it watches and patches wake Leases (--wake-books), nothing else (DeployedRbacEndToEndTest)
    assertThat(args).contains("--wake-books");
    assertThat(relay.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isNotEqualTo(Boolean.FALSE);
    Map<String, String> labels = relay.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(labels).containsEntry("app.kubernetes.io/name", "webhook-relay");
    NetworkPolicy policy = one(NetworkPolicy.class, "webhook-relay");
    assertThat(policy.getSpec().getIngress().get(0).getFrom().get(0).getPodSelector().getMatchLabels())
        .containsEntry("app.kubernetes.io/name", "envoy");
    assertThat(policy.getSpec().getIngress().get(0).getPorts().get(0).getPort().getIntVal()).isEqualTo(18040);
  }

  @Test
  void extAuthzKeepsReplayAndRateLimitStateInReplicatedKeyValueOnTheCluster() {
    Deployment extAuthz = one(Deployment.class, "ext-authz");
    List<String> args = extAuthz.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    assertThat(args).contains("--nats-url=nats://nats.bdk.svc.cluster.local:4222", "--state-replicas=3");
    NetworkPolicy own = one(NetworkPolicy.class, "ext-authz");
    assertThat(own.getSpec().getPolicyTypes()).contains("Egress");
    assertThat(own.getSpec().getEgress()).anySatisfy(rule -> {
      assertThat(rule.getTo()).anySatisfy(peer -> assertThat(peer.getPodSelector().getMatchLabels())
          .containsEntry("app.kubernetes.io/name", "nats"));
      assertThat(rule.getPorts()).anySatisfy(p -> assertThat(p.getPort().getIntVal()).isEqualTo(4222));
    });
    NetworkPolicy nats = one(NetworkPolicy.class, "nats");
    assertThat(nats.getSpec().getIngress()).anySatisfy(rule -> assertThat(rule.getFrom())
        .anySatisfy(peer -> assertThat(peer.getPodSelector().getMatchLabels())
            .containsEntry("app.kubernetes.io/name", "ext-authz")));
  }

  @Test
  void theRelayDeliversThroughEnvoysInternalListenerWithMutualTls() {
    Deployment relay = one(Deployment.class, "webhook-relay");
    List<String> args = relay.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    assertThat(args).contains(
        "--delivery-url=https://envoy-internal.bdk.svc.cluster.local:8444/bdk-internal/v1/deliveries/{namespace}/{name}/{integration}",
        "--tls-cert-file=/etc/bdk/tls/tls.crt", "--tls-key-file=/etc/bdk/tls/tls.key",
        "--tls-client-ca-file=/etc/bdk/tls/ca.crt");
    assertThat(relay.getSpec().getTemplate().getSpec().getVolumes())
        .anySatisfy(v -> assertThat(v.getSecret() == null ? null : v.getSecret().getSecretName()).isEqualTo("webhook-relay-tls"));
    io.fabric8.kubernetes.api.model.Service internal = one(io.fabric8.kubernetes.api.model.Service.class, "envoy-internal");
    assertThat(internal.getSpec().getType()).as("never a public Service").isEqualTo("ClusterIP");
    assertThat(internal.getSpec().getPorts()).singleElement()
        .satisfies(p -> assertThat(p.getPort()).isEqualTo(8444));
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
