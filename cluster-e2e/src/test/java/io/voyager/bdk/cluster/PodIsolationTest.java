package io.voyager.bdk.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pods reach the host only where the node needs them to: the API server (through the
 * {@code kubernetes} Service). The node's etcd, which the host itself reads without credentials,
 * is not reachable from a pod.
 */
class PodIsolationTest {
  /** etcd's plain-HTTP health endpoint on the node address (k8s/cluster/cluster.sh). */
  private static final String ETCD_HEALTH = "http://10.244.0.1:2381/health";

  private RealCluster cluster;
  private TestNamespaces namespaces;

  @BeforeEach
  void connect() {
    cluster = RealCluster.get();
    namespaces = new TestNamespaces(cluster.client());
  }

  @AfterEach
  void cleanUp() {
    if (namespaces != null) {
      namespaces.close();
    }
  }

  @Test
  void aPodCannotReachTheNodesEtcdWhichTheHostCan() throws Exception {
    HttpResponse<String> fromHost = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(ETCD_HEALTH)).timeout(Duration.ofSeconds(3)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(fromHost.statusCode()).as("etcd health from the host").isEqualTo(200);

    String ns = namespaces.create("isolation", TestNamespaces.RESTRICTED);
    cluster.client().resource(Hello.pod(ns, "probe", Map.of("app", "probe"))).create();
    cluster.awaitReadyPod(ns, Map.of("app", "probe"));

    RealCluster.ExecResult fromPod = cluster.exec(ns, "probe", "/hello", "get", ETCD_HEALTH);
    assertThat(fromPod.succeeded()).as("etcd from a pod: %s", fromPod).isFalse();
    // The pod itself works: it reaches its own server through the node's network.
    RealCluster.ExecResult self = cluster.exec(ns, "probe", "/hello", "get", "http://127.0.0.1:8080/healthz");
    assertThat(self.succeeded()).as("the pod's own server: %s", self).isTrue();
  }
}
