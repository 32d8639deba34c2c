package io.voyager.bdk.library;

import static io.voyager.bdk.library.AuthenticationTest.captureLog;
import static io.voyager.bdk.library.BookLibraryServiceTest.assertCode;
import static io.voyager.bdk.library.BookLibraryServiceTest.instanceRequest;
import static io.voyager.bdk.library.BookLibraryServiceTest.supportBook;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import com.google.rpc.BadRequest;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.voyager.bdk.library.v1.Book;
import io.voyager.bdk.library.v1.BookLibraryGrpc.BookLibraryBlockingStub;
import io.voyager.bdk.library.v1.Configuration;
import io.voyager.bdk.library.v1.Credential;
import io.voyager.bdk.library.v1.CredentialInput;
import io.voyager.bdk.library.v1.CredentialRotation;
import io.voyager.bdk.library.v1.DeleteBookRequest;
import io.voyager.bdk.library.v1.Deployment;
import io.voyager.bdk.library.v1.GetInstanceRequest;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.ListInstancesRequest;
import io.voyager.bdk.library.v1.Networking;
import io.voyager.bdk.library.v1.RateLimit;
import io.voyager.bdk.library.v1.Tailscale;
import io.voyager.bdk.library.v1.UpdateInstanceRequest;
import io.voyager.bdk.library.v1.WebhookBinding;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.CredentialRotations;
import io.voyager.bdk.model.InstanceNames;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * UpdateInstance through the service (in-process gRPC, the mock API server in CRUD mode, as a
 * platform-admin): field masks, etags, immutable fields, the create's validation, book versions,
 * and credentials — generated, rotated with an overlap, removed — never read back.
 */
@EnableKubernetesMockClient(crud = true)
class InstanceUpdateTest {
  static final String NS = LibraryHarness.ACME_NS;

  KubernetesClient client;
  private LibraryHarness library;
  private BookLibraryBlockingStub stub;
  private Book book;

  @BeforeEach
  void start() {
    LibraryHarness.tenants(client);
    library = new LibraryHarness(client);
    stub = library.as(LibraryHarness.PLATFORM_ADMIN);
    book = stub.createBook(supportBook("1.0.0"));
  }

  @AfterEach
  void stop() {
    library.close();
  }

  // ---- field masks and etags ----

  @Test
  void scalingWithAMaskAndTheEtagChangesOnlyReplicasAndAnswersTheNewEtag() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    assertThat(created.getEtag()).isEqualTo("W/\"1-0\"");
    assertThat(created.getBookVersion()).isEqualTo("1.0.0");

    Instance scaled = stub.updateInstance(patch(created, Instance.newBuilder()
        .setDeployment(Deployment.newBuilder().setReplicas(4).setType("ignored-not-in-mask")), "deployment.replicas"));

