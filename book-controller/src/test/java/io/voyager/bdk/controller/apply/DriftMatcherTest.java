package io.voyager.bdk.controller.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What counts as drift, on plain objects (the real API server's forms are covered by DriftTest). */
class DriftMatcherTest {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  @Test
  void serverDefaultsAndOthersLabelsAreNotDrift_evenWhenADefaultEqualsAnotherValue() {
    Deployment desired = deployment();
    Deployment live = copy(desired);
    live.getMetadata().setResourceVersion("42");
    live.getMetadata().setUid("u-1");
    live.getMetadata().getLabels().put("team", "ops");
    // 10, like the probe's periodSeconds: a diff with copy normalisation reports a "copy", not an "add".
    live.getSpec().setRevisionHistoryLimit(10);
    live.getSpec().getTemplate().getSpec().setDnsPolicy("ClusterFirst");
    live.getSpec().getTemplate().getSpec().getContainers().get(0).setTerminationMessagePath("/dev/termination-log");
    live.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(2).build());

    assertThat(DriftMatcher.matches(desired, live, JSON)).isTrue();
  }

  @Test
  void aChangedImageReplicaCountOrRemovedLabelIsDrift() {
    Deployment desired = deployment();
    Deployment image = copy(desired);
    image.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("evil/miner");
    Deployment replicas = copy(desired);
    replicas.getSpec().setReplicas(9);
    Deployment label = copy(desired);
    label.getMetadata().getLabels().remove("app");

    assertThat(DriftMatcher.matches(desired, image, JSON)).isFalse();
    assertThat(DriftMatcher.matches(desired, replicas, JSON)).isFalse();
    assertThat(DriftMatcher.matches(desired, label, JSON)).isFalse();
  }

  @Test
  void additionsThatAreTheHarmAreDrift_anotherContainerEnvVarOrPrivilege() {
    Deployment desired = deployment();
    Deployment container = copy(desired);
    container.getSpec().getTemplate().getSpec().getContainers().add(new ContainerBuilder().withName("x").withImage("x").build());
    Deployment env = copy(desired);
    env.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().add(new EnvVarBuilder().withName("DEBUG").withValue("1").build());
    Deployment host = copy(desired);
    host.getSpec().getTemplate().getSpec().setHostNetwork(true);

    assertThat(DriftMatcher.matches(desired, container, JSON)).isFalse();
    assertThat(DriftMatcher.matches(desired, env, JSON)).isFalse();
    assertThat(DriftMatcher.matches(desired, host, JSON)).isFalse();
  }

  @Test
  void aNetworkPolicyMatchesOnlyExactly_anAddedRuleOrSelectorLabelIsDrift_emptyEqualsAbsent() {
    NetworkPolicy desired = policy();
    NetworkPolicy rule = copy(desired);
    rule.getSpec().getIngress().add(new NetworkPolicyIngressRule());
    NetworkPolicy selector = copy(desired);
    selector.getSpec().getPodSelector().getMatchLabels().put("not", "us");
    NetworkPolicy none = copy(desired);
    none.getSpec().setIngress(null);

    assertThat(DriftMatcher.matches(desired, copy(desired), JSON)).isTrue();
    assertThat(DriftMatcher.matches(desired, rule, JSON)).isFalse();
    assertThat(DriftMatcher.matches(desired, selector, JSON)).isFalse();
    assertThat(DriftMatcher.matches(desired, none, JSON)).isFalse();

    NetworkPolicy closed = policy();
    closed.getSpec().setIngress(List.of());
    NetworkPolicy stored = copy(closed);
    stored.getSpec().setIngress(null); // the server drops an empty list
    assertThat(DriftMatcher.matches(closed, stored, JSON)).isTrue();
  }

  private static Deployment deployment() {
    return new DeploymentBuilder()
        .withNewMetadata().withName("book").withNamespace("customer-a").addToLabels("app", "book").endMetadata()
        .withNewSpec()
        .withReplicas(2)
        .withNewSelector().addToMatchLabels("app", "book").endSelector()
        .withNewTemplate()
        .withNewMetadata().addToLabels("app", "book").endMetadata()
        .withNewSpec()
        .addNewContainer().withName("book").withImage("voyager/book:1")
        .addNewEnv().withName("A").withValue("1").endEnv()
        .withNewLivenessProbe().withPeriodSeconds(10).withNewHttpGet().withPath("/health").withPort(new IntOrString(8080)).endHttpGet().endLivenessProbe()
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static NetworkPolicy policy() {
    return new NetworkPolicyBuilder()
        .withNewMetadata().withName("book-ingress").withNamespace("customer-a").endMetadata()
        .withNewSpec()
        .withNewPodSelector().withMatchLabels(new HashMap<>(Map.of("app", "book"))).endPodSelector()
        .withPolicyTypes("Ingress")
        .addNewIngress().addNewFrom().withNewNamespaceSelector().addToMatchLabels("kubernetes.io/metadata.name", "bdk")
        .endNamespaceSelector().endFrom().endIngress()
        .endSpec()
        .build();
  }

  @SuppressWarnings("unchecked")
  private static <T extends HasMetadata> T copy(T r) {
    return (T) JSON.unmarshal(JSON.asJson(r), r.getClass());
  }
}
