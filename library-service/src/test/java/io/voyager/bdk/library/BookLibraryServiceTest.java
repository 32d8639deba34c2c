package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.rpc.BadRequest;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.voyager.bdk.library.v1.Book;
import io.voyager.bdk.library.v1.BookLibraryGrpc;
import io.voyager.bdk.library.v1.BookLibraryGrpc.BookLibraryBlockingStub;
import io.voyager.bdk.library.v1.CreateBookRequest;
import io.voyager.bdk.library.v1.CreateInstanceRequest;
import io.voyager.bdk.library.v1.CredentialInput;
import io.voyager.bdk.library.v1.DeleteBookRequest;
import io.voyager.bdk.library.v1.DeleteInstanceRequest;
import io.voyager.bdk.library.v1.Deployment;
import io.voyager.bdk.library.v1.GetBookRequest;
import io.voyager.bdk.library.v1.GetInstanceRequest;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.Integration;
import io.voyager.bdk.library.v1.ListBooksRequest;
import io.voyager.bdk.library.v1.ListBooksResponse;
import io.voyager.bdk.library.v1.ListInstancesRequest;
import io.voyager.bdk.library.v1.ListInstancesResponse;
import io.voyager.bdk.library.v1.WebhookBinding;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.DnsNames;
import io.voyager.bdk.model.WebhookEndpoint;
import io.voyager.bdk.model.WebhookRoutes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The service end to end over in-process gRPC, with the fabric8 mock API server in CRUD mode,
 * called as a platform-admin (authorization has its own tests: {@code AuthorizationTest}).
 */
@EnableKubernetesMockClient(crud = true)
class BookLibraryServiceTest {

  static final String NS = LibraryHarness.ACME_NS;
  static final String ORG = "acme";
  static final String SECRET_VALUE = "zendesk-signing-secret-7f3a9c";

  KubernetesClient client;

  private LibraryHarness library;
  private BookLibraryBlockingStub stub;
  private final AtomicReference<Metadata> headers = new AtomicReference<>();

  @BeforeEach
  void start() {
    LibraryHarness.tenants(client);
    library = new LibraryHarness(client);
    stub = BookLibraryGrpc.newBlockingStub(ClientInterceptors.intercept(
        library.channel(LibraryHarness.PLATFORM_ADMIN), MetadataUtils.newCaptureMetadataInterceptor(headers, new AtomicReference<>())));
  }

  @AfterEach
  void stop() {
    library.close();
  }

  // ---- books ----

