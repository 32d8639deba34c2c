package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.voyager.bdk.library.v1.BookLibraryGrpc;
import io.voyager.bdk.library.v1.CreateBookRequest;
import io.voyager.bdk.library.v1.CreateInstanceRequest;
import io.voyager.bdk.library.v1.Credential;
import io.voyager.bdk.library.v1.CredentialInput;
import io.voyager.bdk.library.v1.CredentialRotation;
import io.voyager.bdk.library.v1.DeleteBookRequest;
import io.voyager.bdk.library.v1.DeleteInstanceRequest;
import io.voyager.bdk.library.v1.Deployment;
import io.voyager.bdk.library.v1.GetBookRequest;
import io.voyager.bdk.library.v1.GetInstanceRequest;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.Integration;
import io.voyager.bdk.library.v1.ListBooksRequest;
import io.voyager.bdk.library.v1.ListInstancesRequest;
import io.voyager.bdk.library.v1.UpdateInstanceRequest;
import io.voyager.bdk.library.v1.WebhookBinding;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.support.auth.DevIssuer;
import io.voyager.bdk.support.tls.CertificateAuthority;
import io.voyager.bdk.xds.nack.AcceptedConditionWriter;
import io.voyager.bdk.xds.nack.NackAttribution;
import io.voyager.bdk.xds.watch.BookStatusLocks;
import io.voyager.bdk.xds.watch.StatusWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library-service, xds-server and ext-authz with exactly the RBAC of their k8s/deploy manifests,
 * on a real kube-apiserver (kube-api-test), which enforces it. Each service runs in-process from its
 * {@code Main.start} with a kubeconfig holding a real token of its own ServiceAccount (TokenRequest
 * API), so the API server authenticates it as {@code system:serviceaccount:bdk:<name>} with the
 * service-account groups, exactly as in a cluster. Then every Kubernetes call each service makes is
 * driven through its public interface and must succeed, and each identity is shown to be held to its
 * manifest (a call outside it is refused 403).
 *
 * <p>The API server runs no controllers: the test writes what the book-controller would (the
 * instance's status) and what Kubernetes would (a Service's EndpointSlice) as cluster-admin.
 */
