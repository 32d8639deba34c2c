package io.voyager.bdk.localruntime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Invariants of the manifests in k8s/deploy, parsed with the fabric8 client's serialization. */
class DeployManifestsTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static Path deployDir;
  private static List<HasMetadata> objects;

  @BeforeAll
  static void load() throws IOException {
    deployDir = findDeployDir();
    KubernetesSerialization serialization = new KubernetesSerialization();
    objects = new ArrayList<>();
    for (Path file : manifestFiles()) {
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

  @Test
  void theKustomizationListsExactlyTheManifestFiles() throws IOException {
    JsonNode kustomization = YAML.readTree(deployDir.resolve("kustomization.yaml").toFile());
    Set<String> listed = new TreeSet<>();
    kustomization.get("resources").forEach(r -> listed.add(r.asText()));

    assertThat(listed)
        .containsExactlyInAnyOrderElementsOf(
            manifestFiles().stream().map(p -> p.getFileName().toString()).toList());
    assertThat(kustomization.get("namespace").asText()).isEqualTo("bdk");
  }

  @Test
  void everyNamespacedObjectIsInBdk() {
    // Namespaced: fabric8's marker of namespace-scoped kinds (not ClusterRoles, Namespaces, admission policies).
    assertThat(objects)
        .filteredOn(o -> o instanceof io.fabric8.kubernetes.api.model.Namespaced)
        .isNotEmpty()
        .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).as(describe(o)).isEqualTo("bdk"));
    assertThat(objects).filteredOn(o -> o instanceof ClusterRole || o instanceof ClusterRoleBinding)
        .noneMatch(o -> o instanceof io.fabric8.kubernetes.api.model.Namespaced);
  }

  @Test
  void theGatewayTierIsComplete() {
    assertThat(named(Deployment.class).keySet())
        .containsExactlyInAnyOrder("xds-server", "library-service", "ext-authz", "book-controller", "envoy", "webhook-relay");
    assertThat(named(StatefulSet.class).keySet()).as("the JetStream cluster").containsExactly("nats");
    assertThat(servicePort("webhook-relay", "http")).isEqualTo(18040);
    assertThat(servicePort("nats", "client")).isEqualTo(4222);
    assertThat(named(Deployment.class).get("book-controller").getSpec().getReplicas()).isEqualTo(2);
    assertThat(servicePort("book-library", "grpc")).isEqualTo(50051);
    assertThat(servicePort("ext-authz", "grpc")).isEqualTo(18010);
    assertThat(servicePort("xds-server", "grpc-xds")).isEqualTo(18000);
  }

  @Test
  void everyContainerHasResourcesAndProbes() {
    containers().forEach((where, c) -> {
      assertThat(c.getResources()).as(where + " resources").isNotNull();
      assertThat(c.getResources().getRequests()).as(where + " requests").containsKeys("cpu", "memory");
      assertThat(c.getResources().getLimits()).as(where + " limits").containsKeys("cpu", "memory");
      assertThat(c.getReadinessProbe()).as(where + " readiness probe").isNotNull();
      assertThat(c.getLivenessProbe()).as(where + " liveness probe").isNotNull();
    });
  }

  @Test
  void everyPodRunsRestricted() {
    podTemplates().forEach((name, template) -> {
      PodSpec pod = template.getSpec();
      assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(name + " runAsNonRoot").isTrue();
      assertThat(pod.getSecurityContext().getSeccompProfile().getType()).as(name + " seccomp").isEqualTo("RuntimeDefault");
      assertThat(pod.getHostNetwork()).as(name + " hostNetwork").isNotEqualTo(Boolean.TRUE);
    });
    containers().forEach((where, c) -> {
      var sc = c.getSecurityContext();
      assertThat(sc).as(where + " securityContext").isNotNull();
      assertThat(sc.getPrivileged()).as(where + " privileged").isNotEqualTo(Boolean.TRUE);
      assertThat(sc.getAllowPrivilegeEscalation()).as(where + " allowPrivilegeEscalation").isFalse();
      assertThat(sc.getReadOnlyRootFilesystem()).as(where + " readOnlyRootFilesystem").isTrue();
      assertThat(sc.getCapabilities().getDrop()).as(where + " capabilities").containsExactly("ALL");
      assertThat(sc.getCapabilities().getAdd()).as(where + " added capabilities").isNullOrEmpty();
    });
  }

  @Test
  void imagesArePinnedAndNamedAfterTheService() {
    named(Deployment.class).forEach((name, d) -> {
      String image = d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
      if (name.equals("envoy")) {
        assertThat(image).isEqualTo("voyager/bdk-envoy:1.40.0");
      } else {
        assertThat(image).as(name).isEqualTo("voyager/bdk-" + name + ":0.1.0");
      }
    });
  }

  @Test
  void everyPodIsScrapedByPrometheusOnAPortItDeclares() {
    named(Deployment.class).forEach((name, d) -> {
      Map<String, String> annotations = d.getSpec().getTemplate().getMetadata().getAnnotations();
      assertThat(annotations).as(name).containsEntry("prometheus.io/scrape", "true").containsKeys("prometheus.io/port", "prometheus.io/path");
      int port = Integer.parseInt(annotations.get("prometheus.io/port"));
      assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts())
          .as(name + " declares its metrics port").anySatisfy(p -> assertThat(p.getContainerPort()).isEqualTo(port));
    });
  }

  @Test
  void everyServiceSelectsAWorkloadsPods() {
    named(Service.class).forEach((name, s) -> assertThat(podTemplates().values())
        .as("a Deployment or StatefulSet behind Service " + name)
        .anySatisfy(t -> assertThat(t.getMetadata().getLabels()).containsAllEntriesOf(s.getSpec().getSelector())));
  }

  @Test
  void serviceAccountsAndBindingsReferToThingsThatExist() {
    Set<String> accounts = named(ServiceAccount.class).keySet();
    podTemplates().forEach((name, t) ->
        assertThat(accounts).as(name + " service account").contains(t.getSpec().getServiceAccountName()));
    named(RoleBinding.class).values().forEach(b -> {
      assertThat(named(Role.class)).containsKey(b.getRoleRef().getName());
      b.getSubjects().forEach(s -> assertThat(accounts).contains(s.getName()));
    });
    named(ClusterRoleBinding.class).values().forEach(b -> {
      assertThat(named(ClusterRole.class)).containsKey(b.getRoleRef().getName());
      b.getSubjects().forEach(s -> assertThat(accounts).contains(s.getName()));
    });
  }

  @Test
  void noRuleGrantsWildcards() {
    Stream.concat(
            named(Role.class).values().stream().flatMap(r -> r.getRules().stream()),
            named(ClusterRole.class).values().stream().flatMap(r -> r.getRules().stream()))
        .forEach(rule -> {
          assertThat(rule.getVerbs()).doesNotContain("*", "escalate", "bind", "impersonate");
          assertThat(rule.getResources()).doesNotContain("*");
          assertThat(rule.getApiGroups()).doesNotContain("*");
        });
  }

  @Test
  void eachServiceGetsOnlyWhatItsJobNeeds() {
    assertThat(verbs(ClusterRole.class, "bdk-ext-authz", "secrets")).containsExactlyInAnyOrder("get", "watch");
    // get/update: a rotation keeps the current value beside the new one; list: the overlap sweep (by label)
    assertThat(verbs(ClusterRole.class, "bdk-library-service", "secrets"))
        .containsExactlyInAnyOrder("create", "delete", "get", "list", "update");
    assertThat(verbs(ClusterRole.class, "bdk-library-service", "namespaces")).containsExactly("get");
    assertThat(verbs(ClusterRole.class, "bdk-xds-server", "externalbookdefinitions/status")).containsExactly("patch", "update"); // update: the Accepted write-back after a NACK is a PUT
    assertThat(verbs(ClusterRole.class, "bdk-xds-server", "secrets")).isEmpty();
    assertThat(verbs(ClusterRole.class, "bdk-xds-server", "configmaps")).isEmpty();
    assertThat(named(Role.class).get("bdk-xds-server-jwks").getRules()).singleElement().satisfies(rule -> {
      assertThat(rule.getResources()).containsExactly("configmaps");
      assertThat(rule.getResourceNames()).as("the JWKS ConfigMap only").containsExactly("bdk-jwks");
      assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "list", "watch");
    });
    assertThat(named(Role.class).get("bdk-xds-server-edge-tls").getRules()).singleElement().satisfies(rule -> {
      assertThat(rule.getResources()).containsExactly("secrets");
      assertThat(rule.getResourceNames()).as("the edge TLS Secret only").containsExactly("bdk-edge-tls");
      assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "list", "watch");
    });
    assertThat(verbs(Role.class, "bdk-book-controller", "leases")).contains("create", "get", "update");
    assertThat(named(ServiceAccount.class).get("envoy").getAutomountServiceAccountToken()).isFalse();
  }

  @Test
  void theXdsServerGetsATokenRuleWithExactlyOneJwksSource() {
    List<String> args = named(Deployment.class).get("xds-server").getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    assertThat(args).anyMatch(a -> a.startsWith("--jwt-issuer=https://"));
    assertThat(args).anyMatch(a -> a.startsWith("--jwt-audience="));
    assertThat(args).filteredOn(a -> a.startsWith("--jwks-uri=") || a.startsWith("--jwks-configmap=") || a.startsWith("--jwks-secret="))
        .singleElement().satisfies(a -> assertThat(a).startsWith("--jwks-uri=https://"));
  }

  @Test
  void everyGrpcHopIsMutualTlsAndPlainHttpOnlyRedirects() {
    for (String service : List.of("xds-server", "ext-authz", "library-service")) {
      var pod = named(Deployment.class).get(service).getSpec().getTemplate().getSpec();
      assertThat(pod.getContainers().get(0).getArgs()).as(service)
          .contains("--tls-cert-file=/etc/bdk/tls/tls.crt", "--tls-key-file=/etc/bdk/tls/tls.key",
              "--tls-client-ca-file=/etc/bdk/tls/ca.crt")
          .doesNotContain("--plaintext");
      assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getSecret()).isNotNull());
    }
    List<String> xds = named(Deployment.class).get("xds-server").getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    assertThat(xds).contains("--plain-http=redirect", "--https-listener-port=8443", "--edge-tls-secret=bdk/bdk-edge-tls",
        "--upstream-tls=mtls", "--envoy-sds-dir=/etc/envoy/sds");
    assertThat(servicePort("envoy", "https")).isEqualTo(443);
    assertThat(named(ConfigMap.class).get("envoy-sds").getData()).containsKeys("internal-client.yaml", "internal-ca.yaml");
  }

  @Test
  void envoysBootstrapPointsAtTheXdsServerService() throws IOException {
    ConfigMap bootstrap = named(ConfigMap.class).get("envoy-bootstrap");
    JsonNode config = YAML.readTree(bootstrap.getData().get("bootstrap.yaml"));

    JsonNode xds = null;
    for (JsonNode cluster : config.at("/static_resources/clusters")) {
      if (cluster.get("name").asText().equals("xds_cluster")) {
        xds = cluster;
      }
    }
    assertThat(xds).isNotNull();
    JsonNode address = xds.at("/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address");
    assertThat(address.get("address").asText()).isEqualTo("xds-server.bdk.svc.cluster.local");
    assertThat(address.get("port_value").asInt()).isEqualTo(servicePort("xds-server", "grpc-xds"));
    assertThat(config.at("/admin/address/socket_address/address").asText()).isEqualTo("127.0.0.1");
    assertThat(config.at("/dynamic_resources/ads_config/grpc_services/0/envoy_grpc/cluster_name").asText())
        .isEqualTo("xds_cluster");
    // The copy asks for xDS as envoy/bootstrap.yaml does: same protocol, same bounded reconnect backoff.
    JsonNode project = YAML.readTree(deployDir.resolve("../../envoy/bootstrap.yaml").normalize().toFile());
    assertThat(config.at("/dynamic_resources")).as("dynamic_resources as in envoy/bootstrap.yaml")
        .isEqualTo(project.at("/dynamic_resources"));
    // ADS is mutual TLS, its certificate from the filesystem SDS files of ConfigMap envoy-sds.
    assertThat(xds.at("/transport_socket/typed_config/sni").asText()).isEqualTo("xds-server.bdk.svc");
    assertThat(xds.at("/transport_socket/typed_config/common_tls_context/tls_certificate_sds_secret_configs/0/sds_config/path_config_source/path")
        .asText()).isEqualTo("/etc/envoy/sds/internal-client.yaml");
  }

  private static List<String> verbs(Class<? extends HasMetadata> kind, String role, String resource) {
    List<PolicyRule> rules = kind == Role.class
        ? named(Role.class).get(role).getRules()
        : named(ClusterRole.class).get(role).getRules();
    return rules.stream().filter(r -> r.getResources().contains(resource))
        .flatMap(r -> r.getVerbs().stream()).distinct().toList();
  }

  private static int servicePort(String service, String portName) {
    return named(Service.class).get(service).getSpec().getPorts().stream()
        .filter(p -> portName.equals(p.getName())).findFirst().orElseThrow().getPort();
  }

  /** The pod templates of every Deployment and StatefulSet, by workload name. */
  private static Map<String, PodTemplateSpec> podTemplates() {
    Map<String, PodTemplateSpec> templates = new LinkedHashMap<>();
    named(Deployment.class).forEach((name, d) -> templates.put(name, d.getSpec().getTemplate()));
    named(StatefulSet.class).forEach((name, s) -> templates.put(name, s.getSpec().getTemplate()));
    return templates;
  }

  private static Map<String, Container> containers() {
    Map<String, Container> containers = new LinkedHashMap<>();
    podTemplates().forEach((name, template) -> {
      PodSpec pod = template.getSpec();
      Stream.concat(pod.getContainers().stream(),
              pod.getInitContainers() == null ? Stream.empty() : pod.getInitContainers().stream())
          .forEach(c -> containers.put(name + "/" + c.getName(), c));
    });
    assertThat(containers).isNotEmpty();
    return containers;
  }

  private static <T extends HasMetadata> Map<String, T> named(Class<T> kind) {
    return objects.stream().filter(kind::isInstance).map(kind::cast)
        .collect(Collectors.toMap(o -> o.getMetadata().getName(), o -> o));
  }

  private static String describe(HasMetadata o) {
    return o.getKind() + "/" + o.getMetadata().getName();
  }

  private static List<Path> manifestFiles() throws IOException {
    try (Stream<Path> files = Files.list(deployDir)) {
      return files.filter(p -> p.toString().endsWith(".yaml") && !p.endsWith("kustomization.yaml")).sorted().toList();
    }
  }

  private static Path findDeployDir() {
    String root = System.getProperty("project.root");
    List<Path> candidates = new ArrayList<>();
    if (root != null) {
      candidates.add(Path.of(root));
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      candidates.add(dir);
    }
    return candidates.stream().map(dir -> dir.resolve("k8s/deploy")).filter(Files::isDirectory).findFirst()
        .orElseThrow(() -> new IllegalStateException("k8s/deploy not found from " + Path.of("").toAbsolutePath()));
  }
}
