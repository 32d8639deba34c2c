package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.FieldMask;
import com.google.rpc.Code;
import io.voyager.bdk.library.v1.Configuration;
import io.voyager.bdk.library.v1.Credential;
import io.voyager.bdk.library.v1.Deployment;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.Networking;
import io.voyager.bdk.library.v1.Resources;
import io.voyager.bdk.library.v1.Scaling;
import io.voyager.bdk.library.v1.Tailscale;
import io.voyager.bdk.library.v1.WebhookBinding;
import io.voyager.bdk.library.v1.WebhookDeliverySummary;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** AIP-134 field masks on an instance: which fields change, which are refused, which are ignored. */
class UpdateMaskTest {

  static final Instance CURRENT = Instance.newBuilder()
      .setInstanceId("i-1").setBookId("b-1").setCustomerNamespace("customer-acme").setOrganizationId("acme")
      .setBookVersion("1.0.0").setStatus("Ready").setEtag("W/\"1-0\"")
      .setDeployment(Deployment.newBuilder().setType("primary").setReplicas(2)
          .setResources(Resources.newBuilder().setCpu("500m").setMemory("1Gi"))
          .setScaling(Scaling.newBuilder().setMinReplicas(1).setMaxReplicas(4)))
      .setConfiguration(Configuration.newBuilder().setEnvironment("production").setLogLevel("info"))
      .addCredentials(Credential.newBuilder().setName("zendesk_secret").setSource("manual"))
      .addWebhooks(WebhookBinding.newBuilder().setIntegration("zendesk").setScheme("zendesk").setCredential("zendesk_secret"))
      .build();

  static Instance body() {
    return Instance.newBuilder().setBookId("b-1").setInstanceId("i-1").build();
  }

  static Instance apply(Instance body, String... paths) {
    return UpdateMask.of(FieldMask.newBuilder().addAllPaths(List.of(paths)).build(), body).apply(CURRENT, body);
  }

