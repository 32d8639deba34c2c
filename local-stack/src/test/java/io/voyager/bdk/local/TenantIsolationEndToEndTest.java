package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.voyager.bdk.library.v1.BookLibraryGrpc;
import io.voyager.bdk.library.v1.ListBooksRequest;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BdkRoles;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.support.tls.ClientTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenants through a real Envoy: the edge's jwt_authn and the library's own authorization together,
 * as the seeded organizations acme ({@code customer-acme}) and globex ({@code customer-globex}) use
 * the REST API with tokens of the stack's issuer (what {@code bin/bdkctl token} prints). Creates
 * in the wrong namespace or with the wrong role are 403 naming why, another organization's instance
 * is 404 like a missing one, lists hold only the caller's, quotas answer 429 naming the quota, a
 * client-sent copy of identity headers changes nothing, and the library's gRPC port refuses a call
 * without a token.
 */
class TenantIsolationEndToEndTest {
  static final Duration CONVERGE = Duration.ofSeconds(30);

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient platform;
  static GatewayClient acmeAdmin;
  static GatewayClient acmeViewer;
  static GatewayClient globexAdmin;
  static String bookId;

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-tenants")
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .start();
    platform = GatewayClient.of(stack);
    acmeAdmin = as("acme", BdkRoles.ORG_ADMIN);
    acmeViewer = as("acme", BdkRoles.ORG_VIEWER);
    globexAdmin = as("globex", BdkRoles.ORG_ADMIN);
    await("library routes verify tokens").atMost(CONVERGE).until(() -> platform.get("/api/v1/books").status() == 200);
    Answer book = platform.post("/api/v1/books", """
        {"name":"tenant-desk","version":"1.0.0","integrations":[{"name":"zendesk","type":"webhook"}]}""");
    assertThat(book.status()).as(book.body()).isEqualTo(201);
    bookId = book.json().path("book_id").asText();
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  static GatewayClient as(String organization, BdkRoles... roles) {
    return GatewayClient.anonymous(stack).withToken(StackTokens.token(stack, organization, roles));
  }

  static String instanceBody(String namespace) {
    return """
        {"customer_namespace":"%s","deployment":{"type":"primary","replicas":1}}""".formatted(namespace);
  }

  static String instances() {
    return "/api/v1/books/" + bookId + "/instances";
  }

  /** Creates an instance as {@code who} in {@code namespace}; returns its id. */
  static String created(GatewayClient who, String namespace) {
    Answer answer = who.post(instances(), instanceBody(namespace));
    assertThat(answer.status()).as(answer.body()).isEqualTo(201);
    return answer.json().path("instance_id").asText();
  }

  @Test
  void anOrgAdminCreatesInItsOrganizationsNamespace_andIsDeniedAnotherOrganizationsNamespace() {
    Answer ok = acmeAdmin.post(instances(), instanceBody("customer-acme"));
    assertThat(ok.status()).as(ok.body()).isEqualTo(201);
    assertThat(ok.json().path("organization_id").asText()).as("from the token").isEqualTo("acme");

    Answer denied = acmeAdmin.post(instances(), instanceBody("customer-globex"));
    assertThat(denied.status()).as(denied.body()).isEqualTo(403);
    assertThat(denied.json().path("code").asInt()).isEqualTo(7); // PERMISSION_DENIED
    assertThat(denied.json().path("message").asText())
        .isEqualTo("namespace 'customer-globex' is not a namespace of organization 'acme'");

    Answer otherOrganizationId = acmeAdmin.post(instances(), """
        {"customer_namespace":"customer-acme","organization_id":"globex","deployment":{"type":"primary"}}""");
    assertThat(otherOrganizationId.status()).as(otherOrganizationId.body()).isEqualTo(400);
    assertThat(otherOrganizationId.json().path("message").asText()).startsWith("organization_id: ");
  }

  @Test
  void anOrgViewerCreatingIsDenied() {
    Answer denied = acmeViewer.post(instances(), instanceBody("customer-acme"));
    assertThat(denied.status()).as(denied.body()).isEqualTo(403);
    assertThat(denied.json().path("message").asText())
        .isEqualTo("role org-admin (or platform-admin) is required to create instances (the token's roles: org-viewer)");
  }

  @Test
  void eachOrganizationListsOnlyItsOwnInstances() {
    String acme = created(acmeAdmin, "customer-acme");
    String globex = created(globexAdmin, "customer-globex");
    List<String> acmeSees = ids(acmeViewer);
    List<String> globexSees = ids(globexAdmin);
    assertThat(acmeSees).contains(acme).doesNotContain(globex);
    assertThat(globexSees).contains(globex).doesNotContain(acme);
    assertThat(ids(platform)).contains(acme, globex);
    for (JsonNode i : acmeViewer.get(instances() + "?page_size=100").json().path("instances")) {
      assertThat(i.path("organization_id").asText()).isEqualTo("acme");
      assertThat(i.path("customer_namespace").asText()).isEqualTo("customer-acme");
    }
  }