@EnableKubeAPIServer
class DeployedRbacEndToEndTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String BDK = BdkLabels.BDK_NAMESPACE;
  /** Where the library puts the instance's credentials Secret. */
  static final String INSTANCE_NS = "customer-rbac-instance";
  /** The customer deployment the gateway routes: its ExternalBookDefinition, Service, slice and webhook Secret. */
  static final String BOOK_NS = "customer-rbac-book";
  static final String BOOK = "support";
  static final String WEBHOOK_SECRET = "support-credentials";
  /** A pod address: a real API server refuses loopback endpoints (nothing connects to it here). */
  static final String BACKEND_ADDRESS = "10.244.0.7";
  static final int BACKEND_PORT = 18999;
  static final WebhookBooks.Integration GITHUB =
      new WebhookBooks.Integration("github", "github", WEBHOOK_SECRET, null, null);
  static final ObjectMapper JSON = new ObjectMapper();
  static final DevIssuer ISSUER = DevIssuer.generate(
      DevIssuer.LOCAL_ISSUER, DevIssuer.LOCAL_AUDIENCE);
  static final String ORGANIZATION_ID = "org-rbac";

  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;

  static KubernetesClient admin;
  static Identity library;
  static Identity xds;
  static Identity extAuthz;
  static Identity relay;
  static final StackPorts ports = StackPorts.ephemeral();
  static final List<AutoCloseable> running = new ArrayList<>();

  /** A service's ServiceAccount: the kubeconfig the service runs with, and a client of the same identity. */
  record Identity(String serviceAccount, Path kubeconfig, KubernetesClient client) {}

  @BeforeAll
  static void deployAndStart() throws Exception {
    admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    Path root = ProjectRoot.get();
    DeployedManifests.crdsNamespaceAndRbac(admin, root, List.of("library-service", "xds-server", "ext-authz", "webhook-relay"), WAIT);

    LocalServiceEndpoints endpoints = new LocalServiceEndpoints(admin);
    endpoints.ensureNamespace(INSTANCE_NS);
    endpoints.ensureNamespace(BOOK_NS);
    endpoints.publish(BOOK_NS, BOOK, WebhookBooks.SERVICE_PORT_NAME, BACKEND_ADDRESS, BACKEND_PORT);
    putWebhookSecret("first-signing-secret-0123456789");
    ExternalBookDefinition book = new ExternalBookDefinition();
    book.getMetadata().setNamespace(BOOK_NS);
    book.getMetadata().setName(BOOK);
    book.setSpec(new ExternalBookDefinitionSpec("customer-support", "1.0.0", List.of(GITHUB.toSpec()),
        null, null, null, new ExternalBookDefinitionSpec.ServiceRef(BOOK, BACKEND_PORT), null));
    admin.resource(book).create();
    // The JWKS the services are started with (--jwks-configmap bdk/bdk-jwks), as an operator keeps it.
    admin.resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
        .withNewMetadata().withNamespace(BDK).withName("bdk-jwks").endMetadata()
        .withData(Map.of("jwks.json", ISSUER.publicJwks())).build()).create();
    admin.resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
        .withNewMetadata().withNamespace(BDK).withName("something-else").endMetadata()
        .withData(Map.of("k", "v")).build()).create();

    library = identity("library-service");
    xds = identity("xds-server");
    extAuthz = identity("ext-authz");
    relay = identity("webhook-relay");
    // The library verifies tokens with the JWKS in ConfigMap bdk/bdk-jwks (watched by name) and
    // authorizes by Organization (listed and watched); a quota makes it use its Lease too.
    Organization org = new Organization();
    org.getMetadata().setNamespace(BDK);
    org.getMetadata().setName("rbac");
    org.setSpec(new OrganizationSpec(ORGANIZATION_ID, null, List.of(INSTANCE_NS),
        new OrganizationSpec.Quotas(5, 2, 10, "2", "4Gi", 5)));
    admin.resource(org).create();
    running.add(io.voyager.bdk.library.Main.start(args(Component.LIBRARY, library)));
    running.add(io.voyager.bdk.xds.Main.start(args(Component.XDS, xds)));
    running.add(io.voyager.bdk.extauthz.Main.start(args(Component.EXT_AUTHZ, extAuthz)));
  }

  /** The flags the local stack starts {@code component} with, on free ports, as {@code identity}. */
  private static String[] args(Component component, Identity identity) {
    List<String> args = new ArrayList<>(LocalStack.serviceArgs(component, ports, identity.kubeconfig()));
    if (component == Component.LIBRARY) {
      args.addAll(List.of("--rotation-sweep-interval", "PT1S"));
    }
    return args.toArray(String[]::new);
  }

  @AfterAll
  static void stop() throws Exception {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
    for (Identity identity : new Identity[] {library, xds, extAuthz, relay}) {
      if (identity != null) {
        identity.client().close();
      }
    }
    if (admin != null) {
      admin.close();
    }
  }

  @Test
  void libraryServiceWritesBooksInstancesAndCredentialsAndReadsStatus() {
    ManagedChannel channel = ManagedChannelBuilder.forAddress(LocalStack.LOCALHOST, ports.libraryGrpc()).usePlaintext().build();
    try {
      var stub = BookLibraryGrpc.newBlockingStub(channel).withCallCredentials(bearer(token(ISSUER, "root", null, "platform-admin")));
      var orgAdmin = BookLibraryGrpc.newBlockingStub(channel)
          .withCallCredentials(bearer(token(ISSUER, "alice", ORGANIZATION_ID, "org-admin")));
      String bookId = stub.createBook(CreateBookRequest.newBuilder().setName("rbac-book").setVersion("1.0.0").build())
          .getBookId();
      assertThat(stub.listBooks(ListBooksRequest.getDefaultInstance()).getBooksList())
          .extracting(b -> b.getBookId()).contains(bookId);
      assertThat(stub.getBook(GetBookRequest.newBuilder().setBookId(bookId).build()).getName()).isEqualTo("rbac-book");

      // The credentials Secret goes to the customer namespace (namespaces get, secrets create); the
      // Organization authorizes it (organizations list/watch) and its quota Lease confirms it
      // (leases get/create/update).
      var instance = orgAdmin.createInstance(CreateInstanceRequest.newBuilder()
          .setBookId(bookId)
          .setCustomerNamespace(INSTANCE_NS)
          .setOrganizationId(ORGANIZATION_ID)
          .setDeployment(Deployment.newBuilder().setType("primary").setReplicas(1))
          .addCredentials(CredentialInput.newBuilder().setName("api_key").setValue("rbac-credential-value")
              .setType("secret").setSource("manual"))
          .build());
      assertThat(admin.secrets().inNamespace(INSTANCE_NS).list().getItems()).hasSize(1);
      assertThat(admin.leases().inNamespace(BDK).withName("bdk-quota-rbac").get().getSpec().getLeaseTransitions()).isEqualTo(1);
      assertThat(orgAdmin.listInstances(ListInstancesRequest.newBuilder().setBookId(bookId).build()).getInstancesList())
          .extracting(i -> i.getInstanceId()).containsExactly(instance.getInstanceId());

      // An update scales it (instances get/update) and rotates the credential with an overlap (secrets
      // get/update); the sweep ends the overlap (secrets list by label, update).
      var rotated = orgAdmin.updateInstance(UpdateInstanceRequest.newBuilder()
          .setInstance(Instance.newBuilder().setBookId(bookId).setInstanceId(instance.getInstanceId())
              .setEtag(instance.getEtag())
              .setDeployment(Deployment.newBuilder().setReplicas(2))
              .addCredentials(Credential.newBuilder().setName("api_key").setValue("rbac-rotated-value")))
          .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("deployment.replicas").addPaths("credentials"))
          .build());
      assertThat(rotated.getDeployment().getReplicas()).isEqualTo(2);
      assertThat(secretValue(INSTANCE_NS, "api_key")).isEqualTo("rbac-rotated-value");
      // an overlap is for webhook signing secrets: bind the credential to a webhook first
      stub.createBook(CreateBookRequest.newBuilder().setName("rbac-book").setVersion("1.1.0")
          .addIntegrations(Integration.newBuilder().setName("github").setType("webhook")).build());
      var withWebhook = orgAdmin.updateInstance(UpdateInstanceRequest.newBuilder()
          .setInstance(Instance.newBuilder().setBookId(bookId).setInstanceId(instance.getInstanceId())
              .setBookVersion("1.1.0")
              .addWebhooks(WebhookBinding.newBuilder().setIntegration("github").setScheme("github")
                  .setCredential("api_key")))
          .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("book_version").addPaths("webhooks"))
          .build());
      var third = orgAdmin.updateInstance(UpdateInstanceRequest.newBuilder()
          .setInstance(Instance.newBuilder().setBookId(withWebhook.getBookId())
              .setInstanceId(instance.getInstanceId())
              .addCredentials(Credential.newBuilder().setName("api_key").setValue("rbac-third-value")
                  .setRotation(CredentialRotation.newBuilder().setOverlapSeconds(1))))
          .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("credentials"))
          .build());
      assertThat(third.getCredentials(0).getPreviousValidUntil()).isNotEmpty();
      await().atMost(WAIT).until(() -> secretValue(INSTANCE_NS, "api_key").equals("rbac-third-value")
          && libraryMetrics().matches("(?s).*\\nbdk_library_previous_credentials_removed_total(\\{[^}]*})? 1\\.0\\n.*"));
      String upgradedBookId = withWebhook.getBookId();

      // The controller's status write, read back through the library's watch of instances.
      BookInstanceDefinition stored = admin.resources(BookInstanceDefinition.class).inNamespace(BDK)
          .withLabel(BdkLabels.INSTANCE_ID, instance.getInstanceId()).list().getItems().get(0);
      admin.resources(BookInstanceDefinition.class).inNamespace(BDK).withName(stored.getMetadata().getName())
          .editStatus(bid -> {
            bid.setStatus(new BookInstanceDefinitionStatus(BookInstanceDefinitionStatus.READY,
                new BookInstanceDefinitionStatus.DeploymentStatus(1, 1), null, null, null, null));
            return bid;
          });
      await().atMost(WAIT).until(() -> BookInstanceDefinitionStatus.READY.equals(stub.getInstance(
          GetInstanceRequest.newBuilder().setBookId(upgradedBookId).setInstanceId(instance.getInstanceId()).build()).getStatus()));
      // On a real API server the status write leaves the spec's generation, so the etag read before it
      // still updates; the etag of the first read (three updates ago) is stale: ABORTED, nothing written.
      var afterStatus = stub.getInstance(GetInstanceRequest.newBuilder().setBookId(upgradedBookId)
          .setInstanceId(instance.getInstanceId()).build());
      assertThat(afterStatus.getEtag()).isEqualTo(third.getEtag());
      io.grpc.StatusRuntimeException stale = catchThrowableOfType(io.grpc.StatusRuntimeException.class, () ->
          orgAdmin.updateInstance(scale(upgradedBookId, instance.getInstanceId(), instance.getEtag(), 1)));
      assertThat(stale.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.ABORTED);
      assertThat(orgAdmin.updateInstance(scale(upgradedBookId, instance.getInstanceId(), third.getEtag(), 1))
          .getDeployment().getReplicas()).isEqualTo(1);

      // Deleting the instance removes its Secret too (secrets delete), then the books can go.
      orgAdmin.deleteInstance(DeleteInstanceRequest.newBuilder().setBookId(upgradedBookId)
          .setInstanceId(instance.getInstanceId()).build());
      assertThat(admin.secrets().inNamespace(INSTANCE_NS).list().getItems()).isEmpty();
      assertThat(admin.resources(BookInstanceDefinition.class).inNamespace(BDK).list().getItems()).isEmpty();
      stub.deleteBook(DeleteBookRequest.newBuilder().setBookId(upgradedBookId).build());
      stub.deleteBook(DeleteBookRequest.newBuilder().setBookId(bookId).build());
      assertThat(stub.listBooks(ListBooksRequest.getDefaultInstance()).getBooksList()).isEmpty();
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void xdsServerWatchesBooksAndSlicesAndWritesStatusAndNackConditions() throws Exception {
    // Status patch (webhook paths + WebhooksRouted), from the books it lists and watches.
    await().atMost(WAIT).until(() -> condition(book(), StatusWriter.CONDITION) != null);
    ExternalBookDefinition routed = book();
    assertThat(condition(routed, StatusWriter.CONDITION).status()).isEqualTo("True");
    assertThat(routed.getStatus().webhooks()).singleElement()
        .satisfies(w -> assertThat(w.path()).startsWith("/api/v1/webhooks/github/"));
    // EndpointSlices: the book's backend address reaches EDS.
    await().atMost(WAIT).until(() -> xdsAdmin("/debug/snapshot?type=endpoints").contains("\"" + BACKEND_ADDRESS + "\""));

    // NACK write-back (read, then update of the status subresource) with the xds-server's identity.
    var writer = new AcceptedConditionWriter(xds.client(), new BookStatusLocks());
    var ref = new NackAttribution.BookRef(BOOK_NS, BOOK);
    assertThat(writer.write(ref, "rejected by Envoy (test)")).isTrue();
    ExternalBookDefinition rejected = book();
    assertThat(condition(rejected, AcceptedConditionWriter.CONDITION).status()).isEqualTo("False");
    assertThat(condition(rejected, StatusWriter.CONDITION)).as("other conditions kept").isNotNull();
    assertThat(writer.write(ref, null)).isTrue();
    assertThat(condition(book(), AcceptedConditionWriter.CONDITION).status()).isEqualTo("True");
  }

  @Test
  void xdsServerWatchesTheOneJwksConfigMapItIsGrantedAndNothingElse() throws Exception {
    // Its keys reach the listener's jwt_authn provider: read through the resourceNames-scoped watch.
    String kid = ISSUER.keyId(DevIssuer.Algorithm.ES256);
    await().atMost(WAIT).until(() -> xdsAdmin("/debug/snapshot?type=listeners").contains(kid));
    assertThat(refusal(() -> xds.client().configMaps().inNamespace(BDK).withName("something-else").get()))
        .as("no other ConfigMap").isEqualTo(403);
    assertThat(refusal(() -> xds.client().configMaps().inNamespace(BDK).list())).as("no listing").isEqualTo(403);
    assertThat(refusal(() -> xds.client().configMaps().inNamespace(BDK).withName("bdk-jwks")
        .edit(c -> { c.getData().put("jwks.json", "{}"); return c; }))).as("read-only").isEqualTo(403);
  }

  @Test
  void xdsServerWatchesTheOneEdgeTlsSecretItIsGrantedAndNothingElse() throws Exception {
    // The certificate reaches the snapshot as the HTTPS listener: read through the resourceNames-scoped watch.
    var ca = CertificateAuthority.create("rbac test edge CA", Duration.ofDays(1));
    var certificate = ca.issue("gateway.example.com", List.of("gateway.example.com"), List.of(), List.of(),
        Set.of(CertificateAuthority.Usage.SERVER), Duration.ofDays(1));
    admin.resource(LocalTls.edgeSecret(certificate)).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
    await().atMost(WAIT).until(() -> xdsAdmin("/debug/snapshot?type=listeners").contains("bdk-https"));
    admin.resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withNamespace(BDK).withName("another-tls").endMetadata()
        .withData(Map.of("tls.key", "eA==")).build()).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
    assertThat(refusal(() -> xds.client().secrets().inNamespace(BDK).withName("another-tls").get()))
        .as("no other Secret").isEqualTo(403);
    assertThat(refusal(() -> xds.client().secrets().inNamespace(BDK).list())).as("no listing").isEqualTo(403);
    assertThat(refusal(() -> xds.client().secrets().inNamespace(BDK).withName(LocalTls.EDGE_SECRET_NAME)
        .edit(c -> { c.getData().put("tls.key", "eA=="); return c; }))).as("read-only").isEqualTo(403);
  }

  /**
   * The webhook relay (--wake-books) watches every wake Lease and patches one's last-webhook
   * annotation to wake a sleeping book; it may neither make nor delete Leases, nor read Secrets or
   * touch workloads.
   */
  @Test
  void theWebhookRelayWatchesAndPatchesWakeLeasesAndNothingElse() throws Exception {
    admin.leases().inNamespace(BOOK_NS).resource(new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder()
        .withNewMetadata().withNamespace(BOOK_NS).withName("support-wake")
        .withLabels(Map.of(BookWake.LEASE_LABEL, "true"))
        .withAnnotations(Map.of(BookWake.READY, "false")).endMetadata().build()).create();
    KubernetesClient client = relay.client();
    assertThat(client.leases().inAnyNamespace().withLabel(BookWake.LEASE_LABEL, "true").list().getItems())
        .extracting(l -> l.getMetadata().getName()).contains("support-wake");
    try (var watch = client.leases().inAnyNamespace().withLabel(BookWake.LEASE_LABEL, "true")
        .inform()) {
      await().atMost(WAIT).until(() -> watch.getIndexer().getByKey(BOOK_NS + "/support-wake") != null);
    }
    client.leases().inNamespace(BOOK_NS).withName("support-wake").patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + BookWake.LAST_WEBHOOK + "\":\"2026-01-01T00:00:00Z\"}}}");
    assertThat(admin.leases().inNamespace(BOOK_NS).withName("support-wake").get().getMetadata().getAnnotations())
        .containsEntry(BookWake.LAST_WEBHOOK, "2026-01-01T00:00:00Z");

    assertThat(refusal(() -> client.leases().inNamespace(BOOK_NS).resource(
        new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder().withNewMetadata().withNamespace(BOOK_NS)
            .withName("made-up").endMetadata().build()).create())).as("no create").isEqualTo(403);
    assertThat(refusal(() -> client.leases().inNamespace(BOOK_NS).withName("support-wake").delete()))
        .as("no delete").isEqualTo(403);
    assertThat(refusal(() -> client.secrets().inNamespace(BOOK_NS).withName(WEBHOOK_SECRET).get()))
        .as("no Secrets").isEqualTo(403);
    assertThat(refusal(() -> client.apps().deployments().inNamespace(BOOK_NS).list())).as("no workloads").isEqualTo(403);
  }

  @Test
  void extAuthzReadsAndWatchesTheSecretTheRouteNames() throws Exception {
    Map<String, String> context = routeContext();
    assertThat(context).containsEntry(WebhookAuthContext.SECRET_NAMESPACE, BOOK_NS)
        .containsEntry(WebhookAuthContext.SECRET_NAME, WEBHOOK_SECRET);
    ManagedChannel channel = ManagedChannelBuilder.forAddress(LocalStack.LOCALHOST, ports.extAuthzGrpc()).usePlaintext().build();
    try {
      var stub = AuthorizationGrpc.newBlockingStub(channel);
      assertThat(stub.check(signed(context, "first-signing-secret-0123456789")).getStatus().getCode())
          .as("allowed with the Secret's value (secrets watch, get)").isZero();
      // Rotation arrives through the watch on that Secret (secrets watch).
      putWebhookSecret("second-signing-secret-9876543210");
      await().atMost(WAIT).until(() ->
          stub.check(signed(context, "second-signing-secret-9876543210")).getStatus().getCode() == 0);
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void theLibraryVerifiesTokensItself_withoutOneDirectGrpcIsRefused() {
    ManagedChannel channel = ManagedChannelBuilder.forAddress(LocalStack.LOCALHOST, ports.libraryGrpc()).usePlaintext().build();
    try {
      io.grpc.StatusRuntimeException e = catchThrowableOfType(io.grpc.StatusRuntimeException.class,
          () -> BookLibraryGrpc.newBlockingStub(channel).listBooks(ListBooksRequest.getDefaultInstance()));
      assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED);
      e = catchThrowableOfType(io.grpc.StatusRuntimeException.class, () -> BookLibraryGrpc.newBlockingStub(channel)
          .withCallCredentials(bearer(token(DevIssuer.generate(
              DevIssuer.LOCAL_ISSUER, DevIssuer.LOCAL_AUDIENCE),
              "mallory", null, "platform-admin")))
          .listBooks(ListBooksRequest.getDefaultInstance()));
      assertThat(e.getStatus().getCode()).as("keys not in the JWKS ConfigMap").isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED);
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void eachIdentityIsHeldToItsManifest() {
    assertThat(refusal(() -> library.client().configMaps().inNamespace(BDK).list()))
        .as("the library watches its JWKS ConfigMap by name only").isEqualTo(403);
    assertThat(refusal(() -> library.client().resources(Organization.class).inNamespace(BDK).withName("rbac")
        .edit(o -> o))).as("Organizations are read-only to the library").isEqualTo(403);
    // it reads and updates credentials Secrets for rotations (and lists by label for their sweep), but
    // neither watches nor patches Secrets, and touches no other kind there
    assertThat(refusal(() -> library.client().secrets().inNamespace(BOOK_NS).withName(WEBHOOK_SECRET)
        .edit(sec -> new SecretBuilder(sec).editMetadata().addToLabels("patched", "yes").endMetadata().build())))
        .as("no patch of Secrets").isEqualTo(403);
    assertThat(refusal(() -> library.client().configMaps().inNamespace(INSTANCE_NS).list())).isEqualTo(403);
    assertThat(refusal(() -> library.client().services().inNamespace(INSTANCE_NS).list())).isEqualTo(403);
    assertThat(refusal(() -> xds.client().secrets().inAnyNamespace().list())).isEqualTo(403);
    assertThat(refusal(() -> xds.client().resources(ExternalBookDefinition.class).inNamespace(BOOK_NS)
        .withName("not-there").delete())).as("books are read-only to the gateway").isEqualTo(403);
    assertThat(refusal(() -> extAuthz.client().secrets().inNamespace(BOOK_NS).list()))
        .as("ext-authz gets and watches named Secrets, never lists").isEqualTo(403);
    assertThat(refusal(() -> extAuthz.client().resources(ExternalBookDefinition.class).inAnyNamespace().list()))
        .isEqualTo(403);
  }

  // --- fixtures -----------------------------------------------------------------------------



  /** ServiceAccount {@code bdk/<serviceAccount>}'s kubeconfig and client ({@link ServiceAccountIdentity}). */
  private static Identity identity(String serviceAccount) throws IOException {
    ServiceAccountIdentity sa = ServiceAccountIdentity.of(admin, kubeConfigYaml, dir, serviceAccount);
    return new Identity(serviceAccount, sa.kubeconfig(), sa.client());
  }

  /** A one-hour RS256 token of {@code issuer}. */
  private static String token(DevIssuer issuer, String subject, String organization, String... roles) {
    return issuer.mint(new DevIssuer.TokenRequest(subject, organization, List.of(roles),
        Duration.ofHours(1), java.time.Instant.now()), DevIssuer.Algorithm.RS256);
  }

  /** Call credentials sending {@code authorization: Bearer <token>}. */
  private static io.grpc.CallCredentials bearer(String token) {
    return new io.grpc.CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        io.grpc.Metadata headers = new io.grpc.Metadata();
        headers.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(headers);
      }
    };
  }

  private static UpdateInstanceRequest scale(String bookId, String instanceId, String etag, int replicas) {
    return UpdateInstanceRequest.newBuilder()
        .setInstance(Instance.newBuilder().setBookId(bookId).setInstanceId(instanceId).setEtag(etag)
            .setDeployment(Deployment.newBuilder().setReplicas(replicas)))
        .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("deployment.replicas"))
        .build();
  }

  private static String libraryMetrics() throws Exception {
    var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://" + LocalStack.LOCALHOST + ":" + ports.libraryAdmin() + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    return response.body();
  }

  private static String secretValue(String namespace, String key) {
    Secret s = admin.secrets().inNamespace(namespace).list().getItems().stream()
        .filter(sec -> sec.getData() != null && sec.getData().containsKey(key)).findFirst().orElseThrow();
    return new String(Base64.getDecoder().decode(s.getData().get(key)), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void putWebhookSecret(String value) {
    admin.resource(new SecretBuilder()
        .withNewMetadata().withNamespace(BOOK_NS).withName(WEBHOOK_SECRET).endMetadata()
        .withStringData(Map.of(WebhookBooks.SECRET_KEY, value))
        .build()).createOr(NonDeletingOperation::update);
  }

  private static ExternalBookDefinition book() {
    return admin.resources(ExternalBookDefinition.class).inNamespace(BOOK_NS).withName(BOOK).get();
  }

  private static Condition condition(ExternalBookDefinition book, String type) {
    if (book.getStatus() == null || book.getStatus().conditions() == null) {
      return null;
    }
    return book.getStatus().conditions().stream().filter(c -> type.equals(c.type())).findFirst().orElse(null);
  }

  /** The HTTP status the API server refused {@code call} with. */
  private static int refusal(Runnable call) {
    KubernetesClientException e = catchThrowableOfType(KubernetesClientException.class, call::run);
    assertThat(e).as("expected the API server to refuse").isNotNull();
    return e.getCode();
  }

  /** The ext_authz context_extensions the xds-server put on the book's webhook route. */
  private static Map<String, String> routeContext() throws Exception {
    await().atMost(WAIT).until(() -> xdsAdmin("/debug/snapshot?type=routes").contains(WEBHOOK_SECRET));
    for (JsonNode found : JSON.readTree(xdsAdmin("/debug/snapshot?type=routes")).findValues("context_extensions")) {
      if (WEBHOOK_SECRET.equals(found.path(WebhookAuthContext.SECRET_NAME).asText())) {
        Map<String, String> context = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = found.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          context.put(e.getKey(), e.getValue().asText());
        }
        return context;
      }
    }
    throw new AssertionError("no route names Secret " + WEBHOOK_SECRET);
  }

  /** A GitHub delivery signed with {@code secret}, as Envoy's ext_authz filter sends it for that route. */
  private static CheckRequest signed(Map<String, String> context, String secret) {
    String body = "{\"action\":\"opened\"}";
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
        .setMethod("POST").setPath("/api/v1/webhooks/github/" + context.get(WebhookAuthContext.ENDPOINT_KEY))
        .setRawBody(ByteString.copyFrom(body, StandardCharsets.UTF_8))
        .putHeaders("content-type", "application/json");
    WebhookBooks.sign(GITHUB, secret, body, UUID.randomUUID().toString())
        .forEach((name, value) -> http.putHeaders(name.toLowerCase(Locale.ROOT), value));
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(http))
        .putAllContextExtensions(context)).build();
  }

  private static String xdsAdmin(String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://" + LocalStack.LOCALHOST + ":" + ports.xdsAdmin() + path))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return response.body();
  }
}