    assertThat(scaled.getDeployment().getReplicas()).isEqualTo(4);
    assertThat(scaled.getDeployment().getType()).isEqualTo("primary");
    assertThat(scaled.getWebhooksList()).isEqualTo(created.getWebhooksList());
    assertThat(scaled.getEtag()).isEqualTo("W/\"2-0\"").isNotEqualTo(created.getEtag());
    assertThat(stored(created).getSpec().deployment().replicas()).isEqualTo(4);
    // read-your-writes: the next read shows it
    assertThat(stub.getInstance(get(created))).isEqualTo(scaled);
  }

  @Test
  void aStaleEtagIsAbortedAndWritesNothing() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    stub.updateInstance(patch(created, Instance.newBuilder().setDeployment(Deployment.newBuilder().setReplicas(3)),
        "deployment.replicas"));

    StatusRuntimeException e = assertCode(() -> stub.updateInstance(patch(created, Instance.newBuilder()
        .setDeployment(Deployment.newBuilder().setReplicas(9)), "deployment.replicas")), Status.Code.ABORTED);
    assertThat(e.getStatus().getDescription()).startsWith("etag: the instance changed since W/\"1-0\" was read (it is W/\"2-0\" now)");
    assertThat(violatedFields(e)).containsExactly("etag");
    assertThat(stored(created).getSpec().deployment().replicas()).isEqualTo(3);
    assertThat(stored(created).getMetadata().getGeneration()).isEqualTo(2L);

    StatusRuntimeException bad = assertCode(() -> stub.updateInstance(withoutEtag(created, Instance.newBuilder()
        .setEtag("\"2\""), "deployment.replicas")), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(bad)).containsExactly("etag");
  }

  @Test
  void aStatusWriteLeavesTheEtagSoAnUpdateReadBeforeItStillApplies() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    BookInstanceDefinition stored = stored(created);
    stored.setStatus(new BookInstanceDefinitionStatus("Ready", new BookInstanceDefinitionStatus.DeploymentStatus(2, 2),
        "2026-01-01T00:00:00Z", List.of(), 1L, List.of()));
    client.resources(BookInstanceDefinition.class).inNamespace("bdk").resource(stored).updateStatus();

    Instance scaled = stub.updateInstance(patch(created, Instance.newBuilder()
        .setDeployment(Deployment.newBuilder().setReplicas(1)), "deployment.replicas"));
    assertThat(scaled.getDeployment().getReplicas()).isEqualTo(1);
    assertThat(scaled.getStatus()).isEqualTo("Ready");
  }

  @Test
  void withoutAnEtagTheUpdateAppliesToTheInstanceAsItIs() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    stub.updateInstance(patch(created, Instance.newBuilder().setDeployment(Deployment.newBuilder().setReplicas(3)),
        "deployment.replicas"));
    Instance updated = stub.updateInstance(withoutEtag(created, Instance.newBuilder()
        .setConfiguration(Configuration.newBuilder().setLogLevel("debug")), "configuration.log_level"));
    assertThat(updated.getDeployment().getReplicas()).as("the other update's field stays").isEqualTo(3);
    assertThat(updated.getConfiguration().getLogLevel()).isEqualTo("debug");
  }

  @Test
  void anUpdateThatChangesNothingWritesNothing() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    String resourceVersion = stored(created).getMetadata().getResourceVersion();
    Instance same = stub.updateInstance(patch(created, Instance.newBuilder()
        .setDeployment(Deployment.newBuilder().setReplicas(2)), "deployment.replicas"));
    assertThat(same.getEtag()).isEqualTo(created.getEtag());
    assertThat(stored(created).getMetadata().getResourceVersion()).isEqualTo(resourceVersion);
  }

  @Test
  void immutableFieldsAndUnknownPathsAreRefusedNamingTheField() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    StatusRuntimeException e = assertCode(() -> stub.updateInstance(patch(created, Instance.newBuilder()
        .setCustomerNamespace(LibraryHarness.GLOBEX_NS), "customer_namespace")), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("customer_namespace");
    assertThat(e.getStatus().getDescription()).startsWith("customer_namespace: cannot be changed");

    e = assertCode(() -> stub.updateInstance(patch(created, Instance.newBuilder()
        .setDeployment(Deployment.newBuilder().setType("shared")), "deployment.type")), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("deployment.type");

    e = assertCode(() -> stub.updateInstance(patch(created, Instance.newBuilder(), "replicas")), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("update_mask");
    assertThat(stored(created).getMetadata().getGeneration()).isEqualTo(1L);
  }

  @Test
  void theCreatesValidationAppliesWithTheSameFieldNames() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    StatusRuntimeException e = assertCode(() -> stub.updateInstance(patch(created, Instance.newBuilder()
        .setDeployment(Deployment.newBuilder().setReplicas(-1))
        .addWebhooks(created.getWebhooks(0).toBuilder().setRateLimit(RateLimit.newBuilder().setBurst(5000))
            .setCredential("nope")), "deployment.replicas", "webhooks")), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactlyInAnyOrder("deployment.replicas", "webhooks[0].rate_limit.burst",
        "webhooks[0].credential");
    assertThat(e.getStatus().getDescription()).contains("webhooks[0].credential: names no credential of the instance: 'nope'");
    // the create says the same about the same input
    StatusRuntimeException onCreate = assertCode(() -> stub.createInstance(instanceRequest(book.getBookId())
        .setWebhooks(0, created.getWebhooks(0).toBuilder().setPath("").setRateLimit(RateLimit.newBuilder().setBurst(5000)))
        .build()), Status.Code.INVALID_ARGUMENT);
    assertThat(onCreate.getStatus().getDescription()).isEqualTo(
        "webhooks[0].rate_limit.burst: must be from 1 to 1000; got 5000");
    assertThat(e.getStatus().getDescription()).contains(onCreate.getStatus().getDescription());
    assertThat(stored(created).getMetadata().getGeneration()).isEqualTo(1L);
  }

  @Test
  void deliveryAndOrderedSurviveUpdatesOfOtherFieldsAndChangeOnlyWhenTheBindingsSaySo() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    // set through the Kubernetes API here; the API reads them back and an update of the bindings sets them
    BookInstanceDefinition stored = stored(created);
    var w = stored.getSpec().webhooks().get(0);
    var queued = new BookInstanceDefinitionSpec.WebhookBinding(w.integration(), w.scheme(), w.credential(),
        w.toleranceSeconds(), w.rateLimit(), w.hmac(), w.maxBodyBytes(), "queued", true);
    stored.setSpec(new BookInstanceDefinitionSpec(stored.getSpec().bookRef(), stored.getSpec().customer(),
        stored.getSpec().deployment(), stored.getSpec().networking(), stored.getSpec().credentials(),
        stored.getSpec().configuration(), List.of(queued)));
    client.resources(BookInstanceDefinition.class).inNamespace("bdk").resource(stored).update();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> stub.getInstance(get(created)).getEtag().equals("W/\"2-0\""));

    Instance scaled = stub.updateInstance(patch(stub.getInstance(get(created)), Instance.newBuilder()
        .setDeployment(Deployment.newBuilder().setReplicas(3)), "deployment.replicas"));
    assertThat(stored(created).getSpec().webhooks().get(0).delivery()).isEqualTo("queued");
    stub.updateInstance(patch(scaled, Instance.newBuilder().addWebhooks(scaled.getWebhooks(0).toBuilder()
        .setRateLimit(RateLimit.newBuilder().setBurst(9))), "webhooks"));
    var after = stored(created).getSpec().webhooks().get(0);
    assertThat(after.rateLimit().burst()).isEqualTo(9);
    assertThat(after.delivery()).isEqualTo("queued");
    assertThat(after.ordered()).isTrue();
    Instance read = stub.getInstance(get(created));
    assertThat(read.getWebhooks(0).getDelivery()).isEqualTo("queued");
    // a queued binding: the read carries the delivery summary (this library has no NATS: unavailable,
    // and the read answers as always); a list does not read the queue; a read sent back is no change
    assertThat(read.getWebhookDeliverySummary().getState()).isEqualTo(DeliverySummaries.UNAVAILABLE);
    assertThat(read.getWebhookDeliverySummary().getUnavailableReason()).contains("--nats-url");
    assertThat(stub.listInstances(ListInstancesRequest.newBuilder().setBookId(book.getBookId()).build()).getInstancesList())
        .allSatisfy(i -> assertThat(i.hasWebhookDeliverySummary()).isFalse());
    stub.updateInstance(patch(read, Instance.newBuilder().addWebhooks(read.getWebhooks(0).toBuilder()
        .setDelivery("direct").setOrdered(false)), "webhooks"));
    var direct = stored(created).getSpec().webhooks().get(0);
    assertThat(direct.delivery()).as("the default is not written").isNull();
    assertThat(direct.ordered()).isNull();
    assertThat(stub.getInstance(get(created)).hasWebhookDeliverySummary()).as("no queued binding, no summary").isFalse();
  }

  // ---- book versions ----

  @Test
  void anUpgradeMovesTheInstanceToThatVersionsBook() {
    Book v2 = stub.createBook(supportBook("2.0.0"));
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());

    StatusRuntimeException missing = assertCode(() -> stub.updateInstance(patch(created,
        Instance.newBuilder().setBookVersion("3.0.0"), "book_version")), Status.Code.INVALID_ARGUMENT);
    assertThat(missing.getStatus().getDescription()).isEqualTo(
        "book_version: book 'customer-support' has no version '3.0.0' (publish it first; an instance runs only versions of its own book)");

    Instance upgraded = stub.updateInstance(patch(created, Instance.newBuilder().setBookVersion("2.0.0"), "book_version"));
    assertThat(upgraded.getBookId()).isEqualTo(v2.getBookId());
    assertThat(upgraded.getBookVersion()).isEqualTo("2.0.0");
    assertThat(stored(created).getSpec().bookRef().version()).isEqualTo("2.0.0");
    assertThat(stub.getInstance(GetInstanceRequest.newBuilder().setBookId(v2.getBookId())
        .setInstanceId(created.getInstanceId()).build()).getBookVersion()).isEqualTo("2.0.0");
    assertCode(() -> stub.getInstance(get(created)), Status.Code.NOT_FOUND);
    assertThat(stub.listInstances(ListInstancesRequest.newBuilder().setBookId(book.getBookId()).build()).getInstancesList()).isEmpty();
    // the old version has no instance left, so it may go; the new one may not
    stub.deleteBook(DeleteBookRequest.newBuilder().setBookId(book.getBookId()).build());
    assertCode(() -> stub.deleteBook(DeleteBookRequest.newBuilder().setBookId(v2.getBookId()).build()),
        Status.Code.FAILED_PRECONDITION);
  }

  // ---- credentials ----

  @Test
  void aGeneratedCredentialIsAnsweredOnceAndNeverReadOrLoggedAgain() {
    List<String> values = new ArrayList<>();
    String log = captureLog(() -> {
      Instance created = stub.createInstance(instanceRequest(book.getBookId())
          .setCredentials(0, CredentialInput.newBuilder().setName("zendesk_secret").setSource("generated")).build());
      String value = created.getCredentials(0).getValue();
      values.add(value);
      assertThat(value).matches("[A-Za-z0-9_-]{43}");
      assertThat(Base64.getUrlDecoder().decode(value)).hasSize(32);
      assertThat(secretValues(created)).containsEntry("zendesk_secret", value);

      Instance read = stub.getInstance(get(created));
      assertThat(read.getCredentials(0).hasValue()).isFalse();
      assertThat(read.toString()).doesNotContain(value);
      assertThat(stub.listInstances(ListInstancesRequest.newBuilder().setBookId(book.getBookId()).build()).toString())
          .doesNotContain(value);

      // rotating it generates another, answered once too; unrelated updates answer none
      Instance rotated = stub.updateInstance(patch(read, Instance.newBuilder().addCredentials(Credential.newBuilder()
          .setName("zendesk_secret").setSource("generated").setRotation(CredentialRotation.getDefaultInstance())), "credentials"));
      String second = rotated.getCredentials(0).getValue();
      values.add(second);
      assertThat(second).hasSize(43).isNotEqualTo(value);
      assertThat(secretValues(created)).containsEntry("zendesk_secret", second);
      assertThat(rotated.getCredentials(0).getRotatedAt()).isNotEmpty();
      Instance scaled = stub.updateInstance(patch(rotated, Instance.newBuilder()
          .setDeployment(Deployment.newBuilder().setReplicas(1)), "deployment.replicas"));
      assertThat(scaled.getCredentials(0).hasValue()).isFalse();
      assertThat(stub.getInstance(get(created)).toString()).doesNotContain(second);
      assertThat(stored(created).toString()).doesNotContain(value).doesNotContain(second);
    }).toString(StandardCharsets.UTF_8);
    assertThat(log).contains("event=credentials_written").contains("event=instance_created");
    values.forEach(v -> assertThat(log).doesNotContain(v));
  }

  @Test
  void aGeneratedSecretForAStandardWebhooksBindingIsWhsec() {
    Book standard = stub.createBook(supportBook("1.1.0"));
    Instance created = stub.createInstance(instanceRequest(standard.getBookId())
        .setCredentials(0, CredentialInput.newBuilder().setName("zendesk_secret").setSource("generated"))
        .setWebhooks(0, WebhookBinding.newBuilder().setIntegration("zendesk").setScheme("standard").setCredential("zendesk_secret"))
        .build());
    assertThat(created.getCredentials(0).getValue()).startsWith("whsec_");
    assertThat(Base64.getDecoder().decode(created.getCredentials(0).getValue().substring(6))).hasSize(32);
  }

  @Test
  void aRotationWithAnOverlapKeepsThePreviousValueUntilTheSweepRemovesIt() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    Instance rotated = stub.updateInstance(patch(created, Instance.newBuilder().addCredentials(Credential.newBuilder()
        .setName("zendesk_secret").setSource("manual").setValue("the-new-secret")
        .setRotation(CredentialRotation.newBuilder().setOverlapSeconds(600))), "credentials"));

    assertThat(secretValues(created)).containsEntry("zendesk_secret",
        "the-new-secret\n" + BookLibraryServiceTest.SECRET_VALUE);
    Secret secret = secret(created);
    assertThat(secret.getMetadata().getLabels()).containsEntry(CredentialRotations.PENDING_LABEL, "true");
    var pending = CredentialRotations.parse(secret.getMetadata().getAnnotations().get(CredentialRotations.PREVIOUS_VALUES));
    assertThat(pending.get("zendesk_secret").currentLines()).isEqualTo(1);
    Credential reported = rotated.getCredentials(0);
    assertThat(reported.hasValue()).isFalse();
    assertThat(Instant.parse(reported.getPreviousValidUntil()))
        .isEqualTo(Instant.parse(reported.getRotatedAt()).plusSeconds(600))
        .isEqualTo(pending.get("zendesk_secret").validUntil());
    assertThat(rotated.getEtag()).as("a value rotation makes older etags stale").isEqualTo("W/\"1-1\"");
    assertThat(stored(created).getMetadata().getGeneration()).as("the spec did not change").isEqualTo(1L);
    assertCode(() -> stub.updateInstance(patch(created, Instance.newBuilder()
        .setDeployment(Deployment.newBuilder().setReplicas(3)), "deployment.replicas")), Status.Code.ABORTED);

    // a sweep before the end keeps both; one after it keeps only the new value
    Instant until = pending.get("zendesk_secret").validUntil();
    assertThat(sweeper(until.minusSeconds(1)).sweepOnce()).isZero();
    assertThat(secretValues(created).get("zendesk_secret")).contains("\n");
    assertThat(sweeper(until).sweepOnce()).isEqualTo(1);
    assertThat(secretValues(created)).containsEntry("zendesk_secret", "the-new-secret");
    Secret swept = secret(created);
    assertThat(swept.getMetadata().getLabels()).doesNotContainKey(CredentialRotations.PENDING_LABEL);
    assertThat(swept.getMetadata().getAnnotations()).doesNotContainKey(CredentialRotations.PREVIOUS_VALUES);
    assertThat(sweeper(until.plusSeconds(60)).sweepOnce()).as("nothing left to do").isZero();
  }

  @Test
  void aSecondRotationDuringAnOverlapKeepsOnlyTheValueThatWasCurrent() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    Instance first = stub.updateInstance(patch(created, rotate("second", 600), "credentials"));
    stub.updateInstance(patch(first, rotate("third", 600), "credentials"));
    assertThat(secretValues(created)).containsEntry("zendesk_secret", "third\nsecond");
    // and one without an overlap replaces at once, the pending entry with it
    Instance current = stub.getInstance(get(created));
    stub.updateInstance(patch(current, rotate("fourth", 0), "credentials"));
    assertThat(secretValues(created)).containsEntry("zendesk_secret", "fourth");
    assertThat(secret(created).getMetadata().getLabels()).doesNotContainKey(CredentialRotations.PENDING_LABEL);
  }

  @Test
  void credentialRulesNameTheFieldAndNeverTheValue() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId())
        .addCredentials(CredentialInput.newBuilder().setName("api_token").setValue("api-token-value-1")).build());
    record Case(Credential credential, String field, String words) {}
    List<Case> cases = List.of(
        new Case(Credential.newBuilder().setName("api_token").setSource("generated").setValue("x-value-1").build(),
            "credentials[1].value", "must be left out when source is generated"),
        new Case(Credential.newBuilder().setName("api_token").setSource("external").setValue("x-value-2").build(),
            "credentials[1].value", "must be left out when source is external"),
        new Case(Credential.newBuilder().setName("new_one").setSource("manual").build(),
            "credentials[1].value", "is required when source is manual"),
        new Case(Credential.newBuilder().setName("api_token").setValue("x-value-3")
            .setRotation(CredentialRotation.newBuilder().setOverlapSeconds(60)).build(),
            "credentials[1].rotation.overlap_seconds", "only a webhook signing secret keeps its previous value"),
        new Case(Credential.newBuilder().setName("api_token").setRotation(CredentialRotation.getDefaultInstance()).build(),
            "credentials[1].value", "is required to rotate a manual credential"),
        new Case(Credential.newBuilder().setName("api_token").setValue("x-value-4")
            .setRotation(CredentialRotation.newBuilder().setOverlapSeconds(700_000)).build(),
            "credentials[1].rotation.overlap_seconds", "from 0 to 604800 seconds (7 days); got 700000"));
    for (Case c : cases) {
      StatusRuntimeException e = assertCode(() -> stub.updateInstance(patch(created, Instance.newBuilder()
          .addCredentials(Credential.newBuilder().setName("zendesk_secret")).addCredentials(c.credential()), "credentials")),
          Status.Code.INVALID_ARGUMENT);
      assertThat(violatedFields(e)).as(c.toString()).containsExactly(c.field());
      assertThat(e.getStatus().getDescription()).contains(c.words()).doesNotContain(c.credential().getValue().isEmpty()
          ? "\u0000" : c.credential().getValue());
    }
    assertThat(secretValues(created)).containsEntry("api_token", "api-token-value-1");
    // on create: generated with a value, external with one, manual without one
    StatusRuntimeException e = assertCode(() -> stub.createInstance(instanceRequest(book.getBookId())
        .addCredentials(CredentialInput.newBuilder().setName("g").setSource("generated").setValue("v1"))
        .addCredentials(CredentialInput.newBuilder().setName("x").setSource("external").setValue("v2"))
        .addCredentials(CredentialInput.newBuilder().setName("m").setSource("manual")).build()), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("credentials[1].value", "credentials[2].value", "credentials[3].value");
  }

  @Test
  void keysOfCredentialsLeftOutAreRemovedButAnExternalOnesKeyIsNeverTouched() {
    Instance created = stub.createInstance(instanceRequest(book.getBookId())
        .addCredentials(CredentialInput.newBuilder().setName("api_token").setValue("token-1"))
        .addCredentials(CredentialInput.newBuilder().setName("vault_token").setSource("external")).build());
    assertThat(secretValues(created)).containsOnlyKeys("zendesk_secret", "api_token");
    // what an outside manager (e.g. External Secrets) writes
    Secret s = secret(created);
    s.getData().put("vault_token", Base64.getEncoder().encodeToString(new byte[] {(byte) 0xff, 0, 1}));
    client.secrets().inNamespace(NS).resource(s).update();

    stub.updateInstance(patch(created, Instance.newBuilder().addCredentials(Credential.newBuilder().setName("zendesk_secret")),
        "credentials"));
    Secret after = secret(created);
    assertThat(after.getData()).containsOnlyKeys("zendesk_secret", "vault_token");
    assertThat(after.getData().get("vault_token")).as("an external value's bytes, untouched").isEqualTo("/wAB");
    assertThat(secretValues(created)).containsEntry("zendesk_secret", BookLibraryServiceTest.SECRET_VALUE);
  }

  @Test
  void tailscaleNeedsItsAuthKeyCredentialOnCreateAndUpdate() {
    Networking tailscale = Networking.newBuilder().setTailscale(Tailscale.newBuilder().setEnabled(true)).build();
    var oneReplica = instanceRequest(book.getBookId());
    oneReplica.setDeployment(oneReplica.getDeployment().toBuilder().setReplicas(1));
    StatusRuntimeException e = assertCode(() -> stub.createInstance(oneReplica.clone()
        .setNetworking(tailscale).build()), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("networking.tailscale.enabled");
    assertThat(e.getStatus().getDescription()).contains("'tailscale_auth_key'");

    Instance created = stub.createInstance(oneReplica.build());
    e = assertCode(() -> stub.updateInstance(patch(created, Instance.newBuilder().setNetworking(tailscale),
        "networking.tailscale")), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("networking.tailscale.enabled");

    e = assertCode(() -> stub.updateInstance(patch(created, Instance.newBuilder().setNetworking(tailscale)
        .addCredentials(Credential.newBuilder().setName("zendesk_secret"))
        .addCredentials(Credential.newBuilder().setName("tailscale_auth_key").setSource("generated")),
        "networking.tailscale", "credentials")), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("credentials[1].source");

    Instance withTailscale = stub.updateInstance(patch(created, Instance.newBuilder().setNetworking(tailscale)
        .addCredentials(Credential.newBuilder().setName("zendesk_secret"))
        .addCredentials(Credential.newBuilder().setName("tailscale_auth_key").setValue("tskey-auth-k1")),
        "networking.tailscale", "credentials"));
    assertThat(withTailscale.getNetworking().getTailscale().getEnabled()).isTrue();
    assertThat(secretValues(created)).containsEntry("tailscale_auth_key", "tskey-auth-k1");
    // and the key may not go while Tailscale is on
    e = assertCode(() -> stub.updateInstance(patch(withTailscale, Instance.newBuilder()
        .addCredentials(Credential.newBuilder().setName("zendesk_secret")), "credentials")), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("networking.tailscale.enabled");
    // nor may it scale past one replica (one tailnet device, one state Secret)
    e = assertCode(() -> stub.updateInstance(patch(withTailscale, Instance.newBuilder()
        .setDeployment(Deployment.newBuilder().setReplicas(2)), "deployment.replicas")), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("deployment.replicas");
  }

  // ---- helpers ----

  /** An update of {@code current} with {@code fields} under {@code paths} (none: the implied mask), sending its etag. */
  static UpdateInstanceRequest patch(Instance current, Instance.Builder fields, String... paths) {
    return UpdateInstanceRequest.newBuilder()
        .setInstance(fields.clone().setBookId(current.getBookId()).setInstanceId(current.getInstanceId())
            .setEtag(current.getEtag()))
        .setUpdateMask(FieldMask.newBuilder().addAllPaths(List.of(paths)))
        .build();
  }

  /** As {@link #patch}, but the etag is what {@code fields} says (none unless set). */
  static UpdateInstanceRequest withoutEtag(Instance current, Instance.Builder fields, String... paths) {
    return UpdateInstanceRequest.newBuilder()
        .setInstance(fields.clone().setBookId(current.getBookId()).setInstanceId(current.getInstanceId()))
        .setUpdateMask(FieldMask.newBuilder().addAllPaths(List.of(paths)))
        .build();
  }

  static Instance.Builder rotate(String value, int overlapSeconds) {
    return Instance.newBuilder().addCredentials(Credential.newBuilder().setName("zendesk_secret").setValue(value)
        .setRotation(CredentialRotation.newBuilder().setOverlapSeconds(overlapSeconds)));
  }

  static GetInstanceRequest get(Instance i) {
    return GetInstanceRequest.newBuilder().setBookId(i.getBookId()).setInstanceId(i.getInstanceId()).build();
  }

  private PreviousValueSweeper sweeper(Instant at) {
    return new PreviousValueSweeper(client, Clock.fixed(at, ZoneOffset.UTC), java.time.Duration.ofHours(1),
        new SimpleMeterRegistry());
  }

  private BookInstanceDefinition stored(Instance i) {
    return client.resources(BookInstanceDefinition.class).inNamespace("bdk").list().getItems().stream()
        .filter(d -> i.getInstanceId().equals(d.getMetadata().getLabels().get(BdkLabels.INSTANCE_ID)))
        .findFirst().orElseThrow();
  }

  private Secret secret(Instance i) {
    return client.secrets().inNamespace(NS).withName(InstanceNames.credentialsSecret(stored(i).getMetadata().getName())).get();
  }

  private Map<String, String> secretValues(Instance i) {
    Map<String, String> out = new TreeMap<>();
    secret(i).getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    return out;
  }

  static List<String> violatedFields(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status).isNotNull();
    return status.getDetailsList().stream().filter(d -> d.is(BadRequest.class)).flatMap(d -> {
      try {
        return d.unpack(BadRequest.class).getFieldViolationsList().stream();
      } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
        throw new AssertionError(ex);
      }
    }).map(BadRequest.FieldViolation::getField).toList();
  }
}