  static ApiException refused(Instance body, String... paths) {
    ApiException e = catchThrowableOfType(ApiException.class, () -> apply(body, paths));
    assertThat(e).as("expected a refusal").isNotNull();
    assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT);
    return e;
  }

  @Test
  void aMaskedLeafChangesAndEverythingElseStays() {
    Instance merged = apply(body().toBuilder().setDeployment(Deployment.newBuilder().setReplicas(5)
        .setResources(Resources.newBuilder().setCpu("9"))).build(), "deployment.replicas");
    assertThat(merged.getDeployment().getReplicas()).isEqualTo(5);
    assertThat(merged.getDeployment().getResources().getCpu()).as("not in the mask").isEqualTo("500m");
    assertThat(merged.getDeployment().getScaling()).isEqualTo(CURRENT.getDeployment().getScaling());
    assertThat(merged.getWebhooksList()).isEqualTo(CURRENT.getWebhooksList());
    assertThat(merged.getConfiguration()).isEqualTo(CURRENT.getConfiguration());
  }

  @Test
  void aNamedFieldLeftOutOfTheBodyIsCleared() {
    Instance merged = apply(body(), "deployment.scaling", "configuration.log_level");
    assertThat(merged.getDeployment().hasScaling()).isFalse();
    assertThat(merged.getConfiguration().getLogLevel()).isEmpty();
    assertThat(merged.getConfiguration().getEnvironment()).isEqualTo("production");
  }

  @Test
  void withoutAMaskTheFieldsTheBodySetsChangeDownToTheirLeaves() {
    Instance merged = apply(body().toBuilder().setDeployment(Deployment.newBuilder().setReplicas(3)).build());
    assertThat(merged.getDeployment().getReplicas()).isEqualTo(3);
    assertThat(merged.getDeployment().getResources().getMemory()).as("a sibling the body left out").isEqualTo("1Gi");
    assertThat(merged.getDeployment().getType()).isEqualTo("primary");
    // the body's ids (from the path), etag and output-only fields are not changes
    Instance same = apply(body().toBuilder().setEtag("W/\"1-0\"").setStatus("Failed").setCustomerNamespace("customer-acme").build());
    assertThat(same).isEqualTo(CURRENT);
    // a read sent back whole (read-modify-write) carries the delivery summary: not a change either
    Instance readBack = apply(body().toBuilder().setWebhookDeliverySummary(
        WebhookDeliverySummary.newBuilder().setState("available").setWaitingCount(3)).build());
    assertThat(readBack).isEqualTo(CURRENT);
  }

  @Test
  void listsAreReplacedWhole() {
    Instance merged = apply(body().toBuilder()
        .addWebhooks(WebhookBinding.newBuilder().setIntegration("github").setScheme("github").setCredential("gh")).build(),
        "webhooks");
    assertThat(merged.getWebhooksList()).extracting(WebhookBinding::getIntegration).containsExactly("github");
    assertThat(apply(body(), "webhooks").getWebhooksList()).isEmpty();
  }

  @Test
  void starReplacesEveryUpdatableFieldButKeepsTypeAndVersionWhenLeftEmpty() {
    Instance merged = apply(body().toBuilder().setDeployment(Deployment.newBuilder().setReplicas(1))
        .setNetworking(Networking.newBuilder().setTailscale(Tailscale.newBuilder().setEnabled(true))).build(), "*");
    assertThat(merged.getDeployment().getReplicas()).isEqualTo(1);
    assertThat(merged.getDeployment().getType()).isEqualTo("primary");
    assertThat(merged.getDeployment().hasResources()).isFalse();
    assertThat(merged.getCredentialsList()).isEmpty();
    assertThat(merged.getWebhooksList()).isEmpty();
    assertThat(merged.getBookVersion()).isEqualTo("1.0.0");
    assertThat(merged.getNetworking().getTailscale().getEnabled()).isTrue();
    assertThat(merged.getInstanceId()).isEqualTo("i-1");
    assertThat(refused(body(), "*", "deployment").getMessage()).contains("update_mask").contains("only path");
  }

  @Test
  void immutableFieldsAreRefusedNamingEachWhenTheBodyChangesThem() {
    ApiException e = refused(body().toBuilder().setCustomerNamespace("customer-globex").setOrganizationId("globex").build(),
        "customer_namespace", "organization_id");
    assertThat(e.violations()).extracting(ApiException.Violation::field)
        .containsExactlyInAnyOrder("customer_namespace", "organization_id");
    assertThat(e.getMessage()).contains("customer_namespace: cannot be changed").contains("'customer-acme'");
    // the same value, or none, is no change
    assertThat(apply(body().toBuilder().setCustomerNamespace("customer-acme").build(), "customer_namespace")).isEqualTo(CURRENT);
    // without a mask too
    assertThat(refused(body().toBuilder().setOrganizationId("globex").build()).violations())
        .extracting(ApiException.Violation::field).containsExactly("organization_id");
    assertThat(refused(body().toBuilder().setBookId("b-2").build(), "book_id").getMessage())
        .contains("book_id: cannot be changed").contains("book_version");
  }

  @Test
  void theDeploymentTypeStaysWhateverPathCarriesIt() {
    Instance shared = body().toBuilder().setDeployment(Deployment.newBuilder().setType("shared").setReplicas(2)).build();
    assertThat(refused(shared, "deployment.type").violations()).extracting(ApiException.Violation::field)
        .containsExactly("deployment.type");
    assertThat(refused(shared, "deployment").violations()).extracting(ApiException.Violation::field)
        .containsExactly("deployment.type");
    assertThat(refused(shared).violations()).extracting(ApiException.Violation::field).containsExactly("deployment.type");
    // an empty type under a replaced deployment keeps the type
    assertThat(apply(body().toBuilder().setDeployment(Deployment.newBuilder().setReplicas(7)).build(), "deployment")
        .getDeployment().getType()).isEqualTo("primary");
  }

  @Test
  void outputOnlyFieldsInTheMaskAreIgnored() {
    assertThat(apply(body().toBuilder().setStatus("Failed").setCreatedAt("1970-01-01T00:00:00Z").build(),
        "status", "created_at", "conditions", "deployment_status", "last_updated", "etag", "webhook_delivery_summary"))
        .isEqualTo(CURRENT);
  }

  @ParameterizedTest
  @ValueSource(strings = {"replicas", "deployment.replica", "webhooks.rate_limit", "webhooks[0].scheme",
      "configuration.custom_settings.max", "deployment.type.x", "etag.x"})
  void unknownPathsAreRefusedNamingTheMask(String path) {
    ApiException e = refused(body(), path);
    assertThat(e.violations()).extracting(ApiException.Violation::field).containsOnly("update_mask");
    assertThat(e.getMessage()).contains(path.length() > 64 ? path.substring(0, 64) : path);
  }

  @Test
  void theUpdatablePathsAreTheMasksInItsOrder() {
    UpdateMask mask = UpdateMask.of(FieldMask.newBuilder().addPaths("deployment.replicas").addPaths(" credentials ")
        .addPaths("status").build(), body());
    assertThat(mask.updatable()).containsExactly("deployment.replicas", "credentials");
  }
}
