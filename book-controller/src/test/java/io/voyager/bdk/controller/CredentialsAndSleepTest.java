package io.voyager.bdk.controller;

import static io.voyager.bdk.controller.ControllerHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.voyager.bdk.controller.apply.ResourceApplier;
import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.ManagedLabels;
import io.voyager.bdk.controller.status.StatusCalculator;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.CredentialRotations;
import io.voyager.bdk.model.ExternalBookDefinition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * On a real kube-apiserver: an external credential holds the instance back until its Secret key
 * exists; pods roll only when a credential the book mounts changes; quantities the API server
 * stores in another spelling ({@code 0.5} → {@code 500m}) are not rewritten on every reconcile; a
 * webhook-triggered book scales to zero after its idle period and wakes when a webhook is recorded
 * on its wake Lease.
 */
class CredentialsAndSleepTest extends ControllerOnRealApiTest {
  /** Short, so the test sees a book fall asleep; the clock, not a sleep, decides when. */
  static final Duration SLEEP_AFTER = Duration.ofSeconds(6);

  @Override
  ControllerSettings settings() {
    return ControllerSettings.defaults().withSleepAfter(SLEEP_AFTER)
        .withRunManagerEndpoint("http://run-manager.jeeves.svc.cluster.local");
  }

  @Override
  String namespacePrefix() {
    return "customer-credsleep-";
  }

  @Test
  void anExternalCredentialHoldsTheInstanceUntilItsSecretKeyExists() {
    var s = Fixtures.spec(NS, "primary");
    var external = new BookInstanceDefinitionSpec(s.bookRef(), s.customer(), s.deployment(), s.networking(),
        List.of(new BookInstanceDefinitionSpec.Credential("zendesk_signing_key", "secret", "external")),
        s.configuration(), s.webhooks());
    create(client, Fixtures.instance("ext", external));

    BookInstanceDefinitionStatus waiting = await().atMost(WAIT).until(() -> get(client, "ext").getStatus(),
        st -> st != null && st.conditions() != null && st.conditions().stream().anyMatch(c -> StatusCalculator.CREDENTIALS_READY.equals(c.type())));
    assertThat(waiting.phase()).isEqualTo(BookInstanceDefinitionStatus.PENDING);
    Condition c = waiting.conditions().stream().filter(x -> StatusCalculator.CREDENTIALS_READY.equals(x.type())).findFirst().orElseThrow();
    assertThat(c.status()).isEqualTo("False");
    assertThat(c.reason()).isEqualTo("CredentialMissing");
    assertThat(c.message()).startsWith("waiting for key 'zendesk_signing_key' in Secret " + NS + "/ext-credentials");
    assertThat(client.apps().deployments().inNamespace(NS).withName("ext").get()).as("nothing deployed yet").isNull();
    assertThat(client.resources(ExternalBookDefinition.class).inNamespace(NS).withName("ext").get()).isNull();

    // External Secrets (or an operator) writes the key: the Secret's event reconciles the instance.
    client.secrets().inNamespace(NS).withName("ext-credentials").edit(secret -> {
      secret.setData(Map.of("zendesk_signing_key", base64("from-the-vault")));
      return secret;
    });
    markReady(client, NS, awaitDeployment(client, NS, "ext").getMetadata().getName());
    BookInstanceDefinitionStatus ready = awaitPhase(client, "ext", BookInstanceDefinitionStatus.READY);
    assertThat(ready.conditions()).extracting(Condition::type).doesNotContain(StatusCalculator.CREDENTIALS_READY);
  }

  @Test
  void podsRollOnlyWhenACredentialTheBookMountsChanges() {
    var s = Fixtures.withTailscale(Fixtures.spec(NS, "primary"),
        new BookInstanceDefinitionSpec.Tailscale(true, "acme-corp", List.of("customer"), null));
    create(client, Fixtures.instance("roll", s));
    var secrets = client.secrets().inNamespace(NS).withName("roll-credentials");
    await().atMost(WAIT).until(() -> secrets.get() != null && client.apps().deployments().inNamespace(NS).withName("roll").get() != null);
    String empty = configHash(client, NS, "roll");
    secrets.edit(secret -> {
      secret.setData(Map.of("zendesk_signing_key", base64("v1"), "tailscale_auth_key", base64("tskey-auth-1")));
      return secret;
    });
    await().atMost(WAIT).until(() -> !empty.equals(configHash(client, NS, "roll")));
    String before = configHash(client, NS, "roll");
    double reconciled = controller.count("operator.sdk.reconciliations.success");

    // The auth key only the sidecar reads (at its start): no roll.
    secrets.edit(secret -> {
      secret.setData(Map.of("zendesk_signing_key", base64("v1"), "tailscale_auth_key", base64("tskey-auth-2")));
      return secret;
    });
    await().atMost(WAIT).until(() -> controller.count("operator.sdk.reconciliations.success") > reconciled);
    assertThat(configHash(client, NS, "roll")).isEqualTo(before);

    // A credential the book mounts: a roll.
    secrets.edit(secret -> {
      secret.setData(Map.of("zendesk_signing_key", base64("v2"), "tailscale_auth_key", base64("tskey-auth-2")));
      return secret;
    });
    await().atMost(WAIT).until(() -> !before.equals(configHash(client, NS, "roll")));
  }

