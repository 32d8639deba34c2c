package io.voyager.bdk.controller;

import io.voyager.bdk.controller.desired.ManagedLabels;
import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.voyager.bdk.controller.desired.ControllerSettings;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.RateLimit;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each deployment type, Tailscale on and off, updates, credential rotation, deletion and invalid
 * specs, on a real kube-apiserver: one controller for the class, a fresh customer namespace per test.
 */
class DeploymentPatternsTest extends ControllerOnRealApiTest {
  double failedBefore;

  @Override
  ControllerSettings settings() {
    return ControllerSettings.defaults().withTailscaleKernelAllowed(true);
  }

  @Override
  String namespacePrefix() {
    return "customer-patterns-";
  }

  @BeforeEach
  void countFailures() {
    failedBefore = failedReconciliations();
  }

  @AfterEach
  void noFailedReconciliations() {
    deleteAllInstances(client); // first, so the deletions' reconciliations are counted too
    // Conflicts with concurrent writers (other tenants, status writers) are the controller's to
    // handle, not reasons to fail a reconciliation and back off.
    assertThat(failedReconciliations()).as("failed reconciliations").isEqualTo(failedBefore);
  }

  private double failedReconciliations() {
    return controller.count("operator.sdk.controllers.execution.reconcile.failure");
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
  void sharedTenantsArrivingTogetherAllJoinTheOneDeployment() {
    List<String> tenants = List.of("crowd-a", "crowd-b", "crowd-c", "crowd-d", "crowd-e", "crowd-f");
    tenants.forEach(t -> create(client, Fixtures.instance(t, Fixtures.spec(NS, "shared"))));
    String shared = Fixtures.BOOK + "-shared";
    await().atMost(WAIT).until(() -> {
      Deployment d = client.apps().deployments().inNamespace(NS).withName(shared).get();
      var service = client.services().inNamespace(NS).withName(shared).get();
      String all = String.join(",", tenants);
      return d != null && service != null
          && all.equals(d.getMetadata().getAnnotations().get(ManagedLabels.TENANTS))
          && all.equals(service.getMetadata().getAnnotations().get(ManagedLabels.TENANTS));
    });
    var pod = client.apps().deployments().inNamespace(NS).withName(shared).get().getSpec().getTemplate().getSpec();
    assertThat(pod.getContainers().get(0).getVolumeMounts()).extracting(m -> m.getMountPath())
        .containsAll(tenants.stream().map(t -> "/secrets/" + t).toList());
    markReady(client, NS, shared);
    tenants.forEach(t -> awaitPhase(client, t, BookInstanceDefinitionStatus.READY));
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
    long firstGeneration = awaitDeployment(client, NS, "roll").getMetadata().getGeneration();
    String first = configHash(client, NS, "roll");
    markReady(client, NS, "roll");
    awaitPhase(client, "roll", BookInstanceDefinitionStatus.READY);

    var spec = Fixtures.spec(NS, "primary");
    var changed = new BookInstanceDefinitionSpec(spec.bookRef(), spec.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", 2, spec.deployment().resources(),
            new BookInstanceDefinitionSpec.Scaling(2, 6, 70)),
        null, spec.credentials(),
        new BookInstanceDefinitionSpec.Configuration("production", "info", Map.of("max_tickets_per_hour", 200)), spec.webhooks());
    update("roll", changed);
    await().atMost(WAIT).until(() -> !first.equals(configHash(client, NS, "roll")));
    // The API server bumped the Deployment's generation; until it is rolled out the instance is Updating.
    assertThat(client.apps().deployments().inNamespace(NS).withName("roll").get().getMetadata().getGeneration())
        .isGreaterThan(firstGeneration);
    BookInstanceDefinitionStatus updating = awaitPhase(client, "roll", BookInstanceDefinitionStatus.UPDATING);
    assertThat(updating.observedGeneration()).isEqualTo(get(client, "roll").getMetadata().getGeneration());
    markReady(client, NS, "roll");
    awaitPhase(client, "roll", BookInstanceDefinitionStatus.READY);
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
    awaitPhase(client, "roll", BookInstanceDefinitionStatus.UPDATING);
  }

  @Test
  void anAutoscaledInstanceStartsAtItsMinimumAndKeepsTheAutoscalersCount() {
    var spec = Fixtures.spec(NS, "primary");
    var scaled = new BookInstanceDefinitionSpec(spec.bookRef(), spec.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", null, spec.deployment().resources(),
            new BookInstanceDefinitionSpec.Scaling(3, 6, 70)),
        null, spec.credentials(), spec.configuration(), spec.webhooks());
    create(client, Fixtures.instance("scaled", scaled));
    assertThat(awaitDeployment(client, NS, "scaled").getSpec().getReplicas()).isEqualTo(3);

