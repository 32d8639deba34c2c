package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.Code;
import io.voyager.bdk.library.v1.CreateBookRequest;
import io.voyager.bdk.library.v1.CreateInstanceRequest;
import io.voyager.bdk.library.v1.CredentialInput;
import io.voyager.bdk.library.v1.Deployment;
import io.voyager.bdk.library.v1.RateLimit;
import io.voyager.bdk.library.v1.Scaling;
import io.voyager.bdk.library.v1.Hmac;
import io.voyager.bdk.library.v1.Integration;
import io.voyager.bdk.library.v1.Networking;
import io.voyager.bdk.library.v1.Resources;
import io.voyager.bdk.library.v1.Tailscale;
import io.voyager.bdk.library.v1.WebhookBinding;
import io.voyager.bdk.model.BookDefinitionSpec;
import io.voyager.bdk.model.InstanceCredentials;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestValidatorTest {

  private final RequestValidator validator = new RequestValidator();

  private static final BookDefinitionSpec BOOK =
      new BookDefinitionSpec("customer-support", "1.0.0", null, null, null, null,
          List.of(new BookDefinitionSpec.Integration("zendesk", "webhook", null),
              new BookDefinitionSpec.Integration("slack", "api", null)));

  private static CreateBookRequest.Builder book() {
    return CreateBookRequest.newBuilder().setName("customer-support").setVersion("1.0.0");
  }

  private static CreateInstanceRequest.Builder instance() {
    return CreateInstanceRequest.newBuilder()
        .setBookId("b")
        .setCustomerNamespace("customer-acme")
        .setDeployment(Deployment.newBuilder().setType("primary").setReplicas(2)
            .setResources(Resources.newBuilder().setCpu("500m").setMemory("1Gi")))
        .addCredentials(CredentialInput.newBuilder().setName("zendesk_secret").setValue("v").setSource("manual"))
        .addWebhooks(WebhookBinding.newBuilder().setIntegration("zendesk").setScheme("zendesk").setCredential("zendesk_secret"));
  }

  private ApiException bookError(CreateBookRequest.Builder r) {
    return catchThrowableOfType(ApiException.class, () -> validator.validateCreateBook(r.build()));
  }

  private ApiException instanceError(UnaryOperator<CreateInstanceRequest.Builder> change) {
    return catchThrowableOfType(ApiException.class,
        () -> validator.validateCreateInstance(change.apply(instance()).build(), BOOK));
  }

  private static List<String> fields(ApiException e) {
    assertThat(e).as("expected a validation error").isNotNull();
    assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT);
    return e.violations().stream().map(ApiException.Violation::field).toList();
  }

  @Test
  void acceptsValidRequests() {
    assertThatCode(() -> validator.validateCreateBook(book().addIntegrations(
        Integration.newBuilder().setName("zendesk").setType("webhook")).build())).doesNotThrowAnyException();
    assertThatCode(() -> validator.validateCreateInstance(instance().build(), BOOK)).doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Customer", "-bad", "bad-", "has_underscore", "has.dot",
      "a234567890123456789012345678901234567890123456789012345678901234"})
  void refusesMissingOrMalformedName(String name) {
    ApiException e = bookError(book().setName(name));
    assertThat(fields(e)).containsExactly("name");
    assertThat(e.getMessage()).startsWith("name: ");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1", "1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0+", "1.0.0-01", "latest"})
  void refusesVersionThatIsNotSemver(String version) {
    ApiException e = bookError(book().setVersion(version));
    assertThat(fields(e)).containsExactly("version");
    assertThat(e.getMessage()).contains("version");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.0.0", "0.0.1", "1.2.0-rc.1", "1.0.0-alpha+build.5", "10.20.30+meta"})
  void acceptsSemver(String version) {
    assertThatCode(() -> validator.validateCreateBook(book().setVersion(version).build())).doesNotThrowAnyException();
  }

  @Test
  void refusesBadIntegrations() {
    ApiException e = bookError(book()
        .addIntegrations(Integration.newBuilder().setName("zendesk").setType("webhook"))
        .addIntegrations(Integration.newBuilder().setName("zendesk").setType("carrier-pigeon")));
    assertThat(fields(e)).containsExactlyInAnyOrder("integrations[1].name", "integrations[1].type");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "kube-system", "default", "bdk", "customer-", "customer-Acme", "acme"})
  void refusesNonCustomerNamespaces(String namespace) {
    assertThat(fields(instanceError(r -> r.setCustomerNamespace(namespace)))).containsExactly("customer_namespace");
  }

  @Test
  void refusesBadDeployment() {
    ApiException e = instanceError(r -> r.setDeployment(Deployment.newBuilder()
        .setType("tertiary").setReplicas(-1)
        .setResources(Resources.newBuilder().setCpu("lots").setMemory("-1Gi").setCpuLimit("1").setMemoryLimit("2Gi"))));
    assertThat(fields(e)).containsExactlyInAnyOrder(
        "deployment.type", "deployment.replicas", "deployment.resources.cpu", "deployment.resources.memory");
  }

  @ParameterizedTest
  @ValueSource(strings = {"primary", "secondary", "shared", "long-polling", "webhook-triggered"})
  void acceptsEveryDeploymentType(String type) {
    CreateInstanceRequest.Builder request = instance().setDeployment(Deployment.newBuilder().setType(type));
    if (type.equals("long-polling")) {
      request.clearWebhooks();
    }
    assertThatCode(() -> validator.validateCreateInstance(request.build(), BOOK)).doesNotThrowAnyException();
  }

  @Test
  void tailscaleTagsAndTailnetFollowTheControllersRules() {
    UnaryOperator<CreateInstanceRequest.Builder> withKey = r -> r.setDeployment(r.getDeployment().toBuilder().setReplicas(1))
        .addCredentials(CredentialInput.newBuilder().setName(InstanceCredentials.TAILSCALE_AUTH_KEY).setValue("tskey-auth-1"));
    assertThatCode(() -> validator.validateCreateInstance(withKey.apply(instance()).setNetworking(Networking.newBuilder()
        .setTailscale(Tailscale.newBuilder().setEnabled(true).setTailnet("acme-corp.ts.net")
            .addTags("tag:customer").addTags("db-reader"))).build(), BOOK)).doesNotThrowAnyException();

    ApiException e = instanceError(r -> withKey.apply(r).setNetworking(Networking.newBuilder()
        .setTailscale(Tailscale.newBuilder().setEnabled(true).setTailnet("Acme Corp")
            .addTags("tag:customer").addTags("tag:a,tag:b").addTags("--login-server=https://evil.example"))));
    assertThat(fields(e)).containsExactly("networking.tailscale.tags[1]", "networking.tailscale.tags[2]", "networking.tailscale.tailnet");
    assertThat(e.violations().get(0).description()).contains("'tag:' followed by a DNS label");
  }

  @Test
  void kernelModeTailscaleIsRefusedUnlessTheOperatorAllowsItOnTheLibraryToo() {
    UnaryOperator<CreateInstanceRequest.Builder> kernel = r -> r.setDeployment(r.getDeployment().toBuilder().setReplicas(1))
        .addCredentials(CredentialInput.newBuilder().setName(InstanceCredentials.TAILSCALE_AUTH_KEY).setValue("tskey-auth-1"))
        .setNetworking(Networking.newBuilder().setTailscale(Tailscale.newBuilder().setEnabled(true).setMode("kernel")));
    ApiException e = instanceError(kernel);
    assertThat(fields(e)).containsExactly("networking.tailscale.mode");
    assertThat(e.violations().get(0).description()).contains("--tailscale-allow-kernel-mode").contains("userspace");
    assertThatCode(() -> new RequestValidator(true).validateCreateInstance(kernel.apply(instance()).build(), BOOK))
        .doesNotThrowAnyException();
    assertThatCode(() -> validator.validateCreateInstance(kernel.apply(instance()).setNetworking(Networking.newBuilder()
        .setTailscale(Tailscale.newBuilder().setEnabled(true).setMode("userspace"))).build(), BOOK)).doesNotThrowAnyException();
  }

  @Test
  void aTailscaleInstanceRunsOneReplicaScaledOrNot() {
    UnaryOperator<CreateInstanceRequest.Builder> tailscale = r -> r.addCredentials(
        CredentialInput.newBuilder().setName(InstanceCredentials.TAILSCALE_AUTH_KEY).setValue("tskey-auth-1"))
        .setNetworking(Networking.newBuilder().setTailscale(Tailscale.newBuilder().setEnabled(true)));
    assertThatCode(() -> validator.validateCreateInstance(tailscale.apply(instance())
        .setDeployment(Deployment.newBuilder().setType("primary").setReplicas(1)).build(), BOOK)).doesNotThrowAnyException();

    ApiException e = instanceError(r -> tailscale.apply(r).setDeployment(Deployment.newBuilder().setType("primary")
        .setReplicas(2).setScaling(Scaling.newBuilder().setMinReplicas(1).setMaxReplicas(3))));
    assertThat(fields(e)).containsExactly("deployment.replicas", "deployment.scaling.max_replicas");
    assertThat(e.violations().get(0).description()).contains("a Tailscale instance runs 1 replica").contains("got 2");

    assertThatCode(() -> validator.validateCreateInstance(instance()
        .setDeployment(Deployment.newBuilder().setType("primary").setReplicas(2)).build(), BOOK)).doesNotThrowAnyException();
  }

  @Test
  void refusesWebhooksOnALongPollingInstance() {
    ApiException e = instanceError(r -> r.setDeployment(Deployment.newBuilder().setType("long-polling")));
    assertThat(fields(e)).containsExactly("webhooks");
    assertThat(e.getMessage()).contains("long-polling instance receives no webhooks");
  }

  @Test
  void refusesWebhookForIntegrationTheBookDoesNotHaveAsWebhook() {
    assertThat(fields(instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder().setIntegration("github")))))
        .containsExactly("webhooks[0].integration");
    // slack is an api integration of the book, not a webhook
    ApiException e = instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder().setIntegration("slack")));
    assertThat(fields(e)).containsExactly("webhooks[0].integration");
    assertThat(e.getMessage()).startsWith("webhooks[0].integration: ").contains("slack");
  }

  @Test
  void refusesUnknownSchemeAndUnknownCredential() {
    ApiException e = instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder()
        .setScheme("carrier-pigeon").setCredential("not_in_request")));
    assertThat(fields(e)).containsExactlyInAnyOrder("webhooks[0].scheme", "webhooks[0].credential");
  }

  @Test
  void hmacSchemeNeedsItsOptions() {
    ApiException e = instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder()
        .setScheme("hmac").setHmac(Hmac.newBuilder().setAlgorithm("md5").setPayload("timestamp.body"))));
    assertThat(fields(e)).containsExactlyInAnyOrder("webhooks[0].hmac.algorithm", "webhooks[0].hmac.timestamp_header");
  }

  @Test
  void hmacHeaderDefaultsToXSignatureAsAtTheGatewayAndAGivenOneMustBeAHeaderName() {
    assertThatCode(() -> validator.validateCreateInstance(instance().setWebhooks(0, instance().getWebhooks(0).toBuilder()
        .setScheme("hmac").setHmac(Hmac.newBuilder().setAlgorithm("sha256"))).build(), BOOK)).doesNotThrowAnyException();
    ApiException e = instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder()
        .setScheme("hmac").setHmac(Hmac.newBuilder().setHeader("X-Sig: injected"))));
    assertThat(fields(e)).containsExactly("webhooks[0].hmac.header");
    assertThat(e.getMessage()).contains("HTTP header name").doesNotContain("injected");
  }

  @Test
  void aCredentialNameMustBeASecretKey() {
    ApiException e = instanceError(r -> r.setCredentials(0, r.getCredentials(0).toBuilder().setName("no/slash")));
    assertThat(fields(e)).contains("credentials[0].name");
    assertThat(e.getMessage()).contains("a Secret key");
  }

  @Test
  void deliveryIsDirectOrQueuedAndOnlyAQueuedBindingMayBeOrdered() {
    ApiException unknown = instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder().setDelivery("carrier-pigeon")));
    assertThat(fields(unknown)).containsExactly("webhooks[0].delivery");
    assertThat(unknown.violations().get(0).description()).contains("direct", "queued");
    assertThat(fields(instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder().setOrdered(true)))))
        .containsExactly("webhooks[0].ordered");
    assertThat(fields(instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder().setDelivery("direct").setOrdered(true)))))
        .containsExactly("webhooks[0].ordered");
    for (String delivery : List.of("", "direct", "queued")) {
      assertThatCode(() -> validator.validateCreateInstance(instance().setWebhooks(0, instance().getWebhooks(0).toBuilder()
          .setDelivery(delivery)).build(), BOOK)).as(delivery).doesNotThrowAnyException();
    }
    assertThatCode(() -> validator.validateCreateInstance(instance().setWebhooks(0, instance().getWebhooks(0).toBuilder()
        .setDelivery("queued").setOrdered(true)).build(), BOOK)).doesNotThrowAnyException();
  }

  @Test
  void refusesWebhookNumbersBeyondTheCapsNamingEachField() {
    ApiException e = instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder()
        .setToleranceSeconds(7200).setMaxBodyBytes(100)
        .setRateLimit(RateLimit.newBuilder().setRequestsPerSecond(1000).setBurst(5000))));
    assertThat(fields(e)).containsExactlyInAnyOrder("webhooks[0].tolerance_seconds", "webhooks[0].max_body_bytes",
        "webhooks[0].rate_limit.requests_per_second", "webhooks[0].rate_limit.burst");
    assertThat(e.violations()).extracting(ApiException.Violation::description).containsExactlyInAnyOrder(
        "must be from 1 to 3600 seconds (1 h); got 7200",
        "must be from 1024 to 1048576 bytes (1 MiB, the gateway's maximum); got 100",
        "must be a number above 0 and at most 100; got 1000",
        "must be from 1 to 1000; got 5000");
    assertThat(fields(instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder().setToleranceSeconds(-1)))))
        .containsExactly("webhooks[0].tolerance_seconds");
    assertThat(fields(instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder()
        .setRateLimit(RateLimit.newBuilder().setRequestsPerSecond(Double.NaN))))))
        .containsExactly("webhooks[0].rate_limit.requests_per_second");
    // at the caps, and unset (0), is fine
    assertThatCode(() -> validator.validateCreateInstance(instance().setWebhooks(0, instance().getWebhooks(0).toBuilder()
        .setToleranceSeconds(3600).setMaxBodyBytes(1024 * 1024)
        .setRateLimit(RateLimit.newBuilder().setRequestsPerSecond(100).setBurst(1000))).build(), BOOK))
        .doesNotThrowAnyException();
  }

  @Test
  void theStandardSchemeNeedsAWhsecSecretNamingTheCredentialNotItsValue() {
    ApiException e = instanceError(r -> r.setWebhooks(0, r.getWebhooks(0).toBuilder().setScheme("standard"))
        .setCredentials(0, r.getCredentials(0).toBuilder().setValue("s3cr3t-acme")));
    assertThat(fields(e)).containsExactly("webhooks[0].credential");
    assertThat(e.getMessage()).contains("credential 'zendesk_secret'").contains("whsec_").doesNotContain("s3cr3t-acme");
    // a generated one is generated as whsec_<base64>, the form this scheme needs
    assertThatCode(() -> validator.validateCreateInstance(instance()
        .setWebhooks(0, instance().getWebhooks(0).toBuilder().setScheme("standard"))
        .setCredentials(0, instance().getCredentials(0).toBuilder().clearValue().setSource("generated")).build(), BOOK))
        .doesNotThrowAnyException();
    assertThatCode(() -> validator.validateCreateInstance(instance()
        .setWebhooks(0, instance().getWebhooks(0).toBuilder().setScheme("standard"))
        .setCredentials(0, instance().getCredentials(0).toBuilder()
            .setValue("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\nwhsec_c2Vjb25kLXNlY3JldA==")).build(), BOOK))
        .doesNotThrowAnyException();
  }

  @Test
  void refusesDuplicateCredentialNames() {
    ApiException e = instanceError(r -> r.addCredentials(
        CredentialInput.newBuilder().setName("zendesk_secret").setValue("other")));
    assertThat(fields(e)).containsExactly("credentials[1].name");
    assertThat(e.getMessage()).doesNotContain("other");
  }

  @Test
  void errorMessagesNeverQuoteCredentialValues() {
    ApiException e = instanceError(r -> r.setCredentials(0,
        CredentialInput.newBuilder().setName("bad name!").setValue("hunter2-value").setSource("stolen")));
    assertThat(fields(e)).contains("credentials[0].name", "credentials[0].source");
    assertThat(e.getMessage()).doesNotContain("hunter2-value");
  }

  @Test
  void pageSizeDefaultsClampsAndRefusesNegative() {
    assertThat(validator.pageSize(0)).isEqualTo(20);
    assertThat(validator.pageSize(7)).isEqualTo(7);
    assertThat(validator.pageSize(1000)).isEqualTo(100);
    ApiException e = catchThrowableOfType(ApiException.class, () -> validator.pageSize(-1));
    assertThat(fields(e)).containsExactly("page_size");
  }
}
