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
 * ipset). Ingress: behind a default-deny policy plus one that admits pods labelled
 * {@code access=granted} from any namespace, a pod in another namespace without that label can no
 * longer reach the server, while the labelled one still can, by pod address and by Service.
 * Egress, as the book-controller writes it for books: default-deny with the cluster DNS pods
 * ({@code kube-system}, {@code k8s-app=kube-dns}) and one declared peer allowed — the pod resolves
 * names and reaches that peer, and nothing else.
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

    // Policies are programmed asynchronously, each in its own sync: wait for both effects, then
    // check that both hold together.
    awaitReach(clientNs, "other", byPod, false);
    awaitReach(clientNs, "granted", byPod, true);
    assertThat(reaches(clientNs, "granted", byService)).as("granted pod → server Service").isTrue();
    assertThat(reaches(clientNs, "other", byService)).as("other pod → server Service").isFalse();
    assertThat(reaches(clientNs, "other", byPod)).as("other pod → server pod").isFalse();
    // The kubelet's probes (from the node) still pass: the server stays Ready.
    assertThat(cluster.awaitReadyPod(serverNs, SERVER).getStatus().getPodIP()).isEqualTo(serverIp);
  }

  @Test
  void defaultDenyEgressLeavesOnlyClusterDnsAndTheAllowedPeer() {
    String peersNs = namespaces.create("np-peers", TestNamespaces.RESTRICTED);
    String bookNs = namespaces.create("np-book", TestNamespaces.RESTRICTED);
    Map<String, String> allowed = Map.of("app", "allowed");
    Map<String, String> other = Map.of("app", "other");
    client.resource(Hello.deployment(peersNs, "allowed", allowed)).create();
    client.resource(Hello.service(peersNs, "allowed", allowed)).create();
    client.resource(Hello.deployment(peersNs, "other", other)).create();
    client.resource(Hello.service(peersNs, "other", other)).create();
    client.resource(Hello.pod(bookNs, "book", Map.of("app", "book"))).create();
    cluster.awaitReadyPod(peersNs, allowed);
    cluster.awaitReadyPod(peersNs, other);
    cluster.awaitReadyPod(bookNs, Map.of("app", "book"));
    String allowedUrl = "http://allowed." + peersNs + ".svc.cluster.local/";
    String otherUrl = "http://other." + peersNs + ".svc.cluster.local/";
    awaitReach(bookNs, "book", otherUrl, true);

    client.resource(new NetworkPolicyBuilder()
        .withNewMetadata().withNamespace(bookNs).withName("default-deny").endMetadata()
        .withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress", "Egress")
            .addNewEgress()
                .addNewTo().withNewNamespaceSelector()
                    .addToMatchLabels("kubernetes.io/metadata.name", "kube-system").endNamespaceSelector()
                    .withNewPodSelector().addToMatchLabels("k8s-app", "kube-dns").endPodSelector().endTo()
                .addNewPort().withProtocol("UDP").withPort(new IntOrString(53)).endPort()
                .addNewPort().withProtocol("TCP").withPort(new IntOrString(53)).endPort()
            .endEgress()
        .endSpec().build()).create();
    client.resource(new NetworkPolicyBuilder()
        .withNewMetadata().withNamespace(bookNs).withName("book-egress").endMetadata()
        .withNewSpec().withNewPodSelector().addToMatchLabels("app", "book").endPodSelector()
            .withPolicyTypes("Egress")
            .addNewEgress()
                .addNewTo().withNewNamespaceSelector()
                    .addToMatchLabels("kubernetes.io/metadata.name", peersNs).endNamespaceSelector()
                    .withNewPodSelector().withMatchLabels(allowed).endPodSelector().endTo()
                .addNewPort().withProtocol("TCP").withPort(new IntOrString(Hello.PORT)).endPort()
            .endEgress()
        .endSpec().build()).create();

    // By name: the DNS lookup itself passes the policy, and so does the allowed peer.
    awaitReach(bookNs, "book", otherUrl, false);
    awaitReach(bookNs, "book", allowedUrl, true);
    assertThat(reaches(bookNs, "book", otherUrl)).as("book → other peer by Service name").isFalse();
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