    // The autoscaler scales out; a later change to the instance must not undo that.
    client.apps().deployments().inNamespace(NS).withName("scaled").scale(5);
    String hash = configHash(client, NS, "scaled");
    update("scaled", new BookInstanceDefinitionSpec(scaled.bookRef(), scaled.customer(), scaled.deployment(), null,
        scaled.credentials(), new BookInstanceDefinitionSpec.Configuration("production", "warn", null), scaled.webhooks()));
    await().atMost(WAIT).until(() -> !hash.equals(configHash(client, NS, "scaled")));
    assertThat(client.apps().deployments().inNamespace(NS).withName("scaled").get().getSpec().getReplicas()).isEqualTo(5);
  }

  @Test
  void aCredentialsSecretTheLibraryWroteFirstIsAdoptedWithItsValues_rotationRollsThePods() {
    client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName("early-credentials").withNamespace(NS).endMetadata()
        .addToStringData("zendesk_signing_key", "first").build()).create();
    create(client, Fixtures.instance("early", Fixtures.spec(NS, "primary")));
    await().atMost(WAIT).until(() -> "early".equals(
        client.secrets().inNamespace(NS).withName("early-credentials").get().getMetadata().getLabels().get(BdkLabels.INSTANCE_NAME)));
    assertThat(client.secrets().inNamespace(NS).withName("early-credentials").get().getData())
        .containsEntry("zendesk_signing_key", base64("first"));
    awaitDeployment(client, NS, "early");
    markReady(client, NS, "early");
    awaitPhase(client, "early", BookInstanceDefinitionStatus.READY);
    String hash = configHash(client, NS, "early");

    client.secrets().inNamespace(NS).withName("early-credentials").edit(secret -> {
      secret.setData(Map.of("zendesk_signing_key", base64("second")));
      return secret;
    });
    await().atMost(WAIT).until(() -> !hash.equals(configHash(client, NS, "early")));
    awaitPhase(client, "early", BookInstanceDefinitionStatus.UPDATING);
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
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
    create(client, Fixtures.instance("bad-type", Fixtures.spec(NS, "sideways")));

    assertThat(failure("no-book")).contains("spec.bookRef.name").contains("nope");
    assertThat(failure("no-ns")).contains("spec.customer.namespace").contains("customer-missing");
    assertThat(failure("bad-type")).contains("spec.deployment.type").contains("sideways");
    markReady(client, NS, awaitDeployment(client, NS, "good").getMetadata().getName());
    awaitPhase(client, "good", BookInstanceDefinitionStatus.READY);
    assertThat(client.apps().deployments().inNamespace(NS).withName("bad-type").get()).isNull();

    // The missing namespace appears: the instance recovers without being touched.
    Fixtures.namespace(client, "customer-missing");
    awaitPhase(client, "no-ns", BookInstanceDefinitionStatus.PENDING);
  }

  @Test
  void theApiServerRefusesWhatTheCrdSchemaForbids_namingTheField() {
    var s = Fixtures.spec(NS, "primary");
    var notACustomerNamespace = Fixtures.instance("in-default", new BookInstanceDefinitionSpec(s.bookRef(),
        new BookInstanceDefinitionSpec.Customer("default", "org"), s.deployment(), null, null, null, null));
    var negativeReplicas = Fixtures.instance("negative", new BookInstanceDefinitionSpec(s.bookRef(), s.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", -1, null, null), null, null, null, null));
    var beyondTheCaps = Fixtures.instance("greedy", new BookInstanceDefinitionSpec(s.bookRef(), s.customer(), s.deployment(),
        null, s.credentials(), null, List.of(new BookInstanceDefinitionSpec.WebhookBinding("zendesk", "zendesk",
            "zendesk_signing_key", 7200, new RateLimit(1000.0, 20), null, 100))));

    assertThat(catchThrowableOfType(KubernetesClientException.class, () -> create(client, notACustomerNamespace)))
        .satisfies(e -> assertThat(e.getCode()).isEqualTo(422))
        .hasMessageContaining("spec.customer.namespace");
    assertThat(catchThrowableOfType(KubernetesClientException.class, () -> create(client, negativeReplicas)))
        .satisfies(e -> assertThat(e.getCode()).isEqualTo(422))
        .hasMessageContaining("spec.deployment.replicas");
    assertThat(catchThrowableOfType(KubernetesClientException.class, () -> create(client, beyondTheCaps)))
        .satisfies(e -> assertThat(e.getCode()).isEqualTo(422))
        .hasMessageContaining("spec.webhooks[0].tolerance_seconds")
        .hasMessageContaining("spec.webhooks[0].rate_limit.requests_per_second")
        .hasMessageContaining("spec.webhooks[0].max_body_bytes");
    // An invalid quantity: the schema carries bdk-model's Quantities rule (one stored before it is
    // named by the controller's validation: InstanceValidatorWebhookLimitsTest).
    var badCpu = Fixtures.instance("bad-cpu", new BookInstanceDefinitionSpec(s.bookRef(), s.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", 1, new BookInstanceDefinitionSpec.Resources("lots", "1Gi", null, null), null),
        null, null, null, null));
    assertThat(catchThrowableOfType(KubernetesClientException.class, () -> create(client, badCpu)))
        .satisfies(e -> assertThat(e.getCode()).isEqualTo(422))
        .hasMessageContaining("spec.deployment.resources.cpu");
    assertThat(get(client, "in-default")).isNull();
    assertThat(get(client, "bad-cpu")).isNull();
  }

  @Test
  void aCustomerNamespaceBeingDeletedFailsItsInstancesWithoutSpinning_andTheyCanStillBeDeleted() {
    String leaving = NS + "-leaving";
    Fixtures.namespace(client, leaving);
    create(client, Fixtures.instance("leaver", Fixtures.spec(leaving, "primary")));
    create(client, Fixtures.instance("stayer", Fixtures.spec(NS, "primary")));
    await().atMost(WAIT).until(() -> client.resources(ExternalBookDefinition.class).inNamespace(leaving).withName("leaver").get() != null);
    client.namespaces().withName(leaving).delete();
    // No namespace controller runs here: the namespace stays Terminating, and the API server
    // refuses new objects in it. The instance fails at once, and a change that would need a new
    // object (Tailscale's) fails the same way instead of retrying against the API server.
    assertThat(failure("leaver")).contains("spec.customer.namespace").contains(leaving).contains("being deleted");
    var tailscale = new BookInstanceDefinitionSpec.Networking(new BookInstanceDefinitionSpec.Tailscale(true, "acme", null, null));
    update("leaver", withNetworking(Fixtures.spec(leaving, "primary"), tailscale));
    assertThat(failure("leaver")).contains("spec.customer.namespace").contains(leaving).contains("being deleted");

    markReady(client, NS, awaitDeployment(client, NS, "stayer").getMetadata().getName());
    awaitPhase(client, "stayer", BookInstanceDefinitionStatus.READY);
    client.resource(get(client, "leaver")).delete();
    await().atMost(WAIT).until(() -> get(client, "leaver") == null
        && client.apps().deployments().inNamespace(leaving).withName("leaver").get() == null);
  }

  /** The Valid condition's message once the instance is Failed at its current generation. */
  private String failure(String name) {
    BookInstanceDefinition failed = await().atMost(WAIT).until(() -> get(client, name), i -> i.getStatus() != null
        && BookInstanceDefinitionStatus.FAILED.equals(i.getStatus().phase())
        && i.getMetadata().getGeneration().equals(i.getStatus().observedGeneration()));
    BookInstanceDefinitionStatus status = failed.getStatus();
    assertThat(status.conditions()).allSatisfy(c -> assertThat(c.observedGeneration()).isEqualTo(failed.getMetadata().getGeneration()));
    return status.conditions().stream().filter(c -> "Valid".equals(c.type())).findFirst().orElseThrow().message();
  }

  private List<HasMetadata> madeFor(String instance) {
    List<HasMetadata> found = new ArrayList<>();
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
    updateSpec(client, name, spec);
  }

  private static BookInstanceDefinitionSpec withNetworking(BookInstanceDefinitionSpec s, BookInstanceDefinitionSpec.Networking n) {
    if (n != null && n.tailscale() != null && Boolean.TRUE.equals(n.tailscale().enabled())) {
      return Fixtures.withTailscale(s, n.tailscale());
    }
    return new BookInstanceDefinitionSpec(s.bookRef(), s.customer(), s.deployment(), n, s.credentials(), s.configuration(), s.webhooks());
  }
}