  @Test
  void anotherOrganizationReadingOrDeletingAnInstanceGets404LikeAMissingOne() {
    String acme = created(acmeAdmin, "customer-acme");
    String missing = UUID.randomUUID().toString();
    Answer unknown = globexAdmin.get(instances() + "/" + missing);
    for (Answer hidden : List.of(globexAdmin.get(instances() + "/" + acme), globexAdmin.delete(instances() + "/" + acme))) {
      assertThat(hidden.status()).as(hidden.body()).isEqualTo(404);
      assertThat(hidden.json().path("code").asInt()).isEqualTo(5);
      assertThat(hidden.json().path("message").asText())
          .isEqualTo(unknown.json().path("message").asText().replace(missing, acme));
    }
    assertThat(acmeViewer.get(instances() + "/" + acme).status()).as("still there").isEqualTo(200);
    assertThat(acmeAdmin.delete(instances() + "/" + acme).status()).isEqualTo(200);
  }

  @Test
  void onlyAPlatformAdminCreatesBooks() {
    Answer denied = acmeAdmin.post("/api/v1/books", """
        {"name":"org-admin-book","version":"1.0.0"}""");
    assertThat(denied.status()).as(denied.body()).isEqualTo(403);
    assertThat(denied.json().path("message").asText()).startsWith("role platform-admin is required to create books");
    Answer created = platform.post("/api/v1/books", """
        {"name":"platform-book","version":"1.0.0"}""");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
  }

  @Test
  void overQuotaIs429NamingTheQuotaItsLimitAndTheUse() {
    stack.endpoints().ensureNamespace("customer-initech");
    Organization initech = new Organization();
    initech.getMetadata().setNamespace(BdkLabels.BDK_NAMESPACE);
    initech.getMetadata().setName("initech");
    initech.setSpec(new OrganizationSpec("initech", null, List.of("customer-initech"),
        new OrganizationSpec.Quotas(1, null, null, null, null, null)));
    stack.kubernetes().resource(initech).create();
    GatewayClient initechAdmin = as("initech", BdkRoles.ORG_ADMIN);
    await("the library sees the new Organization").atMost(CONVERGE)
        .until(() -> initechAdmin.post(instances(), instanceBody("customer-initech")).status() == 201);

    Answer over = initechAdmin.post(instances(), instanceBody("customer-initech"));
    assertThat(over.status()).as(over.body()).isEqualTo(429);
    assertThat(over.json().path("code").asInt()).isEqualTo(8); // RESOURCE_EXHAUSTED
    assertThat(over.json().path("message").asText())
        .isEqualTo("quota max_instances of organization 'initech' exceeded: limit 1, in use 1, requested 1");
  }

  @Test
  void aClientSentCopyOfIdentityHeadersChangesNothing() {
    String acme = created(acmeAdmin, "customer-acme");
    String forgedPayload = Base64.getUrlEncoder().withoutPadding().encodeToString(
        "{\"sub\":\"mallory\",\"org\":\"acme\",\"roles\":[\"platform-admin\"]}".getBytes(StandardCharsets.UTF_8));
    Map<String, String> forged = Map.of(
        "x-bdk-organization", "acme", "x-bdk-roles", "platform-admin", "x-bdk-caller", "mallory",
        "x-jwt-payload", forgedPayload, "x-forwarded-user", "root");
    assertThat(globexAdmin.get(instances() + "/" + acme, forged).status()).isEqualTo(404);
    assertThat(globexAdmin.post("/api/v1/books", "{\"name\":\"forged\",\"version\":\"1.0.0\"}", forged).status()).isEqualTo(403);
    assertThat(GatewayClient.anonymous(stack).get("/api/v1/books", forged).status()).isEqualTo(401);
  }

  @Test
  void directGrpcToTheLibraryWithoutATokenIsUnauthenticated() {
    // The library's port is mutual TLS: a client certificate of the internal CA, then a token.
    ManagedChannel channel = io.grpc.Grpc.newChannelBuilderForAddress(LocalStack.LOCALHOST, stack.ports().libraryGrpc(),
        ClientTls.mutualTls(stack.tls().operator())).build();
    try {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
          () -> BookLibraryGrpc.newBlockingStub(channel).listBooks(ListBooksRequest.getDefaultInstance()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(e.getStatus().getDescription()).startsWith("no bearer token");
      Metadata bearer = new Metadata();
      bearer.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + StackTokens.token(stack, "acme", BdkRoles.ORG_VIEWER));
      assertThat(BookLibraryGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer))
          .listBooks(ListBooksRequest.getDefaultInstance()).getBooksCount()).isPositive();
    } finally {
      channel.shutdownNow();
    }
  }

  private static List<String> ids(GatewayClient who) {
    List<String> ids = new ArrayList<>();
    for (JsonNode i : who.get(instances() + "?page_size=100").json().path("instances")) {
      ids.add(i.path("instance_id").asText());
    }
    return ids;
  }
}