  @Test
  void aRotationWithAnOverlapRollsThePodsOnceAndItsSweepRollsNone() {
    create(client, Fixtures.instance("rotate", Fixtures.spec(NS, "primary")));
    var secrets = client.secrets().inNamespace(NS).withName("rotate-credentials");
    await().atMost(WAIT).until(() -> secrets.get() != null && client.apps().deployments().inNamespace(NS).withName("rotate").get() != null);
    String empty = configHash(client, NS, "rotate");
    secrets.edit(secret -> {
      secret.setData(Map.of("zendesk_signing_key", base64("v1")));
      return secret;
    });
    await().atMost(WAIT).until(() -> !empty.equals(configHash(client, NS, "rotate")));
    String v1 = configHash(client, NS, "rotate");
    double beforeRotation = controller.count(ResourceApplier.WRITES, "kind", "Deployment");

    // The library's rotation with an overlap: the new value's lines, then the previous value's, and
    // the annotation saying how many lines are current — one write.
    Instant validUntil = Instant.now().plus(Duration.ofHours(1));
    String key = "zendesk_signing_key";
    secrets.edit(secret -> {
      secret.setData(Map.of(key, base64(CredentialRotations.withPrevious("v2", "v1", null))));
      if (secret.getMetadata().getAnnotations() == null) {
        secret.getMetadata().setAnnotations(new HashMap<>());
      }
      secret.getMetadata().getAnnotations().put(CredentialRotations.PREVIOUS_VALUES,
          CredentialRotations.format(Map.of(key, CredentialRotations.previous("v2", validUntil))));
      secret.getMetadata().getLabels().put(CredentialRotations.PENDING_LABEL, CredentialRotations.PENDING);
      return secret;
    });
    await().atMost(WAIT).until(() -> !v1.equals(configHash(client, NS, "rotate")));
    String rotated = configHash(client, NS, "rotate");
    await().atMost(WAIT).until(() -> controller.count(ResourceApplier.WRITES, "kind", "Deployment") > beforeRotation);
    double afterRotation = controller.count(ResourceApplier.WRITES, "kind", "Deployment");
    assertThat(afterRotation).as("the rotation's Deployment writes").isEqualTo(beforeRotation + 1);

    // The overlap ends: the sweep drops the previous value's lines, the annotation and the label.
    double reconciled = controller.count("operator.sdk.reconciliations.success");
    secrets.edit(secret -> {
      var swept = CredentialRotations.sweep(Map.of(key, decode(secret.getData().get(key))),
          CredentialRotations.parse(secret.getMetadata().getAnnotations().get(CredentialRotations.PREVIOUS_VALUES)), validUntil);
      assertThat(swept.stripped()).containsExactly(key);
      secret.setData(Map.of(key, base64(swept.values().get(key))));
      secret.getMetadata().getAnnotations().remove(CredentialRotations.PREVIOUS_VALUES);
      secret.getMetadata().getLabels().remove(CredentialRotations.PENDING_LABEL);
      return secret;
    });
    await().atMost(WAIT).until(() -> controller.count("operator.sdk.reconciliations.success") > reconciled);
    assertThat(configHash(client, NS, "rotate")).as("the sweep does not roll the pods").isEqualTo(rotated);

    // A later rotation still rolls them, and it is the only Deployment write since the first one:
    // the sweep's reconcile wrote nothing.
    secrets.edit(secret -> {
      secret.setData(Map.of(key, base64("v3")));
      return secret;
    });
    await().atMost(WAIT).until(() -> !rotated.equals(configHash(client, NS, "rotate")));
    await().atMost(WAIT).until(() -> controller.count(ResourceApplier.WRITES, "kind", "Deployment") > afterRotation);
    assertThat(controller.count(ResourceApplier.WRITES, "kind", "Deployment")).as("Deployment writes").isEqualTo(afterRotation + 1);
  }

