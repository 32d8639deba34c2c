package io.voyager.bdk.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * NetworkPolicies are enforced on the node (kube-router's policy controller on iptables and
 * ipset): behind a default-deny ingress policy plus one that admits pods labelled
 * {@code access=granted} from any namespace, a pod in another namespace without that label can no
 * longer reach the server, while the labelled one still can, by pod address and by Service.
 */
class NetworkPolicyEnforcementTest {
  private static final Map<String, String> SERVER = Map.of("app", "server");

  private RealCluster cluster;
  private KubernetesClient client;
  private TestNamespaces namespaces;

  @BeforeEach
  void connect() {
    cluster = RealCluster.get();
    client = cluster.client();
    namespaces = new TestNamespaces(client);
  }

  @AfterEach
  void cleanUp() {
    if (namespaces != null) {
      namespaces.close();
    }
  }

  @Test
  void defaultDenyWithAnAllowFromLabelAdmitsOnlyTheLabelledPodOfAnotherNamespace() {
    String serverNs = namespaces.create("np-server", TestNamespaces.RESTRICTED);
    String clientNs = namespaces.create("np-client", TestNamespaces.RESTRICTED);
    client.resource(Hello.deployment(serverNs, "server", SERVER)).create();
    String clusterIp = client.resource(Hello.service(serverNs, "server", SERVER)).create()
        .getSpec().getClusterIP();
    client.resource(Hello.pod(clientNs, "granted", Map.of("app", "client", "access", "granted"))).create();
    client.resource(Hello.pod(clientNs, "other", Map.of("app", "client", "access", "none"))).create();
    String serverIp = cluster.awaitReadyPod(serverNs, SERVER).getStatus().getPodIP();
    cluster.awaitReadyPod(clientNs, Map.of("access", "granted"));
    cluster.awaitReadyPod(clientNs, Map.of("access", "none"));
    String byPod = "http://" + serverIp + ":" + Hello.PORT + "/";
    String byService = "http://" + clusterIp + "/";

    // Without policies both clients reach the server: what follows is the policies' doing.
    awaitReach(clientNs, "other", byPod, true);
    awaitReach(clientNs, "granted", byPod, true);

    client.resource(defaultDenyIngress(serverNs)).create();
    client.resource(allowFromGranted(serverNs)).create();

    awaitReach(clientNs, "other", byPod, false);
    awaitReach(clientNs, "other", byService, false);
    assertThat(reaches(clientNs, "granted", byPod)).as("granted pod → server pod").isTrue();
    assertThat(reaches(clientNs, "granted", byService)).as("granted pod → server Service").isTrue();
    // The kubelet's probes (from the node) still pass: the server stays Ready.
    assertThat(cluster.awaitReadyPod(serverNs, SERVER).getStatus().getPodIP()).isEqualTo(serverIp);
  }

  private boolean reaches(String ns, String pod, String url) {
    return cluster.exec(ns, pod, "/hello", "get", url).succeeded();
  }

  /** Policies are programmed asynchronously: wait until the pod's reach is as expected. */
  private void awaitReach(String ns, String pod, String url, boolean expected) {
    Awaitility.await(ns + "/" + pod + (expected ? " reaches " : " is refused ") + url)
        .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
        .until(() -> reaches(ns, pod, url) == expected);
  }

  private static NetworkPolicy defaultDenyIngress(String ns) {
    return new NetworkPolicyBuilder()
        .withNewMetadata().withNamespace(ns).withName("default-deny-ingress").endMetadata()
        .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress").endSpec()
        .build();
  }

  private static NetworkPolicy allowFromGranted(String ns) {
    return new NetworkPolicyBuilder()
        .withNewMetadata().withNamespace(ns).withName("allow-from-granted").endMetadata()
        .withNewSpec()
            .withNewPodSelector().withMatchLabels(SERVER).endPodSelector()
            .withPolicyTypes("Ingress")
            .addNewIngress()
                .addNewFrom().withNewNamespaceSelector().endNamespaceSelector()
                    .withNewPodSelector().addToMatchLabels("access", "granted").endPodSelector().endFrom()
                .addNewPort().withProtocol("TCP").withPort(new IntOrString(Hello.PORT)).endPort()
            .endIngress()
        .endSpec().build();
  }
}
