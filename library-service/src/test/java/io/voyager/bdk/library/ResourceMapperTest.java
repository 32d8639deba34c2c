package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.voyager.bdk.library.v1.Book;
import io.voyager.bdk.library.v1.Configuration;
import io.voyager.bdk.library.v1.CreateBookRequest;
import io.voyager.bdk.library.v1.CreateInstanceRequest;
import io.voyager.bdk.library.v1.CredentialInput;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.Integration;
import io.voyager.bdk.library.v1.WebhookBinding;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.WebhookEndpoint;
import io.voyager.bdk.model.WebhookRoutes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ResourceMapperTest {

  private final ResourceMapper mapper = new ResourceMapper("bdk");
  private final Instant now = Instant.parse("2024-01-01T00:00:00.123Z");

  private BookDefinition book() {
    return mapper.toBookDefinition(CreateBookRequest.newBuilder().setName("support").setVersion("1.0.0")
        .addIntegrations(Integration.newBuilder().setName("zendesk").setType("webhook")).build(),
        UUID.fromString("11111111-1111-1111-1111-111111111111"), now);
  }

  @Test
  void bookRoundTripsThroughTheResource() {
    BookDefinition d = book();
    assertThat(d.getMetadata().getNamespace()).isEqualTo("bdk");
    assertThat(d.getMetadata().getAnnotations()).containsEntry(BdkLabels.CREATED_AT, "2024-01-01T00:00:00Z");
    Book b = mapper.toBook(d);
    assertThat(b.getBookId()).isEqualTo("11111111-1111-1111-1111-111111111111");
    assertThat(b.getCreatedAt()).isEqualTo("2024-01-01T00:00:00Z");
    assertThat(b.getIntegrations(0).getType()).isEqualTo("webhook");
  }

  @Test
  void instanceCarriesNamesNotValuesAndReportsPathsAndPendingStatus() {
    UUID id = UUID.fromString("22222222-2222-2222-2222-222222222222");
    CreateInstanceRequest r = CreateInstanceRequest.newBuilder()
        .setBookId("11111111-1111-1111-1111-111111111111")
        .setCustomerNamespace("customer-acme")
        .addCredentials(CredentialInput.newBuilder().setName("zd").setValue("the-value").setSource("manual"))
        .addWebhooks(WebhookBinding.newBuilder().setIntegration("zendesk").setScheme("zendesk").setCredential("zd")
            .setPath("/ignored/on/input"))
        .setConfiguration(Configuration.newBuilder().setCustomSettings(Struct.newBuilder()
            .putFields("max_tickets_per_hour", Value.newBuilder().setNumberValue(100).build())))
        .build();
    BookInstanceDefinition d = mapper.toInstanceDefinition(r, book(), r.getOrganizationId(), id, now);
    assertThat(d.getMetadata().getName()).isEqualTo("support-" + id);
    assertThat(d.getSpec().configuration().customSettings()).containsEntry("max_tickets_per_hour", 100L);
    assertThat(d.getSpec().credentials().get(0).name()).isEqualTo("zd");
    assertThat(d.getSpec().toString()).doesNotContain("the-value");

    Instance i = mapper.toInstance(d);
    assertThat(i.getStatus()).isEqualTo("Pending");
    assertThat(i.getInstanceId()).isEqualTo(id.toString());
    assertThat(i.getBookId()).isEqualTo("11111111-1111-1111-1111-111111111111");
    assertThat(i.getWebhooks(0).getIntegration()).isEqualTo("zendesk");
    assertThat(i.getWebhooks(0).getPath()).isEmpty(); // nothing routes it yet
    assertThat(i.toString()).doesNotContain("the-value");

    var secret = mapper.credentialsSecret(d, Map.of("zd", "the-value"));
    assertThat(secret.getMetadata().getName()).isEqualTo("support-" + id + "-credentials");
    assertThat(secret.getMetadata().getNamespace()).isEqualTo("customer-acme");
    assertThat(secret.getData()).containsOnlyKeys("zd");
    assertThat(secret.getMetadata().getLabels()).containsEntry(BdkLabels.INSTANCE_NAME, d.getMetadata().getName())
        .containsEntry(BdkLabels.INSTANCE_ID, id.toString());
  }

  @Test
  void webhookLimitsRoundTripAndZeroMeansNotSet() {
    UUID id = UUID.fromString("33333333-3333-3333-3333-333333333333");
    CreateInstanceRequest r = CreateInstanceRequest.newBuilder()
        .setBookId("11111111-1111-1111-1111-111111111111")
        .setCustomerNamespace("customer-acme")
        .addWebhooks(WebhookBinding.newBuilder().setIntegration("zendesk").setScheme("zendesk").setCredential("zd")
            .setMaxBodyBytes(4096).setToleranceSeconds(600)
            .setRateLimit(io.voyager.bdk.library.v1.RateLimit.newBuilder().setBurst(5)))
        .addWebhooks(WebhookBinding.newBuilder().setIntegration("github").setScheme("github").setCredential("gh"))
        .build();
    BookInstanceDefinition d = mapper.toInstanceDefinition(r, book(), r.getOrganizationId(), id, now);
    var limited = d.getSpec().webhooks().get(0);
    assertThat(limited.maxBodyBytes()).isEqualTo(4096);
    assertThat(limited.toleranceSeconds()).isEqualTo(600);
    assertThat(limited.rateLimit()).isEqualTo(new io.voyager.bdk.model.RateLimit(null, 5));
    assertThat(d.getSpec().webhooks().get(1).maxBodyBytes()).isNull();
    Instance i = mapper.toInstance(d);
    assertThat(i.getWebhooks(0).getMaxBodyBytes()).isEqualTo(4096);
    assertThat(i.getWebhooks(1).getMaxBodyBytes()).isZero();
  }

  @Test
  void deliveryAndOrderedRoundTripAndAbsentMeansDirect() {
    UUID id = UUID.fromString("44444444-4444-4444-4444-444444444444");
    CreateInstanceRequest r = CreateInstanceRequest.newBuilder()
        .setBookId("11111111-1111-1111-1111-111111111111")
        .setCustomerNamespace("customer-acme")
        .addWebhooks(WebhookBinding.newBuilder().setIntegration("zendesk").setScheme("zendesk").setCredential("zd")
            .setDelivery("queued").setOrdered(true))
        .addWebhooks(WebhookBinding.newBuilder().setIntegration("github").setScheme("github").setCredential("gh"))
        .build();
    BookInstanceDefinition d = mapper.toInstanceDefinition(r, book(), r.getOrganizationId(), id, now);
    assertThat(d.getSpec().webhooks().get(0).delivery()).isEqualTo("queued");
    assertThat(d.getSpec().webhooks().get(0).ordered()).isTrue();
    assertThat(d.getSpec().webhooks().get(1).delivery()).as("absent, not written").isNull();
    assertThat(d.getSpec().webhooks().get(1).ordered()).isNull();
    Instance i = mapper.toInstance(d);
    assertThat(i.getWebhooks(0).getDelivery()).isEqualTo("queued");
    assertThat(i.getWebhooks(0).getOrdered()).isTrue();
    assertThat(i.getWebhooks(1).getDelivery()).as("a read says what applies").isEqualTo("direct");
    assertThat(i.getWebhooks(1).getOrdered()).isFalse();
  }

  private BookInstanceDefinition webhookInstance(UUID id) {
    CreateInstanceRequest r = CreateInstanceRequest.newBuilder()
        .setBookId("11111111-1111-1111-1111-111111111111")
        .setCustomerNamespace("customer-acme")
        .addWebhooks(WebhookBinding.newBuilder().setIntegration("zendesk").setScheme("zendesk").setCredential("zd"))
        .build();
    return mapper.toInstanceDefinition(r, book(), r.getOrganizationId(), id, now);
  }

  private static String pathOf(UUID id) {
    return WebhookRoutes.publicPath("customer-acme", "support-" + id, "zendesk");
  }

  /** A status in {@code phase} as the controller writes it, with the gateway's mirrored verdict. */
  private static BookInstanceDefinitionStatus status(
      String phase, List<WebhookEndpoint> routed, Condition... gateway) {
    List<Condition> conditions = new ArrayList<>();
    conditions.add(new Condition("Valid", BookInstanceDefinitionStatus.FAILED.equals(phase) ? "False" : "True",
        "r", "m", "2024-01-01T00:00:01Z", 1L));
    conditions.addAll(List.of(gateway));
    return new BookInstanceDefinitionStatus(phase, null, "2024-01-01T00:00:01Z", conditions, 1L, routed);
  }

  private static final Condition ROUTED = new Condition(
      "WebhooksRouted", "True", "Routed", "webhook routes are served by the gateway", "2024-01-01T00:00:01Z", 1L);

  @Test
  void aPathTheGatewayRoutesIsReported_inEveryPhase() {
    UUID id = UUID.fromString("44444444-4444-4444-4444-444444444444");
    for (String phase : List.of(BookInstanceDefinitionStatus.READY, BookInstanceDefinitionStatus.UPDATING,
        BookInstanceDefinitionStatus.PENDING, BookInstanceDefinitionStatus.FAILED)) {
      BookInstanceDefinition d = webhookInstance(id);
      d.setStatus(status(phase, List.of(new WebhookEndpoint("zendesk", pathOf(id))), ROUTED));

      Instance i = mapper.toInstance(d);

      assertThat(i.getStatus()).isEqualTo(phase);
      assertThat(i.getWebhooks(0).getPath()).as(phase).isEqualTo(pathOf(id));
    }
  }

  @Test
  void beforeTheGatewayHasRoutedIt_aReadyInstanceReportsItsBindingWithoutPath() {
    BookInstanceDefinition d = webhookInstance(UUID.fromString("33333333-3333-3333-3333-333333333333"));
    d.setStatus(status(BookInstanceDefinitionStatus.READY, List.of()));

    Instance i = mapper.toInstance(d);

    assertThat(i.getStatus()).isEqualTo("Ready");
    assertThat(i.getWebhooksList()).singleElement().satisfies(w -> {
      assertThat(w.getIntegration()).isEqualTo("zendesk");
      assertThat(w.getScheme()).isEqualTo("zendesk");
      assertThat(w.getCredential()).isEqualTo("zd");
      assertThat(w.getPath()).isEmpty();
    });
  }

  @Test
  void aPathTheGatewayRefusesIsLeftOut_andItsMessageIsShownInTheConditions() {
    UUID id = UUID.fromString("55555555-5555-5555-5555-555555555555");
    BookInstanceDefinition d = webhookInstance(id);
    String message = "held out of the gateway until its resources change: Envoy rejected cluster 'x'";
    d.setStatus(status(BookInstanceDefinitionStatus.READY, List.of(),
        new Condition("WebhooksRouted", "False", "EnvoyRejected", message, "2024-01-01T00:00:02Z", 1L)));

    Instance i = mapper.toInstance(d);

    assertThat(i.getWebhooks(0).getPath()).isEmpty();
    assertThat(i.getConditionsList()).anySatisfy(c -> {
      assertThat(c.getType()).isEqualTo("WebhooksRouted");
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("EnvoyRejected");
      assertThat(c.getMessage()).isEqualTo(message);
    });

    d.setStatus(status(BookInstanceDefinitionStatus.READY, List.of(new WebhookEndpoint("zendesk", pathOf(id))), ROUTED));
    assertThat(mapper.toInstance(d).getWebhooks(0).getPath()).isEqualTo(pathOf(id));
  }

  @Test
  void onlyTheExactRoutedPathCounts() {
    UUID id = UUID.fromString("66666666-6666-6666-6666-666666666666");
    BookInstanceDefinition d = webhookInstance(id);
    // Routed for another integration, or a path of another namespace (a status not yet caught up): not this binding's.
    d.setStatus(status(BookInstanceDefinitionStatus.READY, List.of(
        new WebhookEndpoint("github", WebhookRoutes.publicPath("customer-acme", "support-" + id, "github")),
        new WebhookEndpoint("zendesk", WebhookRoutes.publicPath("customer-old", "support-" + id, "zendesk"))), ROUTED));

    assertThat(mapper.toInstance(d).getWebhooks(0).getPath()).isEmpty();
  }
}
