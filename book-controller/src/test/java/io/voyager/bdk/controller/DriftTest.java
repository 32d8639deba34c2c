package io.voyager.bdk.controller;

import io.voyager.bdk.controller.apply.ResourceApplier;
import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.ManagedLabels;
import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Hand edits of what the controller manages are undone at the next reconcile, which the edit itself
 * triggers; what others own (an autoscaler's replica count, the library's credential values) is
 * left alone; a steady instance of any type costs no write. On a real kube-apiserver.
 */
class DriftTest extends ControllerOnRealApiTest {
  @Override
  ControllerSettings settings() {
    return ControllerSettings.defaults().withTailscaleKernelAllowed(true);
  }

  @Override
  String namespacePrefix() {
    return "customer-drift-";
  }

  @Test
  void aHandEditedImageIsRestored() {
    create(client, Fixtures.instance("img", Fixtures.spec(NS, "primary")));
    String image = awaitDeployment(client, NS, "img").getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
    double drift = writes("Deployment", "drift");

    deployments().withName("img").edit(d -> {
      d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("evil/miner:latest");
      return d;
    });

    await().atMost(WAIT).until(() -> image.equals(bookImage(deployments().withName("img").get())));
    assertThat(writes("Deployment", "drift")).isGreaterThan(drift);
  }

  @Test
  void aHandAddedContainerAndAHandChangedReplicaCountAreUndone_withoutAnAutoscaler() {
    create(client, Fixtures.instance("extra", Fixtures.spec(NS, "primary")));
    awaitDeployment(client, NS, "extra");

    deployments().withName("extra").edit(d -> {
      var spec = d.getSpec();
      spec.setReplicas(7);
      var sidecar = new io.fabric8.kubernetes.api.model.ContainerBuilder().withName("sidecar").withImage("busybox").build();
      spec.getTemplate().getSpec().getContainers().add(sidecar);
      return d;
    });

    await().atMost(WAIT).until(() -> {
      Deployment d = deployments().withName("extra").get();
      return d.getSpec().getReplicas() == 2 && d.getSpec().getTemplate().getSpec().getContainers().size() == 1;
    });
  }

  @Test
  void aLoosenedNetworkPolicyIsRestored_rulesDeletedOrAnAllowAllRuleAdded() {
    create(client, Fixtures.instance("fenced", Fixtures.spec(NS, "primary")));
    var policies = client.network().v1().networkPolicies().inNamespace(NS).withName("fenced-ingress");
    NetworkPolicy made = await().atMost(WAIT).until(policies::get, p -> p != null);
    List<NetworkPolicyIngressRule> rules = made.getSpec().getIngress();
    assertThat(rules).singleElement().satisfies(r -> assertThat(r.getFrom()).isNotEmpty());

    policies.edit(p -> {
      p.getSpec().getIngress().get(0).setFrom(null); // any source may now reach the book's port
      return p;
    });
    await().atMost(WAIT).until(() -> rules.equals(policies.get().getSpec().getIngress()));

    policies.edit(p -> {
      var ingress = new ArrayList<>(p.getSpec().getIngress());
      ingress.add(new NetworkPolicyIngressRule()); // an empty rule admits everything
      p.getSpec().setIngress(ingress);
      return p;
    });
    await().atMost(WAIT).until(() -> rules.equals(policies.get().getSpec().getIngress()));

    policies.edit(p -> {
      p.getSpec().setIngress(List.of());
      return p;
    });
    await().atMost(WAIT).until(() -> rules.equals(policies.get().getSpec().getIngress()));
  }

  @Test
  void aChangedServiceSelectorIsRestored_theClusterIpIsKept() {
    create(client, Fixtures.instance("routed", Fixtures.spec(NS, "primary")));
    var services = client.services().inNamespace(NS).withName("routed");
    var made = await().atMost(WAIT).until(services::get, s -> s != null);
    Map<String, String> selector = made.getSpec().getSelector();

    services.edit(s -> {
      s.getSpec().setSelector(Map.of("app", "somebody-else"));
      return s;
    });

    await().atMost(WAIT).until(() -> selector.equals(services.get().getSpec().getSelector()));
    assertThat(services.get().getSpec().getClusterIP()).isEqualTo(made.getSpec().getClusterIP());
  }

