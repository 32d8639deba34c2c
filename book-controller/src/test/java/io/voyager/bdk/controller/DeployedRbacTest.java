package io.voyager.bdk.controller;

import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.NamespaceGuardrails;
import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.Organization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The controller running with exactly the RBAC of k8s/deploy/book-controller.yaml (impersonating its
 * ServiceAccount), on a real API server, which enforces it: leader election on the Lease the Role
 * names, finalizers, status (the instance's and its ExternalBookDefinition's), every kind it makes
 * (the Tailscale Role included, which RBAC only lets a holder of those permissions create) and
 * cleanup on delete; an Organization's finalizer, status, namespace guardrails and labels, and their
 * removal.
 */
@ExtendWith(RealApiServer.class)
class DeployedRbacTest {
  static final String NS = "customer-rbac";
  static final String SERVICE_ACCOUNT = "book-controller";
  static final Set<Class<? extends HasMetadata>> RBAC_KINDS =
      Set.of(ServiceAccount.class, Role.class, RoleBinding.class, ClusterRole.class, ClusterRoleBinding.class);
  static KubernetesClient admin;
  static KubernetesClient asController;

  @BeforeAll
  static void applyDeployedRbac(KubernetesClient apiServer, RealApiServer.KubeConfigYaml kubeConfig) throws IOException {
    admin = apiServer;
    Fixtures.namespace(admin, NS);
    Fixtures.applyBook(admin, Fixtures.book(Fixtures.BOOK));
    try (InputStream in = Files.newInputStream(deployDir().resolve("book-controller.yaml"))) {
      for (HasMetadata item : admin.load(in).items()) {
        if (RBAC_KINDS.contains(item.getClass())) {
          admin.resource(item).fieldManager("bdk-tests").forceConflicts().serverSideApply();
        }
      }
    }
    Config config = Config.fromKubeconfig(kubeConfig.yaml());
    config.setImpersonateUsername("system:serviceaccount:" + BdkLabels.BDK_NAMESPACE + ":" + SERVICE_ACCOUNT);
    config.setImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + BdkLabels.BDK_NAMESPACE, "system:authenticated");
    asController = new KubernetesClientBuilder().withConfig(config).build();
  }

  @AfterAll
  static void close() {
    if (asController != null) {
      asController.close();
    }
  }

  @Test
  void theDeployedRbacIsEnoughToLeadReconcileAndCleanUp() {
    // Sanity: the impersonated client really is held to the manifest (no access outside it).
    assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(KubernetesClientException.class,
        () -> asController.configMaps().inNamespace(NS).list()).getCode()).isEqualTo(403);

    var election = new BookController.LeaderElection("book-controller", BdkLabels.BDK_NAMESPACE, "rbac-test",
        Duration.ofSeconds(4), Duration.ofSeconds(3), Duration.ofMillis(500), false);
    try (BookController controller = BookController.start(
        asController, ControllerSettings.defaults(), new SimpleMeterRegistry(), Optional.of(election), 2)) {
      await().atMost(WAIT).until(() -> {
        Lease lease = admin.leases().inNamespace(BdkLabels.BDK_NAMESPACE).withName("book-controller").get();
        return lease != null && "rbac-test".equals(lease.getSpec().getHolderIdentity());
      });

      var spec = Fixtures.spec(NS, "primary");
      var tailscale = new BookInstanceDefinitionSpec.Networking(
          new BookInstanceDefinitionSpec.Tailscale(true, "acme-corp", List.of("customer"), null));
      create(admin, Fixtures.instance("rbac", Fixtures.withTailscale(new BookInstanceDefinitionSpec(spec.bookRef(), spec.customer(),
          new BookInstanceDefinitionSpec.Deployment("primary", 2, spec.deployment().resources(),
              new BookInstanceDefinitionSpec.Scaling(2, 4, 70)),
          null, spec.credentials(), spec.configuration(), spec.webhooks()), tailscale.tailscale())));
      await().atMost(WAIT).until(() -> admin.rbac().roleBindings().inNamespace(NS).withName("rbac-tailscale").get() != null
          && admin.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).withName("rbac").get() != null
          && admin.resources(ExternalBookDefinition.class).inNamespace(NS).withName("rbac").get() != null);
      markReady(admin, NS, "rbac");
      awaitPhase(admin, "rbac", BookInstanceDefinitionStatus.READY);
      // The ExternalBookDefinition's status subresource too (phase and replicas are the controller's).
      await().atMost(WAIT).until(() -> {
        ExternalBookDefinition book = admin.resources(ExternalBookDefinition.class).inNamespace(NS).withName("rbac").get();
        return book.getStatus() != null && BookInstanceDefinitionStatus.READY.equals(book.getStatus().phase());
      });

      deleteAllInstances(admin);
      for (Class<? extends HasMetadata> kind : SecondaryCaches.MANAGED_KINDS) {
        assertThat(admin.resources(kind).inNamespace(NS).withLabel(BdkLabels.INSTANCE_NAME, "rbac").list().getItems())
            .as("%s left behind", kind.getSimpleName()).isEmpty();
      }

      // An Organization: its finalizer and status, the guardrails in its namespace, the namespace's
      // labels, and all of it removed again when the Organization goes.
      admin.resource(Fixtures.organization("rbac-org", Fixtures.ACME_QUOTAS, NS)).create();
      var organizations = admin.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE);
      await().atMost(WAIT).until(() -> {
        Organization org = organizations.withName("rbac-org").get();
        return org.getStatus() != null && org.getStatus().conditions().stream()
            .anyMatch(c -> "Ready".equals(c.type()) && "True".equals(c.status()));
      });
      for (Class<? extends HasMetadata> kind : OrganizationCaches.MANAGED_KINDS) {
        assertThat(admin.resources(kind).inNamespace(NS).withLabel(BdkLabels.ORGANIZATION, "rbac-org").list().getItems())
            .as("%s made", kind.getSimpleName()).hasSize(1);
      }
      assertThat(admin.namespaces().withName(NS).get().getMetadata().getLabels())
          .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
      organizations.withName("rbac-org").delete();
      await().atMost(WAIT).until(() -> organizations.withName("rbac-org").get() == null);
      for (Class<? extends HasMetadata> kind : OrganizationCaches.MANAGED_KINDS) {
        assertThat(admin.resources(kind).inNamespace(NS).withLabel(BdkLabels.ORGANIZATION, "rbac-org").list().getItems())
            .as("%s left behind", kind.getSimpleName()).isEmpty();
      }
      assertThat(admin.namespaces().withName(NS).get().getMetadata().getLabels())
          .doesNotContainKeys(NamespaceGuardrails.NAMESPACE_LABELS.toArray(String[]::new));
    }
  }

  private static Path deployDir() {
    String configured = System.getProperty("bdk.deploy.dir");
    return configured != null ? Path.of(configured) : Path.of("..", "k8s", "deploy");
  }
}
