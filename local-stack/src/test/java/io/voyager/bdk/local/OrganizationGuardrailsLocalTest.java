package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.voyager.bdk.controller.desired.NamespaceGuardrails;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack's book-controller keeps an Organization's guardrails on the embedded API too
 * (the fabric8 mock server: no server-side apply, no admission — JSON merge patches of namespace
 * labels and of the Organization's status work there): they appear, show in the status, and go
 * when the namespace leaves the Organization. What admission makes of them is tested on a real
 * kube-apiserver (book-controller's OrganizationGuardrailsTest).
 */
class OrganizationGuardrailsLocalTest {
  private static final Duration CONVERGE = Duration.ofSeconds(60);

  @TempDir static Path runDir;
  static LocalStack stack;
  static KubernetesClient kube;

  @BeforeAll
  static void start() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-organization-guardrails")
        .without(Component.LIBRARY, Component.EXT_AUTHZ, Component.LOCAL_RUNTIME)
        .start();
    kube = stack.kubernetes();
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void anOrganizationsNamespaceGetsItsGuardrailsAndLosesThemWhenItLeaves() {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String ns = "customer-guarded-" + suffix;
    String name = "guarded-" + suffix;
    kube.resource(new NamespaceBuilder().withNewMetadata().withName(ns).addToLabels("team", "ops").endMetadata().build()).create();
    Organization org = new Organization();
    org.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(BdkLabels.BDK_NAMESPACE).build());
    org.setSpec(new OrganizationSpec(name, null, List.of(ns),
        new OrganizationSpec.Quotas(3, 2, 4, "2", "4Gi", 5)));
    kube.resource(org).create();

    await("guardrails made in the embedded API").atMost(CONVERGE).until(() ->
        quota(ns) != null && limits(ns) != null && defaultDeny(ns) != null
            && "restricted".equals(labels(ns).get("pod-security.kubernetes.io/enforce")));
    assertThat(quota(ns).getSpec().getHard().get("requests.cpu").toString()).isEqualTo("2");
    assertThat(labels(ns)).containsEntry("team", "ops").containsEntry(BdkLabels.ORGANIZATION, name);
    await("Ready with its namespace").atMost(CONVERGE).until(() -> {
      Organization o = kube.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).get();
      return o.getStatus() != null && List.of(ns).equals(o.getStatus().namespaces())
          && o.getStatus().conditions().stream().anyMatch(c -> "Ready".equals(c.type()) && "True".equals(c.status()));
    });

    kube.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).edit(o -> {
      o.setSpec(new OrganizationSpec(name, null, List.of(), o.getSpec().quotas()));
      return o;
    });
    await("guardrails gone").atMost(CONVERGE).until(() -> quota(ns) == null && limits(ns) == null && defaultDeny(ns) == null
        && labels(ns).keySet().stream().noneMatch(NamespaceGuardrails.NAMESPACE_LABELS::contains));
    assertThat(labels(ns)).containsEntry("team", "ops");
    kube.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).delete();
    await("organization gone").atMost(CONVERGE)
        .until(() -> kube.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(name).get() == null);
  }

  private static ResourceQuota quota(String ns) {
    return kube.resourceQuotas().inNamespace(ns).withName(NamespaceGuardrails.QUOTA).get();
  }

  private static LimitRange limits(String ns) {
    return kube.limitRanges().inNamespace(ns).withName(NamespaceGuardrails.LIMITS).get();
  }

  private static NetworkPolicy defaultDeny(String ns) {
    return kube.network().v1().networkPolicies().inNamespace(ns).withName(NamespaceGuardrails.DEFAULT_DENY).get();
  }

  private static Map<String, String> labels(String ns) {
    var labels = kube.namespaces().withName(ns).get().getMetadata().getLabels();
    return labels == null ? Map.of() : labels;
  }
}