  @Test
  void theAutoscalersReplicaCountIsNotFought_butOtherDriftStillIsUndone() {
    var spec = Fixtures.spec(NS, "primary");
    var scaled = new BookInstanceDefinitionSpec(spec.bookRef(), spec.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", null, spec.deployment().resources(),
            new BookInstanceDefinitionSpec.Scaling(2, 6, 70)),
        null, spec.credentials(), spec.configuration(), spec.webhooks());
    create(client, Fixtures.instance("hpa", scaled));
    String image = bookImage(awaitDeployment(client, NS, "hpa"));
    await().atMost(WAIT).until(
        () -> client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).withName("hpa").get() != null);

    deployments().withName("hpa").scale(5); // as the autoscaler does, through the scale subresource
    deployments().withName("hpa").edit(d -> {
      d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("evil/miner:latest");
      return d;
    });

    // The reconcile that restores the image (the events arrive in order) saw the new count too.
    await().atMost(WAIT).until(() -> image.equals(bookImage(deployments().withName("hpa").get())));
    assertThat(deployments().withName("hpa").get().getSpec().getReplicas()).isEqualTo(5);
  }

  @Test
  void handChangedCredentialsAreTheLibrarysToKeep_theyRollThePodsAndAreNotReverted() {
    create(client, Fixtures.instance("creds", Fixtures.spec(NS, "primary")));
    awaitDeployment(client, NS, "creds");
    var secrets = client.secrets().inNamespace(NS).withName("creds-credentials");
    await().atMost(WAIT).until(() -> secrets.get() != null);
    String hash = configHash(client, NS, "creds");

    String rotated = Base64.getEncoder().encodeToString("rotated-by-hand".getBytes(StandardCharsets.UTF_8));
    secrets.edit(s -> {
      s.setData(Map.of("zendesk_signing_key", rotated));
      return s;
    });

    await().atMost(WAIT).until(() -> !hash.equals(configHash(client, NS, "creds")));
    assertThat(secrets.get().getData()).containsExactly(Map.entry("zendesk_signing_key", rotated));
  }

  @Test
  void steadyInstancesOfEveryTypeWriteNothing_whenReconciledAgain() {
    var kernelTailscale = new BookInstanceDefinitionSpec.Networking(
        new BookInstanceDefinitionSpec.Tailscale(true, "acme", List.of("book"), ControllerSettings.TAILSCALE_KERNEL));
    var primary = Fixtures.spec(NS, "primary");
    var scaledWithTailscale = Fixtures.withTailscale(new BookInstanceDefinitionSpec(primary.bookRef(), primary.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", null, primary.deployment().resources(),
            new BookInstanceDefinitionSpec.Scaling(2, 6, 70)),
        null, primary.credentials(), primary.configuration(), primary.webhooks()), kernelTailscale.tailscale());
    create(client, Fixtures.instance("s-primary", scaledWithTailscale));
    create(client, Fixtures.instance("s-poller", Fixtures.spec(NS, "long-polling")));
    create(client, Fixtures.instance("s-tenant-a", Fixtures.spec(NS, "shared")));
    create(client, Fixtures.instance("s-tenant-b", Fixtures.spec(NS, "shared")));
    var secondary = Fixtures.spec(NS, "secondary");
    var declaredEgress = new BookInstanceDefinitionSpec.Networking(null, List.of(
        new BookInstanceDefinitionSpec.EgressRule("203.0.113.0/24", List.of("203.0.113.128/25"),
            List.of(new BookInstanceDefinitionSpec.EgressPort(443, null), new BookInstanceDefinitionSpec.EgressPort(514, "UDP"))),
        new BookInstanceDefinitionSpec.EgressRule("2001:db8::/32", null, null)));
    create(client, Fixtures.instance("s-secondary", new BookInstanceDefinitionSpec(secondary.bookRef(), secondary.customer(),
        secondary.deployment(), declaredEgress, secondary.credentials(), secondary.configuration(), secondary.webhooks())));
    for (String deployment : List.of("s-primary", "s-poller", Fixtures.BOOK + "-shared", "s-secondary-secondary")) {
      awaitDeployment(client, NS, deployment);
    }
    await().atMost(WAIT).until(() -> "s-tenant-a,s-tenant-b".equals(
        deployments().withName(Fixtures.BOOK + "-shared").get().getMetadata().getAnnotations().get(ManagedLabels.TENANTS)));
    for (String deployment : List.of("s-primary", "s-poller", Fixtures.BOOK + "-shared", "s-secondary-secondary")) {
      markReady(client, NS, deployment);
    }
    for (String instance : List.of("s-primary", "s-poller", "s-tenant-a", "s-tenant-b", "s-secondary")) {
      awaitPhase(client, instance, BookInstanceDefinitionStatus.READY);
    }
    double written = writes();
    double succeeded = reconciliations("success");

    client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(Fixtures.BOOK)
        .edit(b -> {
          b.getMetadata().getLabels().put("touched", String.valueOf(System.nanoTime()));
          return b;
        });
    await().atMost(WAIT).until(() -> reconciliations("success") >= succeeded + 5);

    // The server's form of each object (defaults filled in) still matches what is wanted.
    assertThat(writes()).as("resource writes").isEqualTo(written);
  }

  private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<Deployment, io.fabric8.kubernetes.api.model.apps.DeploymentList,
      io.fabric8.kubernetes.client.dsl.RollableScalableResource<Deployment>> deployments() {
    return client.apps().deployments().inNamespace(NS);
  }

  private static String bookImage(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
  }

  private double writes() {
    return controller.count(ResourceApplier.WRITES);
  }

  private double writes(String kind, String reason) {
    return controller.count(ResourceApplier.WRITES, "kind", kind, "reason", reason);
  }

  private double reconciliations(String outcome) {
    return controller.count("operator.sdk.reconciliations." + outcome);
  }
}
