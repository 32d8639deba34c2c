package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * k8s/deploy's admission policy and NetworkPolicies on a real kube-apiserver (kube-api-test, 1.34:
 * admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy is GA since 1.30). The services'
 * ServiceAccounts act with real tokens (TokenRequest) and exactly their k8s/deploy RBAC: a write
 * RBAC grants cluster-wide is refused by the policy outside customer-* namespaces and goes through
 * inside one; reads are not admission's business (a VAP never sees them). The whole k8s/deploy
 * bundle, as {@code kubectl apply -k} builds it, passes a server-side dry run.
 */
@EnableKubeAPIServer
class DeployedPoliciesEndToEndTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String BDK = BdkLabels.BDK_NAMESPACE;
  static final String CUSTOMER = "customer-policy";
  static final String POLICY_SAYS = "only in customer-* namespaces";

  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;

  static KubernetesClient admin;
  static ServiceAccountIdentity controller;
  static ServiceAccountIdentity library;
  static ServiceAccountIdentity extAuthz;
  static Path root;

  @BeforeAll
  static void deploy() throws Exception {
    admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    root = ProjectRoot.get();
    DeployedManifests.crdsNamespaceAndRbac(admin, root, List.of("book-controller", "library-service", "ext-authz", "xds-server"), WAIT);
    List<HasMetadata> policy = DeployedManifests.apply(admin, root.resolve("k8s/deploy/admission-policy.yaml"), item -> true);
    assertThat(policy).hasExactlyElementsOfTypes(ValidatingAdmissionPolicy.class, ValidatingAdmissionPolicyBinding.class,
        ValidatingAdmissionPolicy.class, ValidatingAdmissionPolicyBinding.class);
    new LocalServiceEndpoints(admin).ensureNamespace(CUSTOMER);

    controller = ServiceAccountIdentity.of(admin, kubeConfigYaml, dir, "book-controller");
    library = ServiceAccountIdentity.of(admin, kubeConfigYaml, dir, "library-service");
    extAuthz = ServiceAccountIdentity.of(admin, kubeConfigYaml, dir, "ext-authz");

    // The API server loads a new policy within a second or so: until it refuses, nothing is in
    // force (a dry run leaves nothing behind meanwhile).
    await("the admission policy is in force").atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
      KubernetesClientException e = catchThrowableOfType(KubernetesClientException.class,
          () -> controller.client().resource(secret("kube-system", "probe")).dryRun().create());
      return e != null && e.getCode() == 403 && e.getMessage().contains(POLICY_SAYS);
    });
    // The Lease policy is loaded on its own: wait for it too (a dry-run patch of a probe Lease).
    admin.resource(new LeaseBuilder().withNewMetadata().withName("policy-probe").withNamespace("kube-system").endMetadata().build())
        .create();
    await("the Lease admission policy is in force").atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
      KubernetesClientException e = catchThrowableOfType(KubernetesClientException.class,
          () -> extAuthz.client().leases().inNamespace("kube-system").withName("policy-probe").dryRun()
              .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                  "{\"metadata\":{\"annotations\":{\"bdk.voyager.io/last-webhook\":\"2026-01-01T00:00:00Z\"}}}"));
      return e != null && e.getCode() == 403 && e.getMessage().contains("may write leases only in bdk and customer-* namespaces");
    });
  }

  @AfterAll
  static void stop() {
    for (ServiceAccountIdentity identity : new ServiceAccountIdentity[] {controller, library, extAuthz}) {
      if (identity != null) {
        identity.close();
      }
    }
    if (admin != null) {
      admin.close();
    }
  }

  @Test
  void theControllerWritesSecretsAndRbacOnlyInCustomerNamespaces() {
    KubernetesClient sa = controller.client();
    for (String namespace : List.of("kube-system", BDK, "default")) {
      KubernetesClientException refused = refusal(() -> sa.resource(secret(namespace, "planted")).create());
      assertThat(refused.getCode()).isEqualTo(403);
      assertThat(refused.getMessage())
          .contains("system:serviceaccount:bdk:book-controller may write secrets only in customer-* namespaces, not in namespace "
              + namespace);
      assertThat(admin.secrets().inNamespace(namespace).withName("planted").get()).isNull();
    }
    assertThat(sa.resource(secret(CUSTOMER, "support-credentials")).create().getMetadata().getUid()).isNotBlank();

    // Updating or deleting what exists outside customer namespaces is refused too.
    admin.resource(secret("kube-system", "cluster-secret")).create();
    assertThat(refusal(() -> sa.secrets().inNamespace("kube-system").withName("cluster-secret")
        .edit(s -> new SecretBuilder(s).addToStringData("extra", "x").build())).getCode()).isEqualTo(403);
    assertThat(refusal(() -> sa.secrets().inNamespace("kube-system").withName("cluster-secret").delete()).getCode())
        .isEqualTo(403);
    assertThat(admin.secrets().inNamespace("kube-system").withName("cluster-secret").get()).isNotNull();

    // RBAC objects and ExternalBookDefinitions likewise: binding a Role it holds (RBAC lets it, as
    // it makes the Tailscale sidecar's RoleBinding) is refused in kube-system.
    admin.resource(new io.fabric8.kubernetes.api.model.rbac.RoleBuilder().withNewMetadata().withName("secret-reader")
        .withNamespace("kube-system").endMetadata()
        .addNewRule().withApiGroups("").withResources("secrets").withVerbs("get").endRule().build()).create();
    var binding = new RoleBindingBuilder().withNewMetadata().withName("grab").withNamespace("kube-system").endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName("secret-reader").endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName("book-controller").withNamespace(BDK).endSubject().build();
    assertThat(refusal(() -> sa.resource(binding).create()).getMessage()).contains(POLICY_SAYS);
    ExternalBookDefinition book = new ExternalBookDefinition();
    book.getMetadata().setNamespace(BDK);
    book.getMetadata().setName("stray");
    book.setSpec(new ExternalBookDefinitionSpec("t", "1.0.0", List.of(), null, null, null, null, null));
    assertThat(refusal(() -> sa.resource(book).create()).getMessage()).contains(POLICY_SAYS);
    book.getMetadata().setNamespace(CUSTOMER);
    assertThat(sa.resource(book).create()).isNotNull();
  }

  /** An Organization's guardrails: quotas, limit ranges and namespace labels, only for customer namespaces. */
  @Test
  void theControllersOrganizationGuardrailsOnlyTouchCustomerNamespaces() {
    KubernetesClient sa = controller.client();
    var quota = new io.fabric8.kubernetes.api.model.ResourceQuotaBuilder().withNewMetadata().withName("squeeze")
        .withNamespace("kube-system").endMetadata().withNewSpec().addToHard("pods", new io.fabric8.kubernetes.api.model.Quantity("0"))
        .endSpec().build();
    assertThat(refusal(() -> sa.resource(quota).create()).getMessage())
        .contains("may write resourcequotas " + POLICY_SAYS + ", not in namespace kube-system");
    quota.getMetadata().setNamespace(CUSTOMER);
    assertThat(sa.resource(quota).create()).isNotNull();

    KubernetesClientException relabel = refusal(() -> sa.namespaces().withName("kube-system")
        .edit(n -> new io.fabric8.kubernetes.api.model.NamespaceBuilder(n).editMetadata()
            .addToLabels("pod-security.kubernetes.io/enforce", "privileged").endMetadata().build()));
    assertThat(relabel.getCode()).isEqualTo(403);
    assertThat(relabel.getMessage()).contains("may write namespaces " + POLICY_SAYS + ", not in namespace kube-system");
    assertThat(sa.namespaces().withName(CUSTOMER).edit(n -> new io.fabric8.kubernetes.api.model.NamespaceBuilder(n)
        .editMetadata().addToLabels("pod-security.kubernetes.io/enforce", "restricted").endMetadata().build())
        .getMetadata().getLabels()).containsEntry("pod-security.kubernetes.io/enforce", "restricted");
  }

  @Test
  void whatTheServicesLegitimatelyWriteInBdkIsNotMatched() {
    // Leader election: the controller's Lease in bdk.
    var lease = new LeaseBuilder().withNewMetadata().withName("book-controller").withNamespace(BDK).endMetadata()
        .withNewSpec().withHolderIdentity("test").endSpec().build();
    assertThat(controller.client().resource(lease).create()).isNotNull();
  }

  @Test
  void theLibraryCreatesCredentialsOnlyInCustomerNamespaces() {
    KubernetesClientException refused = refusal(() -> library.client().resource(secret("kube-system", "credentials")).create());
    assertThat(refused.getCode()).isEqualTo(403);
    assertThat(refused.getMessage()).as("refused by the policy, not RBAC (which grants create cluster-wide)")
        .contains("system:serviceaccount:bdk:library-service may write secrets " + POLICY_SAYS);
    assertThat(library.client().resource(secret(CUSTOMER, "instance-credentials")).create()).isNotNull();
  }

  /**
   * ext-authz writes only the last-webhook annotation of wake Leases (RBAC: patch), and only in
   * customer-* namespaces (the Lease policy); the controller's Leases are held to bdk and customer-*.
   */
  @Test
  void wakeLeasesAreWrittenOnlyInCustomerNamespaces() {
    for (String namespace : List.of(CUSTOMER, "kube-system")) {
      admin.resource(new LeaseBuilder().withNewMetadata().withName("book-wake").withNamespace(namespace)
          .addToLabels("bdk.voyager.io/wake-lease", "true").endMetadata().build()).create();
    }
    String patch = "{\"metadata\":{\"annotations\":{\"bdk.voyager.io/last-webhook\":\"2026-01-01T00:00:00Z\"}}}";
    assertThat(extAuthz.client().leases().inNamespace(CUSTOMER).withName("book-wake")
        .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), patch)
        .getMetadata().getAnnotations()).containsEntry("bdk.voyager.io/last-webhook", "2026-01-01T00:00:00Z");
    KubernetesClientException refused = refusal(() -> extAuthz.client().leases().inNamespace("kube-system").withName("book-wake")
        .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), patch));
    assertThat(refused.getCode()).isEqualTo(403);
    assertThat(refused.getMessage()).contains("system:serviceaccount:bdk:ext-authz may write leases only in bdk and customer-* namespaces, "
        + "not in namespace kube-system");
    KubernetesClientException planted = refusal(() -> controller.client().resource(new LeaseBuilder().withNewMetadata()
        .withName("kube-scheduler").withNamespace("kube-system").endMetadata().build()).create());
    assertThat(planted.getCode()).isEqualTo(403);
    KubernetesClientException created = refusal(() -> extAuthz.client().resource(new LeaseBuilder().withNewMetadata()
        .withName("other").withNamespace(CUSTOMER).endMetadata().build()).create());
    assertThat(created.getMessage()).as("RBAC: ext-authz only patches Leases").contains("cannot create resource");
  }

  /** Reads are outside admission: RBAC and ext-authz's own Secret-reference rule are what hold them. */
  @Test
  void extAuthzWritesNoSecretAndItsReadsAreNotAdmissionsToRestrict() {
    admin.resource(secret("kube-system", "read-me")).create();
    assertThat(extAuthz.client().secrets().inNamespace("kube-system").withName("read-me").get())
        .as("a get is never seen by a ValidatingAdmissionPolicy").isNotNull();
    KubernetesClientException write = refusal(() -> extAuthz.client().resource(secret(CUSTOMER, "x-credentials")).create());
    assertThat(write.getCode()).isEqualTo(403);
    assertThat(write.getMessage()).as("RBAC grants ext-authz no Secret write").contains("cannot create resource");
  }

  @Test
  void theNetworkPoliciesAreCreatedByTheApiServerAsWritten() throws IOException {
    List<HasMetadata> created = new ArrayList<>();
    try (InputStream in = Files.newInputStream(root.resolve("k8s/deploy/network-policies.yaml"))) {
      for (HasMetadata item : admin.load(in).items()) {
        assertThat(item).isInstanceOf(NetworkPolicy.class);
        created.add(admin.resource(item).create());
      }
    }
    assertThat(created).extracting(p -> p.getMetadata().getName()).contains("default-deny", "envoy", "xds-server",
        "library-service", "ext-authz", "book-controller", "webhook-relay", "nats", "allow-dns", "allow-apiserver");
    NetworkPolicy stored = admin.network().v1().networkPolicies().inNamespace(BDK).withName("envoy").get();
    assertThat(stored.getSpec().getEgress()).as("xds-server, ext-authz, library-service, webhook-relay, books, JWKS").hasSize(6);
    assertThat(stored.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
  }

  /** What an operator runs: {@code kubectl apply -k k8s/deploy}, here as a server-side (apply) dry run of the kustomize build. */
  @Test
  void theWholeDeployBundlePassesAServerSideDryRun() throws Exception {
    Path kubectl = kubectl();
    Process build = new ProcessBuilder(kubectl.toString(), "kustomize", root.resolve("k8s/deploy").toString())
        .redirectErrorStream(false).start();
    byte[] bundle = build.getInputStream().readAllBytes();
    String errors = new String(build.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(build.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(build.exitValue()).as(errors).isZero();
    List<String> kinds = new ArrayList<>();
    for (HasMetadata item : admin.load(new ByteArrayInputStream(bundle)).items()) {
      kinds.add(item.getKind());
      if (item instanceof Namespace) {
        continue; // already there
      }
      HasMetadata checked = admin.resource(item).dryRun().fieldManager("bdk-bundle").forceConflicts().serverSideApply();
      assertThat(checked).as(item.getKind() + " " + item.getMetadata().getName()).isNotNull();
    }
    assertThat(kinds).contains("NetworkPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "Deployment", "ClusterRole");
  }

  // ---- fixtures ----

  private static Secret secret(String namespace, String name) {
    return new SecretBuilder().withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .withStringData(Map.of("key", "value")).build();
  }

  private static KubernetesClientException refusal(Runnable call) {
    KubernetesClientException e = catchThrowableOfType(KubernetesClientException.class, call::run);
    assertThat(e).as("expected the API server to refuse").isNotNull();
    return e;
  }



  /** The kubectl kube-api-test's binaries came with ({@code $KUBE_API_TEST_DIR/k8s/<version>/kubectl}). */
  private static Path kubectl() throws IOException {
    String base = System.getenv().getOrDefault("KUBE_API_TEST_DIR",
        System.getProperty("user.home") + "/.cache/bdk/kube-api-test");
    try (Stream<Path> versions = Files.list(Path.of(base, "k8s"))) {
      return versions.map(v -> v.resolve("kubectl")).filter(Files::isExecutable).sorted().reduce((a, b) -> b)
          .orElseThrow(() -> new AssertionError("no kubectl under " + base + "/k8s (make kube-apiserver builds it)"));
    }
  }
}
