package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.voyager.bdk.local.NetworkPolicyModel.Endpoint;
import io.voyager.bdk.local.NetworkPolicyModel.External;
import io.voyager.bdk.local.NetworkPolicyModel.Namespace;
import io.voyager.bdk.local.NetworkPolicyModel.Pod;
import io.voyager.bdk.local.NetworkPolicyModel.Port;
import io.voyager.bdk.model.BdkLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The NetworkPolicies of k8s/deploy, evaluated against the pods the k8s/deploy Deployments and StatefulSets make
 * (their template labels and named container ports) and the peers around them: every flow the
 * gateway needs is allowed, and book pods (or any other pod) reach no gRPC backend, ADS port or
 * admin port (the xds-server's /debug included). (The manifests themselves are created on a real
 * API server by {@link DeployedPoliciesEndToEndTest}.)
 */
class NetworkPolicyFlowsTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  static final Namespace BDK = namespace(BdkLabels.BDK_NAMESPACE);
  static final Namespace KUBE_SYSTEM = namespace("kube-system");
  static final Namespace MONITORING = namespace("monitoring");
  static final Namespace CUSTOMER = namespace("customer-acme");
  static final Namespace DEFAULT = namespace("default");

  static final Map<String, Pod> deployed = new LinkedHashMap<>();
  static NetworkPolicyModel model;

  static final Pod DNS = new Pod("kube-dns", KUBE_SYSTEM, Map.of("k8s-app", "kube-dns"),
      List.of(new Port("dns", 53, "UDP"), new Port("dns-tcp", 53, "TCP")), "10.244.9.10");
  static final Pod PROMETHEUS = new Pod("prometheus", MONITORING, Map.of("app.kubernetes.io/name", "prometheus"),
      List.of(new Port("web", 9090, "TCP")), "10.244.8.10");
  /** A book pod as the book-controller labels it (WorkloadFactory / ManagedLabels). */
  static final Pod BOOK = new Pod("book pod", CUSTOMER, Map.of(
      BdkLabels.MANAGED_BY, "book-controller", "app.kubernetes.io/component", "book",
      "bdk.voyager.io/workload", "support-desk-b833beea"), List.of(new Port("http", 8080, "TCP")), "10.244.7.10");
  /** A pod that only pretends to be a book, in a system namespace. */
  static final Pod FAKE_BOOK_IN_KUBE_SYSTEM = new Pod("book-labelled pod in kube-system", KUBE_SYSTEM, BOOK.labels(),
      BOOK.ports(), "10.244.9.20");
  static final Pod OTHER = new Pod("some other pod", DEFAULT, Map.of("app", "other"), List.of(), "10.244.6.10");
  static final External INTERNET = new External("an internet client", "203.0.113.7");
  static final External API_SERVICE = new External("the kubernetes Service", "10.96.0.1");
  static final External API_SERVER = new External("the API server", "172.18.0.2");
  static final External JWKS = new External("a JWKS endpoint", "198.51.100.10");

  @BeforeAll
  static void load() throws IOException {
    Path deploy = ProjectRoot.get().resolve("k8s/deploy");
    List<NetworkPolicy> policies = new ArrayList<>();
    int ip = 10;
    try (Stream<Path> files = Files.list(deploy)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        for (JsonNode doc : YAML.readValues(YAML.getFactory().createParser(file.toFile()), JsonNode.class).readAll()) {
          String kind = doc.path("kind").asText();
          if (kind.equals("NetworkPolicy")) {
            policies.add(YAML.treeToValue(doc, NetworkPolicy.class));
          } else if (kind.equals("Deployment") || kind.equals("StatefulSet")) {
            String name = doc.path("metadata").path("name").asText();
            PodTemplateSpec template = YAML.treeToValue(doc.path("spec").path("template"), PodTemplateSpec.class);
            List<Port> ports = new ArrayList<>();
            for (var c : template.getSpec().getContainers()) {
              for (ContainerPort p : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
                ports.add(new Port(p.getName(), p.getContainerPort(), p.getProtocol() == null ? "TCP" : p.getProtocol()));
              }
            }
            deployed.put(name, new Pod(name, BDK, template.getMetadata().getLabels(), ports, "10.244.1." + ip++));
          }
        }
      }
    }
    assertThat(deployed).containsOnlyKeys("xds-server", "library-service", "ext-authz", "book-controller", "envoy",
        "webhook-relay", "nats");
    assertThat(policies).as("NetworkPolicies in k8s/deploy").isNotEmpty()
        .allSatisfy(p -> assertThat(p.getMetadata().getNamespace()).isEqualTo(BdkLabels.BDK_NAMESPACE));
    model = new NetworkPolicyModel(policies, List.of(BDK, KUBE_SYSTEM, MONITORING, CUSTOMER, DEFAULT));
  }

  static Namespace namespace(String name) {
    return new Namespace(name, Map.of("kubernetes.io/metadata.name", name));
  }

  static Pod pod(String deployment) {
    return deployed.get(deployment);
  }

  /** The port number of {@code deployment}'s container port {@code name}, as the Deployment declares it. */
  static int port(String deployment, String name) {
    return pod(deployment).ports().stream().filter(p -> name.equals(p.name())).findFirst()
        .orElseThrow(() -> new AssertionError(deployment + " declares no port " + name)).number();
  }

  /** Another replica of the nats StatefulSet: same labels and ports, its own address. */
  static Pod natsPeer() {
    Pod nats = pod("nats");
    return new Pod("nats (another replica)", nats.namespace(), nats.labels(), nats.ports(), "10.244.1.250");
  }

  record Flow(Endpoint from, Endpoint to, int port, String protocol) {
    @Override
    public String toString() {
      return from + " → " + to + ":" + port + "/" + protocol;
    }
  }

  static Flow tcp(Endpoint from, Endpoint to, int port) {
    return new Flow(from, to, port, "TCP");
  }

  static Stream<Arguments> intendedFlows() {
    List<Flow> flows = new ArrayList<>();
    flows.add(tcp(INTERNET, pod("envoy"), port("envoy", "https")));
    flows.add(tcp(INTERNET, pod("envoy"), port("envoy", "http"))); // only redirects to https
    flows.add(tcp(pod("envoy"), pod("xds-server"), port("xds-server", "grpc-xds")));
    flows.add(tcp(pod("envoy"), pod("ext-authz"), port("ext-authz", "grpc")));
    flows.add(tcp(pod("envoy"), pod("library-service"), port("library-service", "grpc")));
    flows.add(tcp(pod("envoy"), BOOK, 8080));
    flows.add(tcp(pod("envoy"), JWKS, 443));
    flows.add(tcp(pod("library-service"), JWKS, 443));
    for (String admin : List.of("xds-server", "library-service", "ext-authz", "book-controller")) {
      flows.add(tcp(PROMETHEUS, pod(admin), port(admin, "admin")));
      flows.add(tcp(pod(admin), API_SERVICE, 443));
      flows.add(tcp(pod(admin), API_SERVER, 6443));
    }
    flows.add(tcp(PROMETHEUS, pod("envoy"), port("envoy", "readiness")));
    // queued delivery: Envoy → relay → JetStream; the relay delivers through Envoy; the servers cluster
    flows.add(tcp(pod("envoy"), pod("webhook-relay"), port("webhook-relay", "http")));
    flows.add(tcp(pod("webhook-relay"), pod("nats"), port("nats", "client")));
    // ext-authz's replay and rate-limit state (JetStream key-value)
    flows.add(tcp(pod("ext-authz"), pod("nats"), port("nats", "client")));
    // the library reads the queue's counts for an instance read's delivery summary
    flows.add(tcp(pod("library-service"), pod("nats"), port("nats", "client")));
    flows.add(tcp(pod("webhook-relay"), pod("envoy"), port("envoy", "internal")));
    flows.add(tcp(natsPeer(), pod("nats"), port("nats", "cluster")));
    flows.add(tcp(pod("nats"), natsPeer(), port("nats", "cluster")));
    flows.add(tcp(natsPeer(), pod("nats"), port("nats", "client")));
    flows.add(tcp(PROMETHEUS, pod("webhook-relay"), port("webhook-relay", "admin")));
    flows.add(tcp(PROMETHEUS, pod("nats"), port("nats", "monitor")));
    // the relay's wake Leases (--wake-books)
    flows.add(tcp(pod("webhook-relay"), API_SERVICE, 443));
    flows.add(tcp(pod("webhook-relay"), API_SERVER, 6443));
    for (Pod any : deployed.values()) {
      flows.add(new Flow(any, DNS, 53, "UDP"));
      flows.add(tcp(any, DNS, 53));
    }
    return flows.stream().map(Arguments::of);
  }

  static Stream<Arguments> refusedFlows() {
    List<Flow> flows = new ArrayList<>();
    for (Endpoint stranger : List.of(BOOK, OTHER, INTERNET)) {
      for (Pod target : deployed.values()) {
        for (Port p : target.ports()) {
          if (target == pod("envoy") && (p.name().equals("http") || p.name().equals("https"))) {
            continue; // the public listeners
          }
          flows.add(tcp(stranger, target, p.number()));
        }
      }
    }
    flows.add(tcp(pod("envoy"), pod("xds-server"), port("xds-server", "admin")));
    flows.add(tcp(pod("envoy"), pod("ext-authz"), port("ext-authz", "admin")));
    flows.add(tcp(pod("envoy"), FAKE_BOOK_IN_KUBE_SYSTEM, 8080));
    flows.add(tcp(pod("envoy"), OTHER, 8080));
    flows.add(tcp(pod("ext-authz"), BOOK, 8080));
    flows.add(tcp(pod("xds-server"), BOOK, 8080));
    flows.add(tcp(pod("book-controller"), pod("ext-authz"), port("ext-authz", "grpc")));
    flows.add(tcp(pod("library-service"), pod("xds-server"), port("xds-server", "grpc-xds")));
    flows.add(tcp(PROMETHEUS, pod("ext-authz"), port("ext-authz", "grpc")));
    flows.add(tcp(pod("envoy"), API_SERVER, 6443));
    // JetStream holds every queued webhook and the replay state: only the relay, ext-authz, the
    // library (reads the queue for instance reads) and the servers talk to it
    for (String client : List.of("envoy", "xds-server", "book-controller")) {
      flows.add(tcp(pod(client), pod("nats"), port("nats", "client")));
    }
    flows.add(tcp(pod("webhook-relay"), pod("nats"), port("nats", "cluster")));
    flows.add(tcp(pod("ext-authz"), pod("nats"), port("nats", "cluster")));
    flows.add(tcp(pod("ext-authz"), pod("nats"), port("nats", "monitor")));
    flows.add(tcp(pod("webhook-relay"), BOOK, 8080));
    flows.add(tcp(pod("nats"), JWKS, 443));
    flows.add(tcp(PROMETHEUS, pod("webhook-relay"), port("webhook-relay", "http")));
    // Envoy's internal delivery listener is the relay's alone (books and strangers: above)
    for (String other : List.of("ext-authz", "xds-server", "library-service", "book-controller", "nats")) {
      flows.add(tcp(pod(other), pod("envoy"), port("envoy", "internal")));
    }
    flows.add(tcp(PROMETHEUS, pod("envoy"), port("envoy", "internal")));
    return flows.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("intendedFlows")
  void everyFlowTheGatewayNeedsIsAllowed(Flow flow) {
    assertThat(model.allows(flow.from(), flow.to(), flow.port(), flow.protocol())).as(flow.toString()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedFlows")
  void nothingElseReachesTheGatewaysPods(Flow flow) {
    assertThat(model.allows(flow.from(), flow.to(), flow.port(), flow.protocol())).as(flow.toString()).isFalse();
  }

  @Test
  void everyPodOfBdkIsIsolatedBothWays() {
    for (Pod pod : deployed.values()) {
      assertThat(model.selecting(pod, "Ingress")).as(pod + " ingress").isNotEmpty();
      assertThat(model.selecting(pod, "Egress")).as(pod + " egress").isNotEmpty();
    }
  }

  /** A port a Deployment opens that no policy admits is either a mistake here or a new listener that needs its rule. */
  @Test
  void everyDeclaredContainerPortIsReachableBySomeone() {
    List<Endpoint> everyone = new ArrayList<>(List.of(PROMETHEUS, INTERNET, BOOK, OTHER, DNS));
    everyone.addAll(deployed.values());
    everyone.add(natsPeer()); // a StatefulSet's replicas talk to each other (cluster routes)
    for (Pod target : deployed.values()) {
      for (Port p : target.ports()) {
        assertThat(everyone.stream().anyMatch(from -> from != target && model.allows(from, target, p.number(), p.protocol())))
            .as("%s port %s (%d) is admitted by a NetworkPolicy", target, p.name(), p.number()).isTrue();
      }
    }
  }
}