  @Test
  void quantitiesTheApiServerRespellsAreNotRewrittenOnEveryReconcile() {
    var s = Fixtures.spec(NS, "primary");
    var halves = new BookInstanceDefinitionSpec(s.bookRef(), s.customer(),
        new BookInstanceDefinitionSpec.Deployment("primary", 1, new BookInstanceDefinitionSpec.Resources("0.5", "0.5Gi", "1.0", "1024Mi"), null),
        s.networking(), s.credentials(), s.configuration(), s.webhooks());
    create(client, Fixtures.instance("halves", halves));
    Deployment d = awaitDeployment(client, NS, "halves");
    var resources = d.getSpec().getTemplate().getSpec().getContainers().get(0).getResources();
    assertThat(resources.getRequests()).containsEntry("cpu", new Quantity("500m")).containsEntry("memory", new Quantity("512Mi"));
    assertThat(resources.getLimits()).containsEntry("cpu", new Quantity("1")).containsEntry("memory", new Quantity("1Gi"));
    markReady(client, NS, "halves");
    awaitPhase(client, "halves", BookInstanceDefinitionStatus.READY);

    double written = controller.count(ResourceApplier.WRITES, "kind", "Deployment");
    double reconciled = controller.count("operator.sdk.reconciliations.success");
    for (int i = 0; i < 3; i++) {
      touchBook();
      double after = reconciled + i + 1;
      await().atMost(WAIT).until(() -> controller.count("operator.sdk.reconciliations.success") >= after);
    }
    assertThat(controller.count(ResourceApplier.WRITES, "kind", "Deployment")).as("Deployment writes").isEqualTo(written);
  }

  @Test
  void aWebhookTriggeredBookSleepsWhenIdleAndAWebhookOnItsLeaseWakesIt() {
    create(client, Fixtures.instance("sleeper", Fixtures.spec(NS, "webhook-triggered")));
    Deployment d = awaitDeployment(client, NS, "sleeper");
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
        .anySatisfy(e -> assertThat(e.getName() + "=" + e.getValue()).isEqualTo("RUN_MANAGER_ENDPOINT=http://run-manager.jeeves.svc.cluster.local"));
    var leases = client.leases().inNamespace(NS).withName("sleeper-wake");
    await().atMost(WAIT).until(() -> leases.get() != null);
    assertThat(leases.get().getMetadata().getLabels()).containsEntry(BookWake.LEASE_LABEL, "true");
    assertThat(client.resources(ExternalBookDefinition.class).inNamespace(NS).withName("sleeper").get().getSpec().wake().lease())
        .isEqualTo("sleeper-wake");
    markReady(client, NS, "sleeper");
    awaitPhase(client, "sleeper", BookInstanceDefinitionStatus.READY);
    await().atMost(WAIT).until(() -> "true".equals(annotation(leases.get(), BookWake.READY)));

    // No webhook for the idle period: scaled to zero, Sleeping, the Lease says not ready.
    await().atMost(WAIT).until(() -> replicas("sleeper") == 0);
    assertThat(client.apps().deployments().inNamespace(NS).withName("sleeper").get().getMetadata().getAnnotations())
        .containsKey(ManagedLabels.ASLEEP_SINCE);
    markReady(client, NS, "sleeper");
    awaitPhase(client, "sleeper", BookInstanceDefinitionStatus.SLEEPING);
    await().atMost(WAIT).until(() -> "false".equals(annotation(leases.get(), BookWake.READY)));

    // A webhook, as ext-authz records it: woken, Waking until ready, then Ready.
    leases.patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + BookWake.LAST_WEBHOOK + "\":\"" + Instant.now() + "\"}}}");
    await().atMost(WAIT).until(() -> replicas("sleeper") == 2);
    awaitPhase(client, "sleeper", BookInstanceDefinitionStatus.WAKING);
    markReady(client, NS, "sleeper");
    awaitPhase(client, "sleeper", BookInstanceDefinitionStatus.READY);
    await().atMost(WAIT).until(() -> "true".equals(annotation(leases.get(), BookWake.READY)));
    assertThat(annotation(leases.get(), BookWake.LAST_WEBHOOK)).as("the activity record survives the controller's writes").isNotNull();
  }

  private int replicas(String name) {
    Integer r = client.apps().deployments().inNamespace(NS).withName(name).get().getSpec().getReplicas();
    return r == null ? 1 : r;
  }

  private void touchBook() {
    client.resources(BookDefinition.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName(Fixtures.BOOK)
        .edit(b -> {
          b.getMetadata().getLabels().put("touched", String.valueOf(System.nanoTime()));
          return b;
        });
  }

  private static String annotation(Lease lease, String key) {
    return lease == null || lease.getMetadata().getAnnotations() == null ? null : lease.getMetadata().getAnnotations().get(key);
  }

  private static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
