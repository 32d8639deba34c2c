package io.voyager.bdk.controller;

import io.voyager.bdk.controller.status.GatewayVerdict;
import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.ExternalBookDefinition;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PrimaryInstanceTest extends ControllerOnRealApiTest {
  static final String NAMESPACE = "customer-primary";

  @Override
  String classNamespace() {
    return NAMESPACE;
  }

  @Test
  void primaryInstanceGetsDeploymentServiceExternalBookPolicyAndSecret_thenReadyFromDeploymentStatus() {
    create(client, Fixtures.instance("acme-support", Fixtures.spec(NAMESPACE, "primary")));

    Deployment d = awaitDeployment(client, NAMESPACE, "acme-support");
    var pod = d.getSpec().getTemplate().getSpec();
    var book = pod.getContainers().get(0);
    assertThat(book.getImage()).isEqualTo("voyager/book-runtime-python:3.11");
    Map<String, String> env = book.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> String.valueOf(e.getValue())));
    assertThat(env).containsEntry("BOOK_TYPE", "customer-support").containsEntry("CUSTOMER_ID", "org-uuid-123")
        .containsEntry("LOG_LEVEL", "debug").containsEntry("BOOK_CUSTOM_SETTINGS", "{\"max_tickets_per_hour\":100}");
    assertThat(book.getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getMountPath()).isEqualTo("/secrets");
      assertThat(m.getReadOnly()).isTrue();
    });
    assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("acme-support-credentials"));
    assertThat(book.getResources().getRequests().get("cpu").toString()).isEqualTo("500m");
    assertThat(book.getResources().getLimits().get("memory").toString()).isEqualTo("2Gi");
    assertThat(book.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health");
    assertThat(book.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(8080);
    var sc = book.getSecurityContext();
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getContainers()).hasSize(1);
    assertThat(d.getMetadata().getLabels()).containsEntry(BdkLabels.INSTANCE_NAME, "acme-support")
        .containsEntry(BdkLabels.INSTANCE_ID, "id-acme-support");

    var svc = await().atMost(WAIT).until(() -> client.services().inNamespace(NAMESPACE).withName("acme-support").get(), s -> s != null);
    assertThat(svc.getSpec().getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("http");
      assertThat(p.getPort()).isEqualTo(8080);
    });
    assertThat(svc.getSpec().getSelector()).isEqualTo(d.getSpec().getSelector().getMatchLabels());
    assertThat(svc.getMetadata().getLabels()).containsEntry(BdkLabels.INSTANCE_NAME, "acme-support");

    ExternalBookDefinition ebd = client.resources(ExternalBookDefinition.class).inNamespace(NAMESPACE).withName("acme-support").get();
    assertThat(ebd.getSpec().bookType()).isEqualTo("customer-support");
    assertThat(ebd.getSpec().service().name()).isEqualTo("acme-support");
    assertThat(ebd.getSpec().instanceRef().name()).isEqualTo("acme-support");
    assertThat(ebd.getSpec().externalIntegrations()).anySatisfy(i -> {
      assertThat(i.name()).isEqualTo("zendesk");
      assertThat(i.type()).isEqualTo("webhook");
      assertThat(i.authentication().type()).isEqualTo("signature");
      assertThat(i.authentication().scheme()).isEqualTo("zendesk");
      assertThat(i.authentication().secretRef().name()).isEqualTo("acme-support-credentials");
      assertThat(i.authentication().secretRef().key()).isEqualTo("zendesk_signing_key");
      assertThat(i.rateLimit().burst()).isEqualTo(20);
    });
    assertThat(ebd.getSpec().externalIntegrations()).anySatisfy(i -> assertThat(i.type()).isEqualTo("api"));

    var policy = client.network().v1().networkPolicies().inNamespace(NAMESPACE).withName("acme-support-ingress").get();
    assertThat(policy.getSpec().getIngress()).singleElement().satisfies(rule ->
        assertThat(rule.getFrom().get(0).getNamespaceSelector().getMatchLabels()).containsEntry("kubernetes.io/metadata.name", "bdk"));
    var egress = client.network().v1().networkPolicies().inNamespace(NAMESPACE).withName("acme-support-egress").get();
    assertThat(egress.getSpec().getPolicyTypes()).containsExactly("Egress");
    assertThat(egress.getSpec().getEgress()).singleElement().satisfies(rule -> // only the cluster DNS
        assertThat(rule.getTo().get(0).getNamespaceSelector().getMatchLabels()).containsEntry("kubernetes.io/metadata.name", "kube-system"));
    Secret credentials = client.secrets().inNamespace(NAMESPACE).withName("acme-support-credentials").get();
    assertThat(credentials).isNotNull();
    assertThat(client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NAMESPACE).list().getItems()).isEmpty();
    assertThat(client.serviceAccounts().inNamespace(NAMESPACE).list().getItems()).noneMatch(sa -> sa.getMetadata().getName().contains("tailscale"));

    BookInstanceDefinitionStatus pending = awaitPhase(client, "acme-support", BookInstanceDefinitionStatus.PENDING);
    assertThat(pending.deploymentStatus().readyReplicas()).isZero();

    markReady(client, NAMESPACE, "acme-support");
    BookInstanceDefinitionStatus ready = awaitPhase(client, "acme-support", BookInstanceDefinitionStatus.READY);
    assertThat(ready.deploymentStatus().readyReplicas()).isEqualTo(2);
    assertThat(ready.deploymentStatus().totalReplicas()).isEqualTo(2);
    assertThat(ready.lastUpdated()).isNotBlank();
    assertThat(ready.conditions()).anySatisfy(c -> {
      assertThat(c.type()).isEqualTo("DeploymentReady");
      assertThat(c.status()).isEqualTo("True");
      assertThat(c.reason()).isNotBlank();
    });
    // No xds-server runs here: nothing has routed the webhook, so the instance claims no path.
    assertThat(ready.webhooks()).isNullOrEmpty();
    assertThat(ready.conditions()).noneMatch(c -> GatewayVerdict.CONDITION.equals(c.type()));
  }

  @Test
  void aSteadyInstanceCostsNoWrites_whenItsBookIsTouched() {
    create(client, Fixtures.instance("steady", Fixtures.spec(NAMESPACE, "primary")));
    awaitDeployment(client, NAMESPACE, "steady");
    markReady(client, NAMESPACE, "steady");
    awaitPhase(client, "steady", BookInstanceDefinitionStatus.READY);
    // The instance, its Deployment, Service, ExternalBookDefinition, credentials Secret and two NetworkPolicies.
    await().atMost(WAIT).until(() -> resourceVersions("steady").size() == 7);
    Map<String, String> before = resourceVersions("steady");
    double reconciled = reconciliations();

    // A change to the book that does not change what runs: the instance is reconciled again…
    client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(Fixtures.BOOK)
        .edit(b -> {
          b.getMetadata().getLabels().put("touched", String.valueOf(System.nanoTime()));
          return b;
        });
    await().atMost(WAIT).until(() -> reconciliations() > reconciled);
    // …and nothing is written: neither its objects nor its status.
    assertThat(resourceVersions("steady")).isEqualTo(before);
  }

  /** resourceVersion of the instance and of everything made for it, by kind/name. */
  private Map<String, String> resourceVersions(String instance) {
    Map<String, String> versions = new TreeMap<>();
    BookInstanceDefinition i = get(client, instance);
    versions.put("BookInstanceDefinition/" + instance, i.getMetadata().getResourceVersion());
    for (Class<? extends HasMetadata> kind : SecondaryCaches.MANAGED_KINDS) {
      for (HasMetadata r : client.resources(kind).inNamespace(NAMESPACE).withLabel(BdkLabels.INSTANCE_NAME, instance).list().getItems()) {
        versions.put(r.getKind() + "/" + r.getMetadata().getName(), r.getMetadata().getResourceVersion());
      }
    }
    return versions;
  }

  private double reconciliations() {
    return controller.count("operator.sdk.reconciliations.started");
  }
}
