package io.voyager.bdk.controller.desired;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.voyager.bdk.controller.Fixtures;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Tailscale;
import io.voyager.bdk.model.DeploymentType;
import io.voyager.bdk.model.InstanceCredentials;
import io.voyager.bdk.model.RateLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Every object the controller wants for each deployment type, with and without Tailscale, as golden
 * YAML ({@code src/test/resources/golden/workload-<type>[-tailscale].yaml}; rewrite them with
 * {@code -Dbdk.golden.update=true} and review the diff). Pure: fixed instances, a fixed credentials
 * digest, no API server.
 */
class DesiredObjectsGoldenTest {
  static final ControllerSettings SETTINGS = ControllerSettings.defaults()
      .withRunManagerEndpoint("http://run-manager.jeeves.svc.cluster.local")
      .withSleepAfter(Duration.ofMinutes(15));
  static final Tailscale TAILSCALE = new Tailscale(true, "acme-corp", List.of("customer", "tag:production"), null);

  static ValidInstance instance(String name, String type, boolean tailscale) {
    var spec = Fixtures.spec("customer-acme", type);
    if (tailscale) {
      spec = Fixtures.withTailscale(spec, TAILSCALE);
    }
    var resource = Fixtures.instance(name, spec);
    resource.setMetadata(new ObjectMetaBuilder(resource.getMetadata()).withUid("uid-" + name).build());
    return new ValidInstance(resource, Fixtures.book(Fixtures.BOOK), DeploymentType.parse(type).orElseThrow(),
        "voyager/book-runtime-python:3.11", ControllerSettings.TAILSCALE_USERSPACE);
  }

  static Workload workload(String type, boolean tailscale) {
    if ("shared".equals(type)) {
      return new Workload("customer-acme", WorkloadNames.shared(Fixtures.BOOK), DeploymentType.SHARED,
          List.of(instance("acme-support-b", type, tailscale), instance("acme-support-a", type, tailscale)));
    }
    return Workload.of(instance("acme-support", type, tailscale));
  }

  /** The workload's objects in a fixed order: Deployment, Service, policies, autoscaler, wake Lease, Tailscale's, ExternalBookDefinitions. */
  static List<HasMetadata> desired(Workload w) {
    WorkloadFactory factory = new WorkloadFactory(SETTINGS);
    TailscaleFactory tailscale = new TailscaleFactory(SETTINGS);
    Map<String, String> digests = new TreeMap<>();
    w.tenants().forEach(t -> digests.put(t.name(), "credentials-digest-of-" + t.name()));
    List<HasMetadata> objects = new ArrayList<>();
    objects.add(factory.deployment(w, digests));
    factory.service(w).ifPresent(objects::add);
    objects.add(factory.networkPolicy(w));
    objects.add(factory.egressPolicy(w));
    factory.autoscaler(w).ifPresent(objects::add);
    factory.wakeLease(w, false).ifPresent(objects::add);
    if (w.lead().tailscaleEnabled()) {
      objects.add(tailscale.stateSecret(w));
      objects.add(tailscale.serviceAccount(w));
      objects.add(tailscale.role(w));
      objects.add(tailscale.roleBinding(w));
    }
    Optional<String> wake = w.type() == DeploymentType.WEBHOOK_TRIGGERED ? Optional.of(WorkloadNames.wakeLease(w.name())) : Optional.empty();
    for (ValidInstance t : w.tenants()) {
      objects.add(new ExternalBookDefinitionFactory().externalBook(t, w, wake));
    }
    return objects;
  }

  @ParameterizedTest(name = "{0}, tailscale {1}")
  @CsvSource({
      "primary,false", "primary,true",
      "secondary,false", "secondary,true",
      "shared,false", "shared,true",
      "long-polling,false", "long-polling,true",
      "webhook-triggered,false", "webhook-triggered,true"})
  void desiredObjectsMatchTheirGoldenFile(String type, boolean tailscale) {
    Golden.assertMatches("workload-" + type + (tailscale ? "-tailscale" : ""), desired(workload(type, tailscale)));
  }

