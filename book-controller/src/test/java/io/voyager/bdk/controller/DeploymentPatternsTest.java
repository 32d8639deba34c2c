package io.voyager.bdk.controller;

import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.ExternalBookDefinition;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class DeploymentPatternsTest {
  static final String NS = "customer-acme";
  KubernetesClient client;
  BookController controller;

  @BeforeEach
  void start() {
    Fixtures.namespace(client, BdkLabels.BDK_NAMESPACE);
    Fixtures.namespace(client, NS);
    client.resource(Fixtures.book(Fixtures.BOOK)).create();
    controller = ControllerHarness.start(client);
  }

  @AfterEach
  void stop() {
    controller.close();
  }

  @Test
  void secondaryBesidePrimaryHasDistinctNamesAndLabels() {
    create(client, Fixtures.instance("acme-a", Fixtures.spec(NS, "primary")));
    create(client, Fixtures.instance("acme-b", Fixtures.spec(NS, "secondary")));
    Deployment primary = awaitDeployment(client, NS, "acme-a");
    Deployment secondary = awaitDeployment(client, NS, "acme-b-secondary");
    assertThat(secondary.getMetadata().getLabels()).containsEntry(ManagedLabels.DEPLOYMENT_TYPE, "secondary");
    assertThat(secondary.getSpec().getSelector().getMatchLabels())
        .isNotEqualTo(primary.getSpec().getSelector().getMatchLabels());
    await().atMost(WAIT).until(() -> client.services().inNamespace(NS).withName("acme-b-secondary").get() != null);
    ExternalBookDefinition ebd = awaitEbd("acme-b");
    assertThat(ebd.getSpec().service().name()).isEqualTo("acme-b-secondary");
  }

  @Test
  void longPollingHasNoServiceAndNoWebhookRoute_webhookTriggeredHasBoth() {
    create(client, Fixtures.instance("poller", Fixtures.spec(NS, "long-polling")));
    create(client, Fixtures.instance("hooked", Fixtures.spec(NS, "webhook-triggered")));
    awaitDeployment(client, NS, "poller");
    awaitDeployment(client, NS, "hooked");
    ExternalBookDefinition poller = awaitEbd("poller");
    assertThat(poller.getSpec().service()).isNull();
    assertThat(poller.getSpec().externalIntegrations()).noneMatch(i -> "webhook".equals(i.type()));
    assertThat(client.services().inNamespace(NS).withName("poller").get()).isNull();
    assertThat(client.network().v1().networkPolicies().inNamespace(NS).withName("poller-ingress").get().getSpec().getIngress()).isEmpty();
    await().atMost(WAIT).until(() -> client.services().inNamespace(NS).withName("hooked").get() != null);
    assertThat(awaitEbd("hooked").getSpec().externalIntegrations()).anyMatch(i -> "webhook".equals(i.type()));
  }

  @Test
  void sharedInstancesRunOneDeploymentAndEachEbdNamesItsTenant_lastTenantGoneRemovesIt() {
    create(client, Fixtures.instance("tenant-a", Fixtures.spec(NS, "shared")));
    create(client, Fixtures.instance("tenant-b", Fixtures.spec(NS, "shared")));
    String shared = Fixtures.BOOK + "-shared";
    await().atMost(WAIT).until(() -> {
      Deployment d = client.apps().deployments().inNamespace(NS).withName(shared).get();
      return d != null && "tenant-a,tenant-b".equals(d.getMetadata().getAnnotations().get(ManagedLabels.TENANTS));
    });
    Deployment d = client.apps().deployments().inNamespace(NS).withName(shared).get();
    var mounts = d.getSpec().getTemplate().getSpec().getContainers().get(0).getVolumeMounts();
    assertThat(mounts).extracting(m -> m.getMountPath()).contains("/secrets/tenant-a", "/secrets/tenant-b");
    assertThat(client.apps().deployments().inNamespace(NS).list().getItems()).hasSize(1);
    for (String tenant : List.of("tenant-a", "tenant-b")) {
      ExternalBookDefinition ebd = awaitEbd(tenant);
      assertThat(ebd.getSpec().service().name()).isEqualTo(shared);
      assertThat(ebd.getSpec().instanceRef().name()).isEqualTo(tenant);
      assertThat(ebd.getSpec().externalIntegrations().get(0).authentication().secretRef().name()).isEqualTo(tenant + "-credentials");
    }
    markReady(client, NS, shared);
    awaitPhase(client, "tenant-a", BookInstanceDefinitionStatus.READY);
    awaitPhase(client, "tenant-b", BookInstanceDefinitionStatus.READY);

    client.resource(get(client, "tenant-a")).delete();
    await().atMost(WAIT).until(() -> get(client, "tenant-a") == null);
    await().atMost(WAIT).until(() -> "tenant-b".equals(
        client.apps().deployments().inNamespace(NS).withName(shared).get().getMetadata().getAnnotations().get(ManagedLabels.TENANTS)));
    assertThat(client.resources(ExternalBookDefinition.class).inNamespace(NS).withName("tenant-a").get()).isNull();

    client.resource(get(client, "tenant-b")).delete();
    await().atMost(WAIT).until(() -> client.apps().deployments().inNamespace(NS).withName(shared).get() == null
        && client.services().inNamespace(NS).withName(shared).get() == null);
  }

  @Test
  void tailscaleGetsSidecarStateSecretAndMinimalRbac_kernelModeAddsOnlyNetAdmin_offRemovesThem() {
    var spec = Fixtures.spec(NS, "primary");
    var tailscale = new BookInstanceDefinitionSpec.Networking(
        new BookInstanceDefinitionSpec.Tailscale(true, "acme-corp", List.of("customer"), null));
    create(client, Fixtures.instance("ts", withNetworking(spec, tailscale)));
    await().atMost(WAIT).until(() -> awaitDeployment(client, NS, "ts").getSpec().getTemplate().getSpec().getContainers().size() == 2);
    var pod = client.apps().deployments().inNamespace(NS).withName("ts").get().getSpec().getTemplate().getSpec();
    var sidecar = pod.getContainers().get(1);
    assertThat(sidecar.getName()).isEqualTo("tailscale");
    assertThat(sidecar.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
    assertThat(sidecar.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getServiceAccountName()).isEqualTo("ts-tailscale");
    var role = await().atMost(WAIT).until(() -> client.rbac().roles().inNamespace(NS).withName("ts-tailscale").get(), r -> r != null);
    assertThat(role.getRules()).singleElement().satisfies(rule -> {
      assertThat(rule.getResources()).containsExactly("secrets");
      assertThat(rule.getResourceNames()).containsExactly("ts-ts-state");
      assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "update", "patch");
    });
    assertThat(client.rbac().roleBindings().inNamespace(NS).withName("ts-tailscale").get().getSubjects())
        .singleElement().satisfies(s -> assertThat(s.getName()).isEqualTo("ts-tailscale"));
    assertThat(client.secrets().inNamespace(NS).withName("ts-ts-state").get()).isNotNull();
    assertThat(client.serviceAccounts().inNamespace(NS).withName("ts-tailscale").get()).isNotNull();

    var kernel = new BookInstanceDefinitionSpec.Networking(
        new BookInstanceDefinitionSpec.Tailscale(true, "acme-corp", List.of("customer"), "kernel"));
    update("ts", withNetworking(spec, kernel));
    await().atMost(WAIT).until(() -> {
      var c = client.apps().deployments().inNamespace(NS).withName("ts").get().getSpec().getTemplate().getSpec().getContainers().get(1);
      return c.getSecurityContext().getCapabilities().getAdd() != null && c.getSecurityContext().getCapabilities().getAdd().equals(List.of("NET_ADMIN"));
    });
    var book = client.apps().deployments().inNamespace(NS).withName("ts").get().getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(book.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();

    update("ts", withNetworking(spec, null));
    await().atMost(WAIT).until(() -> client.rbac().roles().inNamespace(NS).withName("ts-tailscale").get() == null
        && client.rbac().roleBindings().inNamespace(NS).withName("ts-tailscale").get() == null
        && client.serviceAccounts().inNamespace(NS).withName("ts-tailscale").get() == null
        && client.secrets().inNamespace(NS).withName("ts-ts-state").get() == null);
    assertThat(client.apps().deployments().inNamespace(NS).withName("ts").get().getSpec().getTemplate().getSpec().getContainers()).hasSize(1);
  }

  @Test
  void specChangeAndCredentialRotationRollThePods_scalingBoundsMakeAnAutoscaler() {
    create(client, Fixtures.instance("roll", Fixtures.spec(NS, "primary")));
    awaitDeployment(client, NS, "roll");
    String first = configHash(client, NS, "roll");

    var spec = Fixtures.spec(NS, "primary");
    var changed = new BookInstanceDefinitionSpec(spec.bookRef(), spec.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", 2, spec.deployment().resources(),
            new BookInstanceDefinitionSpec.Scaling(2, 6, 70)),
        null, spec.credentials(),
        new BookInstanceDefinitionSpec.Configuration("production", "info", Map.of("max_tickets_per_hour", 200)), spec.webhooks());
    update("roll", changed);
    await().atMost(WAIT).until(() -> !first.equals(configHash(client, NS, "roll")));
    var hpa = await().atMost(WAIT).until(
        () -> client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).withName("roll").get(), h -> h != null);
    assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(2);
    assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(6);
    String second = configHash(client, NS, "roll");

    client.secrets().inNamespace(NS).withName("roll-credentials").edit(credentials -> {
      credentials.setData(Map.of("zendesk_signing_key", Base64.getEncoder().encodeToString("rotated".getBytes(StandardCharsets.UTF_8))));
      return credentials;
    });
    await().atMost(WAIT).until(() -> !second.equals(configHash(client, NS, "roll")));
  }

  @Test
  void deletingAnInstanceRemovesEverythingMadeForIt() {
    var spec = Fixtures.spec(NS, "primary");
    var tailscale = new BookInstanceDefinitionSpec.Networking(new BookInstanceDefinitionSpec.Tailscale(true, "acme", null, null));
    create(client, Fixtures.instance("gone", withNetworking(spec, tailscale)));
    await().atMost(WAIT).until(() -> client.rbac().roleBindings().inNamespace(NS).withName("gone-tailscale").get() != null
        && client.resources(ExternalBookDefinition.class).inNamespace(NS).withName("gone").get() != null);
    create(client, Fixtures.instance("stays", Fixtures.spec(NS, "primary")));
    awaitDeployment(client, NS, "stays");

    client.resource(get(client, "gone")).delete();
    await().atMost(WAIT).until(() -> get(client, "gone") == null);
    await().atMost(WAIT).until(() -> madeFor("gone").isEmpty());
    assertThat(client.apps().deployments().inNamespace(NS).withName("stays").get()).isNotNull();
  }

  @Test
  void invalidInstancesFailWithAMessageWhileValidOnesBecomeReady() {
    create(client, Fixtures.instance("good", Fixtures.spec(NS, "primary")));
    var unknownBook = Fixtures.spec(NS, "primary");
    create(client, Fixtures.instance("no-book", new BookInstanceDefinitionSpec(
        new BookInstanceDefinitionSpec.BookRef("nope", null), unknownBook.customer(), unknownBook.deployment(),
        null, null, null, null)));
    create(client, Fixtures.instance("no-ns", Fixtures.spec("customer-missing", "primary")));
    var s = Fixtures.spec(NS, "primary");
    create(client, Fixtures.instance("bad-cpu", new BookInstanceDefinitionSpec(s.bookRef(), s.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", 1, new BookInstanceDefinitionSpec.Resources("lots", "1Gi", null, null), null),
        null, null, null, null)));
    create(client, Fixtures.instance("bad-type", Fixtures.spec(NS, "sideways")));

    assertThat(failure("no-book")).contains("spec.bookRef.name").contains("nope");
    assertThat(failure("no-ns")).contains("spec.customer.namespace").contains("customer-missing");
    assertThat(failure("bad-cpu")).contains("spec.deployment.resources.cpu").contains("lots");
    assertThat(failure("bad-type")).contains("spec.deployment.type").contains("sideways");
    markReady(client, NS, awaitDeployment(client, NS, "good").getMetadata().getName());
    awaitPhase(client, "good", BookInstanceDefinitionStatus.READY);
    assertThat(client.apps().deployments().inNamespace(NS).withName("bad-cpu").get()).isNull();

    // The missing namespace appears: the instance recovers without being touched.
    Fixtures.namespace(client, "customer-missing");
    awaitPhase(client, "no-ns", BookInstanceDefinitionStatus.PENDING);
  }

  private String failure(String name) {
    BookInstanceDefinitionStatus status = awaitPhase(client, name, BookInstanceDefinitionStatus.FAILED);
    assertThat(status.conditions()).anySatisfy(c -> assertThat(c.observedGeneration()).isEqualTo(get(client, name).getMetadata().getGeneration()));
    return status.conditions().stream().filter(c -> "Valid".equals(c.type())).findFirst().orElseThrow().message();
  }

  private List<HasMetadata> madeFor(String instance) {
    List<HasMetadata> found = new java.util.ArrayList<>();
    for (Class<? extends HasMetadata> kind : SecondaryCaches.MANAGED_KINDS) {
      found.addAll(client.resources(kind).inNamespace(NS).withLabel(BdkLabels.INSTANCE_NAME, instance).list().getItems());
    }
    return found;
  }

  private ExternalBookDefinition awaitEbd(String name) {
    return await().atMost(WAIT).until(
        () -> client.resources(ExternalBookDefinition.class).inNamespace(NS).withName(name).get(), e -> e != null);
  }

  private void update(String name, BookInstanceDefinitionSpec spec) {
    // The controller writes status concurrently: retry on 409 as any API client would.
    await().atMost(WAIT).ignoreExceptions().until(() -> client.resources(BookInstanceDefinition.class)
        .inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).edit(current -> {
          current.setSpec(spec);
          return current;
        }) != null);
  }

  private static BookInstanceDefinitionSpec withNetworking(BookInstanceDefinitionSpec s, BookInstanceDefinitionSpec.Networking n) {
    return new BookInstanceDefinitionSpec(s.bookRef(), s.customer(), s.deployment(), n, s.credentials(), s.configuration(), s.webhooks());
  }
}