  @Test
  void createGetListDeleteBook() {
    Book created = stub.createBook(supportBook("1.0.0"));
    assertThat(headers.get().get(CreatedStatusInterceptor.HTTP_STATUS)).isEqualTo("201");
    assertThat(created.getBookId()).matches("[0-9a-f-]{36}");
    assertThat(created.getName()).isEqualTo("customer-support");
    assertThat(created.getVersion()).isEqualTo("1.0.0");
    assertThat(created.getCreatedAt()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
    assertThat(created.getIntegrations(0).getConfig().getFieldsOrThrow("endpoint").getStringValue())
        .isEqualTo("/webhooks/zendesk");

    BookDefinition stored = client.resources(BookDefinition.class).inNamespace("bdk").list().getItems().get(0);
    assertThat(stored.getMetadata().getLabels()).containsEntry(BdkLabels.BOOK_ID, created.getBookId());
    assertThat(stored.getMetadata().getAnnotations()).containsEntry(BdkLabels.CREATED_AT, created.getCreatedAt());
    assertThat(DnsNames.isLabel(stored.getMetadata().getName())).isTrue();

    // read-your-writes: the get right after the create finds the book
    Book got = stub.getBook(GetBookRequest.newBuilder().setBookId(created.getBookId()).build());
    assertThat(headers.get().get(CreatedStatusInterceptor.HTTP_STATUS)).isNull();
    assertThat(got).isEqualTo(created);
    assertThat(stub.listBooks(ListBooksRequest.getDefaultInstance()).getBooksList()).containsExactly(created);

    stub.deleteBook(DeleteBookRequest.newBuilder().setBookId(created.getBookId()).build());
    assertCode(() -> stub.getBook(GetBookRequest.newBuilder().setBookId(created.getBookId()).build()), Status.Code.NOT_FOUND);
    assertThat(stub.listBooks(ListBooksRequest.getDefaultInstance()).getBooksList()).isEmpty();
    assertThat(client.resources(BookDefinition.class).inNamespace("bdk").list().getItems()).isEmpty();
  }

  @Test
  void secondBookWithSameNameAndVersionIsAlreadyExists() {
    stub.createBook(supportBook("1.0.0"));
    StatusRuntimeException e = assertCode(() -> stub.createBook(supportBook("1.0.0")), Status.Code.ALREADY_EXISTS);
    assertThat(e.getStatus().getDescription()).contains("customer-support").contains("1.0.0");
    stub.createBook(supportBook("1.0.1")); // another version is another book
    assertThat(stub.listBooks(ListBooksRequest.getDefaultInstance()).getBooksCount()).isEqualTo(2);
  }

  @Test
  void invalidBookIsInvalidArgumentWithFieldViolations() {
    StatusRuntimeException e = assertCode(
        () -> stub.createBook(CreateBookRequest.newBuilder().setName("Bad_Name").setVersion("1.0").build()),
        Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("name: ").contains("version: ");
    assertThat(violatedFields(e)).containsExactlyInAnyOrder("name", "version");
    assertThat(client.resources(BookDefinition.class).inNamespace("bdk").list().getItems()).isEmpty();
  }

  @Test
  void unknownIdsAreNotFound() {
    Book book = stub.createBook(supportBook("1.0.0"));
    String unknown = "00000000-0000-0000-0000-000000000000";
    StatusRuntimeException e = assertCode(
        () -> stub.getBook(GetBookRequest.newBuilder().setBookId(unknown).build()), Status.Code.NOT_FOUND);
    assertThat(e.getStatus().getDescription()).startsWith("book_id: ");
    assertCode(() -> stub.getBook(GetBookRequest.newBuilder().setBookId("not-a-uuid").build()), Status.Code.NOT_FOUND);
    assertCode(() -> stub.deleteBook(DeleteBookRequest.newBuilder().setBookId(unknown).build()), Status.Code.NOT_FOUND);
    assertCode(() -> stub.createInstance(instanceRequest(unknown).build()), Status.Code.NOT_FOUND);
    assertCode(() -> stub.listInstances(ListInstancesRequest.newBuilder().setBookId(unknown).build()), Status.Code.NOT_FOUND);
    e = assertCode(() -> stub.getInstance(GetInstanceRequest.newBuilder()
        .setBookId(book.getBookId()).setInstanceId(unknown).build()), Status.Code.NOT_FOUND);
    assertThat(e.getStatus().getDescription()).startsWith("instance_id: ");
    assertCode(() -> stub.getBook(GetBookRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void booksPaginateAcrossThreePagesWithoutDuplicatesOrOmissions() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 45; i++) {
      ids.add(stub.createBook(CreateBookRequest.newBuilder().setName("book-" + (char) ('a' + i % 26))
          .setVersion("1." + i + ".0").build()).getBookId());
    }
    List<Book> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    String token = "";
    do {
      ListBooksResponse page = stub.listBooks(ListBooksRequest.newBuilder().setPageSize(20).setPageToken(token).build());
      sizes.add(page.getBooksCount());
      seen.addAll(page.getBooksList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertThat(sizes).containsExactly(20, 20, 5);
    assertThat(seen).extracting(Book::getBookId).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(ids);
    // ordered by name, then version by semver precedence (1.2.0 before 1.28.0)
    assertThat(seen.get(0).getName()).isEqualTo("book-a");
    assertThat(seen.subList(0, 2)).extracting(Book::getVersion).containsExactly("1.0.0", "1.26.0");
    // page size 0 means 20, above 100 means 100
    assertThat(stub.listBooks(ListBooksRequest.getDefaultInstance()).getBooksCount()).isEqualTo(20);
    assertThat(stub.listBooks(ListBooksRequest.newBuilder().setPageSize(1000).build()).getBooksCount()).isEqualTo(45);
  }

  @Test
  void badPageSizeOrTokenIsInvalidArgumentNamingTheField() {
    StatusRuntimeException e = assertCode(
        () -> stub.listBooks(ListBooksRequest.newBuilder().setPageSize(-1).build()), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("page_size");
    e = assertCode(() -> stub.listBooks(ListBooksRequest.newBuilder().setPageToken("garbage!").build()),
        Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("page_token");
  }

  // ---- instances ----

  @Test
  void createGetListDeleteInstance() {
    Book book = stub.createBook(supportBook("1.0.0"));
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    assertThat(headers.get().get(CreatedStatusInterceptor.HTTP_STATUS)).isEqualTo("201");
    assertThat(created.getInstanceId()).matches("[0-9a-f-]{36}");
    assertThat(created.getBookId()).isEqualTo(book.getBookId());
    assertThat(created.getCustomerNamespace()).isEqualTo(NS);
    assertThat(created.getStatus()).isEqualTo("Pending");
    assertThat(created.getCreatedAt()).endsWith("Z");
    assertThat(created.getCredentials(0).getName()).isEqualTo("zendesk_secret");

    BookInstanceDefinition stored = client.resources(BookInstanceDefinition.class).inNamespace("bdk").list().getItems().get(0);
    String resourceName = stored.getMetadata().getName();
    assertThat(resourceName).hasSizeLessThanOrEqualTo(63);
    assertThat(DnsNames.isLabel(resourceName)).isTrue();
    assertThat(stored.getMetadata().getLabels())
        .containsEntry(BdkLabels.INSTANCE_ID, created.getInstanceId())
        .containsEntry(BdkLabels.BOOK_ID, book.getBookId());
    BookDefinition bookResource = client.resources(BookDefinition.class).inNamespace("bdk").list().getItems().get(0);
    assertThat(stored.getSpec().bookRef().name()).isEqualTo(bookResource.getMetadata().getName());
    assertThat(stored.getSpec().bookRef().version()).isEqualTo("1.0.0");
    assertThat(stored.getSpec().customer().namespace()).isEqualTo(NS);
    assertThat(stored.getSpec().deployment().type()).isEqualTo("primary");
    // Just created: the gateway has not routed it yet, so no path is claimed.
    assertThat(created.getWebhooks(0).getIntegration()).isEqualTo("zendesk");
    assertThat(created.getWebhooks(0).getPath()).isEmpty();

    Secret secret = client.secrets().inNamespace(NS).withName(resourceName + "-credentials").get();
    assertThat(secret).isNotNull();
    assertThat(new String(Base64.getDecoder().decode(secret.getData().get("zendesk_secret")), StandardCharsets.UTF_8))
        .isEqualTo(SECRET_VALUE);
    assertThat(created.getOrganizationId()).isEqualTo(ORG);
    assertThat(stored.getSpec().customer().organizationId()).isEqualTo(ORG);
    assertThat(stored.getMetadata().getLabels()).containsEntry(BdkLabels.CUSTOMER_NAMESPACE, NS);
    assertThat(secret.getMetadata().getLabels())
        .containsEntry(BdkLabels.INSTANCE_ID, created.getInstanceId())
        .containsEntry(BdkLabels.INSTANCE_NAME, resourceName);

    GetInstanceRequest get = GetInstanceRequest.newBuilder()
        .setBookId(book.getBookId()).setInstanceId(created.getInstanceId()).build();
    assertThat(stub.getInstance(get)).isEqualTo(created);
    assertThat(stub.listInstances(ListInstancesRequest.newBuilder().setBookId(book.getBookId()).build())
        .getInstancesList()).containsExactly(created);

    // an instance is only found under its own book
    Book other = stub.createBook(supportBook("2.0.0"));
    assertCode(() -> stub.getInstance(get.toBuilder().setBookId(other.getBookId()).build()), Status.Code.NOT_FOUND);
    assertThat(stub.listInstances(ListInstancesRequest.newBuilder().setBookId(other.getBookId()).build())
        .getInstancesList()).isEmpty();

    stub.deleteInstance(DeleteInstanceRequest.newBuilder()
        .setBookId(book.getBookId()).setInstanceId(created.getInstanceId()).build());
    assertCode(() -> stub.getInstance(get), Status.Code.NOT_FOUND);
    assertThat(client.secrets().inNamespace(NS).withName(resourceName + "-credentials").get()).isNull();
    assertThat(client.resources(BookInstanceDefinition.class).inNamespace("bdk").list().getItems()).isEmpty();
  }

  @Test
  void credentialValuesAreNeverReturnedNorLoggedNorStoredInTheInstance() {
    PrintStream originalErr = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<String> responses = new ArrayList<>();
    Book book = stub.createBook(supportBook("1.0.0"));
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
      responses.add(created.toString());
      responses.add(stub.getInstance(GetInstanceRequest.newBuilder()
          .setBookId(book.getBookId()).setInstanceId(created.getInstanceId()).build()).toString());
      responses.add(stub.listInstances(ListInstancesRequest.newBuilder().setBookId(book.getBookId()).build()).toString());
      // a refused request carrying the value: not in the error, not in the log
      StatusRuntimeException e = assertCode(() -> stub.createInstance(instanceRequest(book.getBookId())
          .addCredentials(CredentialInput.newBuilder().setName("zendesk_secret").setValue(SECRET_VALUE)).build()),
          Status.Code.INVALID_ARGUMENT);
      responses.add(e.getStatus().toString());
      responses.add(StatusProto.fromThrowable(e).toString());
    } finally {
      System.setErr(originalErr);
    }
    String logged = log.toString(StandardCharsets.UTF_8);
    assertThat(logged).as("the log has the events").contains("event=instance_created").contains("event=request_refused");
    assertThat(logged).doesNotContain(SECRET_VALUE);
    assertThat(responses).allSatisfy(r -> assertThat(r).doesNotContain(SECRET_VALUE));
    String instanceJson = Serialization.asJson(
        client.resources(BookInstanceDefinition.class).inNamespace("bdk").list().getItems());
    assertThat(instanceJson).contains("zendesk_secret").doesNotContain(SECRET_VALUE)
        .doesNotContain(Base64.getEncoder().encodeToString(SECRET_VALUE.getBytes(StandardCharsets.UTF_8)));
    // the value did go where it belongs
    assertThat(Serialization.asJson(client.secrets().inNamespace(NS).list().getItems()))
        .contains(Base64.getEncoder().encodeToString(SECRET_VALUE.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void instanceValidationNamesTheFieldAndWritesNothing() {
    Book book = stub.createBook(supportBook("1.0.0"));
    StatusRuntimeException e = assertCode(() -> stub.createInstance(instanceRequest(book.getBookId())
        .setCustomerNamespace("kube-system").build()), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("customer_namespace");
    e = assertCode(() -> stub.createInstance(instanceRequest(book.getBookId())
        .setWebhooks(0, WebhookBinding.newBuilder().setIntegration("github").setScheme("github").setCredential("zendesk_secret"))
        .build()), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactly("webhooks[0].integration");
    assertThat(e.getStatus().getDescription()).startsWith("webhooks[0].integration: ");
    e = assertCode(() -> stub.createInstance(instanceRequest(book.getBookId())
        .setDeployment(Deployment.newBuilder().setType("tertiary").setReplicas(-2)).build()), Status.Code.INVALID_ARGUMENT);
    assertThat(violatedFields(e)).containsExactlyInAnyOrder("deployment.type", "deployment.replicas");
    e = assertCode(() -> stub.createInstance(instanceRequest(book.getBookId())
        .setCustomerNamespace("customer-nowhere").build()), Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).startsWith("customer_namespace: ").contains("customer-nowhere");
    assertThat(client.resources(BookInstanceDefinition.class).inNamespace("bdk").list().getItems()).isEmpty();
    assertThat(client.secrets().inAnyNamespace().list().getItems()).isEmpty();
  }

  @Test
  void bookWithInstancesCannotBeDeleted() {
    Book book = stub.createBook(supportBook("1.0.0"));
    Instance instance = stub.createInstance(instanceRequest(book.getBookId()).build());
    StatusRuntimeException e = assertCode(
        () -> stub.deleteBook(DeleteBookRequest.newBuilder().setBookId(book.getBookId()).build()),
        Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).startsWith("book_id: ").contains("instances");
    stub.deleteInstance(DeleteInstanceRequest.newBuilder()
        .setBookId(book.getBookId()).setInstanceId(instance.getInstanceId()).build());
    stub.deleteBook(DeleteBookRequest.newBuilder().setBookId(book.getBookId()).build());
    assertCode(() -> stub.getBook(GetBookRequest.newBuilder().setBookId(book.getBookId()).build()), Status.Code.NOT_FOUND);
  }

  @Test
  void instancesPaginateAcrossThreePages() {
    Book book = stub.createBook(supportBook("1.0.0"));
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 7; i++) {
      ids.add(stub.createInstance(instanceRequest(book.getBookId()).build()).getInstanceId());
    }
    List<String> seen = new ArrayList<>();
    int pages = 0;
    String token = "";
    do {
      ListInstancesResponse page = stub.listInstances(ListInstancesRequest.newBuilder()
          .setBookId(book.getBookId()).setPageSize(3).setPageToken(token).build());
      pages++;
      page.getInstancesList().forEach(i -> seen.add(i.getInstanceId()));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertThat(pages).isEqualTo(3);
    assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(ids);

    // a token from the books list is refused here
    String booksToken = stub.listBooks(ListBooksRequest.newBuilder().setPageSize(1).build()).getNextPageToken();
    Book second = stub.createBook(supportBook("3.0.0"));
    String foreign = stub.listBooks(ListBooksRequest.newBuilder().setPageSize(1).build()).getNextPageToken();
    assertThat(foreign).isNotEmpty();
    assertCode(() -> stub.listInstances(ListInstancesRequest.newBuilder()
        .setBookId(book.getBookId()).setPageToken(foreign).build()), Status.Code.INVALID_ARGUMENT);
    assertThat(booksToken).isEmpty();
    assertThat(second.getVersion()).isEqualTo("3.0.0");
  }

  @Test
  void instanceReportsStatusWrittenByTheController() {
    Book book = stub.createBook(supportBook("1.0.0"));
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    BookInstanceDefinition stored = client.resources(BookInstanceDefinition.class).inNamespace("bdk").list().getItems().get(0);
    stored.setStatus(new BookInstanceDefinitionStatus("Ready",
        new BookInstanceDefinitionStatus.DeploymentStatus(2, 2), "2024-01-01T00:00:00Z",
        List.of(new Condition("DeploymentReady", "True", "Available", null, "2024-01-01T00:00:00Z", null)),
        1L, null));
    client.resources(BookInstanceDefinition.class).inNamespace("bdk").resource(stored).updateStatus();
    GetInstanceRequest get = GetInstanceRequest.newBuilder()
        .setBookId(book.getBookId()).setInstanceId(created.getInstanceId()).build();
    await().atMost(Duration.ofSeconds(10)).until(() -> stub.getInstance(get).getStatus().equals("Ready"));
    Instance got = stub.getInstance(get);
    assertThat(got.getDeploymentStatus().getReadyReplicas()).isEqualTo(2);
    assertThat(got.getDeploymentStatus().getTotalReplicas()).isEqualTo(2);
    assertThat(got.getLastUpdated()).isEqualTo("2024-01-01T00:00:00Z");
    assertThat(got.getConditions(0).getType()).isEqualTo("DeploymentReady");
    assertThat(got.getConditions(0).getStatus()).isEqualTo("True");
  }

  @Test
  void aWebhookPathIsReadOnlyWhileTheGatewayRoutesIt_andItsRefusalIsShownInTheConditions() {
    Book book = stub.createBook(supportBook("1.0.0"));
    Instance created = stub.createInstance(instanceRequest(book.getBookId()).build());
    assertThat(created.getWebhooks(0).getPath()).isEmpty();
    String name = client.resources(BookInstanceDefinition.class).inNamespace("bdk").list().getItems().get(0)
        .getMetadata().getName();
    String path = WebhookRoutes.publicPath(NS, name, "zendesk");
    GetInstanceRequest get = GetInstanceRequest.newBuilder()
        .setBookId(book.getBookId()).setInstanceId(created.getInstanceId()).build();

    // The controller mirrors the xds-server's verdict: routed.
    writeStatus(List.of(new WebhookEndpoint("zendesk", path)),
        new Condition("WebhooksRouted", "True", "Routed", "webhook routes are served by the gateway",
            "2024-01-01T00:00:00Z", 1L));
    await().atMost(Duration.ofSeconds(10)).until(() -> stub.getInstance(get).getWebhooks(0).getPath().equals(path));

    // Then refused: the path goes, the reason is in the conditions.
    String refusal = "held out of the gateway until its resources change: Envoy rejected it";
    writeStatus(List.of(), new Condition("WebhooksRouted", "False", "EnvoyRejected", refusal,
        "2024-01-01T00:00:05Z", 1L));
    await().atMost(Duration.ofSeconds(10)).until(() -> stub.getInstance(get).getWebhooks(0).getPath().isEmpty());

    Instance got = stub.getInstance(get);
    assertThat(got.getWebhooksCount()).isEqualTo(1);
    assertThat(got.getWebhooks(0).getIntegration()).isEqualTo("zendesk");
    assertThat(got.getConditionsList()).anySatisfy(c -> {
      assertThat(c.getType()).isEqualTo("WebhooksRouted");
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getMessage()).isEqualTo(refusal);
    });
    assertThat(stub.listInstances(ListInstancesRequest.newBuilder().setBookId(book.getBookId()).build())
        .getInstancesList()).singleElement().isEqualTo(got);
  }

  /** The only instance's status as the controller writes it: Ready, with the gateway's mirrored verdict. */
  private void writeStatus(List<WebhookEndpoint> routed, Condition webhooksRouted) {
    BookInstanceDefinition stored = client.resources(BookInstanceDefinition.class).inNamespace("bdk").list().getItems().get(0);
    stored.setStatus(new BookInstanceDefinitionStatus("Ready", new BookInstanceDefinitionStatus.DeploymentStatus(1, 1),
        "2024-01-01T00:00:00Z", List.of(webhooksRouted), 1L, routed));
    client.resources(BookInstanceDefinition.class).inNamespace("bdk").resource(stored).updateStatus();
  }

  // ---- helpers ----

  static CreateBookRequest supportBook(String version) {
    return CreateBookRequest.newBuilder()
        .setName("customer-support")
        .setVersion(version)
        .setDescription("Customer support automation")
        .addCapabilities("ticket_creation")
        .addIntegrations(Integration.newBuilder().setName("zendesk").setType("webhook")
            .setConfig(com.google.protobuf.Struct.newBuilder().putFields("endpoint",
                com.google.protobuf.Value.newBuilder().setStringValue("/webhooks/zendesk").build())))
        .addIntegrations(Integration.newBuilder().setName("slack").setType("api"))
        .build();
  }

  static CreateInstanceRequest.Builder instanceRequest(String bookId) {
    return CreateInstanceRequest.newBuilder()
        .setBookId(bookId)
        .setCustomerNamespace(NS)
        .setOrganizationId(ORG)
        .setDeployment(Deployment.newBuilder().setType("primary").setReplicas(2))
        .addCredentials(CredentialInput.newBuilder().setName("zendesk_secret").setValue(SECRET_VALUE)
            .setType("secret").setSource("manual"))
        .addWebhooks(WebhookBinding.newBuilder().setIntegration("zendesk").setScheme("zendesk")
            .setCredential("zendesk_secret"));
  }

  static StatusRuntimeException assertCode(Runnable call, Status.Code code) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("expected %s", code).isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(code);
    return e;
  }

  private static List<String> violatedFields(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status).isNotNull();
    return status.getDetailsList().stream()
        .filter(d -> d.is(BadRequest.class))
        .flatMap(d -> {
          try {
            return d.unpack(BadRequest.class).getFieldViolationsList().stream();
          } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
          }
        })
        .map(BadRequest.FieldViolation::getField)
        .toList();
  }
}
