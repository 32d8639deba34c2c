package io.voyager.bdk.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node runs what the platform will run: a pod under the restricted Pod Security Standard,
 * enforced by the API server's admission, from an image imported into containerd (no registry),
 * Ready through its real HTTP probe, published in an EndpointSlice by the controller manager and
 * reachable through its Service's ClusterIP from the host (kube-proxy) and by name from another
 * pod (cluster DNS).
 */
class RestrictedPodServiceTest {
  private static final Map<String, String> APP = Map.of("app", "hello");

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
  void admissionRejectsAPodThatBreaksTheRestrictedStandard() {
    String ns = namespaces.create("pss", TestNamespaces.RESTRICTED);
    Pod root = new PodBuilder(Hello.pod(ns, "as-root", APP)).editSpec().withSecurityContext(null)
        .editFirstContainer().withSecurityContext(null).endContainer().endSpec().build();

    assertThatThrownBy(() -> client.pods().inNamespace(ns).resource(root).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("violates PodSecurity \"restricted:latest\"")
        .hasMessageContaining("allowPrivilegeEscalation != false");
  }

  @Test
  void restrictedPodServesThroughItsServiceFromTheHostAndByNameFromAnotherPod() throws Exception {
    String ns = namespaces.create("svc", TestNamespaces.RESTRICTED);
    client.resource(Hello.deployment(ns, "hello", APP)).create();
    String clusterIp = client.resource(Hello.service(ns, "hello", APP)).create().getSpec().getClusterIP();

    Pod pod = cluster.awaitReadyPod(ns, APP);
    String podIp = pod.getStatus().getPodIP();
    assertThat(podIp).as("pod address from the bridge's subnet").startsWith("10.244.0.");

    AtomicReference<EndpointSlice> slice = new AtomicReference<>();
    Awaitility.await("EndpointSlice of Service hello with the ready pod").atMost(Duration.ofSeconds(60))
        .until(() -> {
          List<EndpointSlice> slices = client.discovery().v1().endpointSlices().inNamespace(ns)
              .withLabel("kubernetes.io/service-name", "hello").list().getItems();
          slices.stream().filter(s -> readyAddresses(s).contains(podIp)).findFirst().ifPresent(slice::set);
          return slice.get() != null;
        });
    assertThat(slice.get().getPorts()).anySatisfy(p -> assertThat(p.getPort()).isEqualTo(Hello.PORT));
    assertThat(slice.get().getEndpoints()).anySatisfy(e ->
        assertThat(e.getTargetRef().getName()).isEqualTo(pod.getMetadata().getName()));

    // From the host, through kube-proxy's rules for the ClusterIP.
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + clusterIp + "/"))
        .timeout(Duration.ofSeconds(3)).build();
    AtomicReference<String> body = new AtomicReference<>();
    Awaitility.await("GET http://" + clusterIp + "/ from the host").atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> {
          HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
          body.set(response.body());
          return response.statusCode() == 200;
        });
    assertThat(body.get()).isEqualTo("hello from " + pod.getMetadata().getName() + "\n");

    // From another pod, by the Service's DNS name (CoreDNS) and its ClusterIP.
    client.resource(Hello.pod(ns, "client", Map.of("app", "client"))).create();
    cluster.awaitReadyPod(ns, Map.of("app", "client"));
    RealCluster.ExecResult byName = cluster.exec(ns, "client",
        "/hello", "get", "http://hello." + ns + ".svc.cluster.local/");
    assertThat(byName.succeeded()).as("exec result %s", byName).isTrue();
    assertThat(byName.stdout()).isEqualTo("hello from " + pod.getMetadata().getName() + "\n");
  }

  private static List<String> readyAddresses(EndpointSlice slice) {
    return slice.getEndpoints().stream()
        .filter(e -> e.getConditions() != null && Boolean.TRUE.equals(e.getConditions().getReady()))
        .map(Endpoint::getAddresses).flatMap(List::stream).toList();
  }
}