  @Test
  void onlyTheSidecarHoldsTheAuthKeyAndTheApiToken() {
    Deployment d = (Deployment) desired(workload("primary", true)).get(0);
    var pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    Container book = pod.getContainers().get(0);
    Container sidecar = pod.getContainers().get(1);
    assertThat(book.getEnv()).extracting(EnvVar::getName).doesNotContain("TS_AUTHKEY");
    assertThat(book.getEnv()).noneMatch(e -> e.getValueFrom() != null);
    assertThat(book.getVolumeMounts()).extracting(VolumeMount::getName).doesNotContain(TailscaleFactory.TOKEN_VOLUME);
    var credentials = pod.getVolumes().stream().filter(v -> v.getName().equals("book-credentials")).findFirst().orElseThrow();
    assertThat(credentials.getSecret().getItems()).extracting(i -> i.getKey()).containsExactly("zendesk_signing_key")
        .doesNotContain(InstanceCredentials.TAILSCALE_AUTH_KEY);
    assertThat(sidecar.getEnv()).filteredOn(e -> e.getName().equals("TS_AUTHKEY")).singleElement()
        .satisfies(e -> assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(InstanceCredentials.TAILSCALE_AUTH_KEY));
    assertThat(sidecar.getVolumeMounts()).extracting(VolumeMount::getMountPath).contains(TailscaleFactory.TOKEN_PATH);
  }

  @Test
  void aUserspaceBookReachesTheTailnetThroughTheSidecarsProxies_aKernelOneDoesNot() {
    Container book = ((Deployment) desired(workload("primary", true)).get(0)).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(env(book)).containsEntry("ALL_PROXY", "socks5://localhost:1055").containsEntry("HTTPS_PROXY", "http://localhost:1056")
        .containsEntry("https_proxy", "http://localhost:1056").containsEntry("NO_PROXY", BookEnvironment.NO_PROXY);
    var kernel = instance("kernel", "primary", true);
    kernel = new ValidInstance(kernel.resource(), kernel.book(), kernel.type(), kernel.image(), ControllerSettings.TAILSCALE_KERNEL);
    Deployment d = new WorkloadFactory(SETTINGS.withTailscaleKernelAllowed(true)).deployment(Workload.of(kernel), Map.of());
    assertThat(env(d.getSpec().getTemplate().getSpec().getContainers().get(0))).doesNotContainKeys("ALL_PROXY", "HTTP_PROXY");
    assertThat(env(d.getSpec().getTemplate().getSpec().getContainers().get(1))).doesNotContainKeys("TS_SOCKS5_SERVER");
  }

  @Test
  void theRevisionChangesWithWhatThePodsRunOrMount_notWithReplicasOrWebhookSettings() {
    WorkloadFactory factory = new WorkloadFactory(SETTINGS);
    ValidInstance base = instance("rev", "primary", false);
    String revision = revision(factory, base, "digest-1");
    assertThat(revision(factory, base, "digest-1")).isEqualTo(revision);
    assertThat(revision(factory, base, "digest-2")).as("a rotated mounted credential").isNotEqualTo(revision);
    var s = base.spec();
    var scaledAndThrottled = new BookInstanceDefinitionSpec(s.bookRef(), s.customer(),
        new BookInstanceDefinitionSpec.Deployment(s.deployment().type(), 5, s.deployment().resources(), null), s.networking(),
        s.credentials(), s.configuration(), List.of(new BookInstanceDefinitionSpec.WebhookBinding("zendesk", "zendesk",
            "zendesk_signing_key", 60, new RateLimit(1.0, 2), null)));
    assertThat(revision(factory, with(base, scaledAndThrottled), "digest-1")).isEqualTo(revision);
    var otherSettings = new BookInstanceDefinitionSpec(s.bookRef(), s.customer(), s.deployment(), s.networking(), s.credentials(),
        new BookInstanceDefinitionSpec.Configuration("staging", "info", Map.of()), s.webhooks());
    assertThat(revision(factory, with(base, otherSettings), "digest-1")).as("a changed environment").isNotEqualTo(revision);
  }

  private static String revision(WorkloadFactory factory, ValidInstance t, String digest) {
    return Rollout.templateRevision(factory.deployment(Workload.of(t), Map.of(t.name(), digest)));
  }

  private static ValidInstance with(ValidInstance t, BookInstanceDefinitionSpec spec) {
    var resource = Fixtures.instance(t.name(), spec);
    resource.setMetadata(t.resource().getMetadata());
    return new ValidInstance(resource, t.book(), t.type(), t.image(), t.tailscaleMode());
  }

  private static Map<String, String> env(Container c) {
    Map<String, String> env = new TreeMap<>();
    c.getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
    return env;
  }
}
