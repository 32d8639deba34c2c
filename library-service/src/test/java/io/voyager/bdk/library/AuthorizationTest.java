package io.voyager.bdk.library;

import static io.voyager.bdk.library.BookLibraryServiceTest.assertCode;
import static io.voyager.bdk.library.BookLibraryServiceTest.instanceRequest;
import static io.voyager.bdk.library.BookLibraryServiceTest.supportBook;
import static io.voyager.bdk.library.LibraryHarness.ACME_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.ACME_NS;
import static io.voyager.bdk.library.LibraryHarness.ACME_VIEWER;
import static io.voyager.bdk.library.LibraryHarness.GLOBEX_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.GLOBEX_NS;
import static io.voyager.bdk.library.LibraryHarness.GLOBEX_VIEWER;
import static io.voyager.bdk.library.LibraryHarness.NOBODY;
import static io.voyager.bdk.library.LibraryHarness.PLATFORM_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.STRANGER_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.code;
import static io.voyager.bdk.library.LibraryHarness.liveInstances;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.voyager.bdk.library.LibraryHarness.Identity;
import io.voyager.bdk.library.v1.Book;
import io.voyager.bdk.library.v1.BookLibraryGrpc.BookLibraryBlockingStub;
import io.voyager.bdk.library.v1.CreateBookRequest;
import io.voyager.bdk.library.v1.CreateInstanceRequest;
import io.voyager.bdk.library.v1.DeleteBookRequest;
import io.voyager.bdk.library.v1.DeleteInstanceRequest;
import io.voyager.bdk.library.v1.Deployment;
import io.voyager.bdk.library.v1.GetBookRequest;
import io.voyager.bdk.library.v1.GetInstanceRequest;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.ListBooksRequest;
import io.voyager.bdk.library.v1.ListInstancesRequest;
import io.voyager.bdk.library.v1.ListInstancesResponse;
import io.voyager.bdk.library.v1.UpdateInstanceRequest;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The role × organization matrix for every RPC, over in-process gRPC with real tokens and the
 * mock API server: acme ({@code customer-acme}) and globex ({@code customer-globex}).
 */
@EnableKubernetesMockClient(crud = true)
class AuthorizationTest {
  static final List<Identity> EVERYONE =
      List.of(PLATFORM_ADMIN, ACME_ADMIN, ACME_VIEWER, GLOBEX_ADMIN, GLOBEX_VIEWER, STRANGER_ADMIN, NOBODY);

  KubernetesClient client;
  private LibraryHarness library;
  private Book book;
  private Instance acmeInstance;
  private Instance globexInstance;

  @BeforeEach
  void start() {
    LibraryHarness.tenants(client);
    library = new LibraryHarness(client);
    book = library.as(PLATFORM_ADMIN).createBook(supportBook("1.0.0"));
    acmeInstance = library.as(ACME_ADMIN).createInstance(instanceRequest(book.getBookId()).setOrganizationId("").build());
    globexInstance = library.as(GLOBEX_ADMIN).createInstance(instanceRequest(book.getBookId())
        .setCustomerNamespace(GLOBEX_NS).setOrganizationId("globex").build());
  }

  @AfterEach
  void stop() {
    library.close();
  }

  @Test
  void everyAuthenticatedCallerReadsTheBooks() {
    for (Identity who : EVERYONE) {
      assertThat(library.as(who).listBooks(ListBooksRequest.getDefaultInstance()).getBooksList()).as(who.subject()).containsExactly(book);
      assertThat(library.as(who).getBook(GetBookRequest.newBuilder().setBookId(book.getBookId()).build())).isEqualTo(book);
    }
  }

  @Test
  void onlyAPlatformAdminCreatesOrDeletesBooks() {
    Book spare = library.as(PLATFORM_ADMIN).createBook(supportBook("2.0.0"));
    for (Identity who : EVERYONE.subList(1, EVERYONE.size())) {
      StatusRuntimeException e = assertCode(() -> library.as(who).createBook(supportBook("3.0.0")), Status.Code.PERMISSION_DENIED);
      assertThat(e.getStatus().getDescription()).startsWith("role platform-admin is required to create books (the token's roles: ");
      e = assertCode(() -> library.as(who).deleteBook(DeleteBookRequest.newBuilder().setBookId(spare.getBookId()).build()),
          Status.Code.PERMISSION_DENIED);
      assertThat(e.getStatus().getDescription()).startsWith("role platform-admin is required to delete books");
    }
    library.as(PLATFORM_ADMIN).deleteBook(DeleteBookRequest.newBuilder().setBookId(spare.getBookId()).build());
    assertThat(library.as(PLATFORM_ADMIN).listBooks(ListBooksRequest.getDefaultInstance()).getBooksList()).containsExactly(book);
  }

  @Test
  void creatingInstances_roleAndNamespace() {
    assertThat(acmeInstance.getOrganizationId()).as("from the token").isEqualTo("acme");
    assertThat(globexInstance.getOrganizationId()).isEqualTo("globex");
    Instance byPlatform = library.as(PLATFORM_ADMIN).createInstance(instanceRequest(book.getBookId())
        .setCustomerNamespace(GLOBEX_NS).setOrganizationId("").build());
    assertThat(byPlatform.getOrganizationId()).as("the namespace's Organization").isEqualTo("globex");

    Map<Identity, String> refusals = Map.of(
        ACME_VIEWER, "role org-admin (or platform-admin) is required to create instances (the token's roles: org-viewer)",
        GLOBEX_VIEWER, "role org-admin (or platform-admin) is required to create instances (the token's roles: org-viewer)",
        NOBODY, "role org-admin (or platform-admin) is required to create instances (the token's roles: -)",
        GLOBEX_ADMIN, "namespace 'customer-acme' is not a namespace of organization 'globex'",
        STRANGER_ADMIN, "organization 'initech' of the token matches no Organization");
    refusals.forEach((who, message) -> {
      StatusRuntimeException e = assertCode(() -> library.as(who).createInstance(instanceRequest(book.getBookId())
          .setOrganizationId("").build()), Status.Code.PERMISSION_DENIED);
      assertThat(e.getStatus().getDescription()).as(who.subject()).isEqualTo(message);
    });
    StatusRuntimeException e = assertCode(() -> library.as(ACME_ADMIN).createInstance(instanceRequest(book.getBookId())
        .setCustomerNamespace(GLOBEX_NS).setOrganizationId("").build()), Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).isEqualTo("namespace 'customer-globex' is not a namespace of organization 'acme'");
    assertThat(liveInstances(client)).hasSize(3);
  }

  @Test
  void theOrganizationIdComesFromTheToken_aDifferentBodyValueIsInvalid() {
    StatusRuntimeException e = assertCode(() -> library.as(ACME_ADMIN).createInstance(instanceRequest(book.getBookId())
        .setOrganizationId("globex").build()), Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).isEqualTo(
        "organization_id: must be left out or match the caller's organization (it comes from the token: 'acme'); got 'globex'");
    e = assertCode(() -> library.as(PLATFORM_ADMIN).createInstance(instanceRequest(book.getBookId())
        .setOrganizationId("globex").build()), Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).startsWith("organization_id: ")
        .contains("namespace 'customer-acme' belongs to organization 'acme'");
    assertThat(liveInstances(client)).hasSize(2);
  }

  @Test
  void namespacesNoOrganizationKeepsOrThatDoNotExistAreRefused() {
    StatusRuntimeException e = assertCode(() -> library.as(PLATFORM_ADMIN).createInstance(instanceRequest(book.getBookId())
        .setCustomerNamespace("customer-initech").setOrganizationId("").build()), Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).isEqualTo(
        "customer_namespace: namespace 'customer-initech' belongs to no Organization; an operator must list it in one first");
    // an Organization listing a namespace nobody created yet
    Organization acme = client.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE).withName("acme").get();
    acme.setSpec(new OrganizationSpec("acme", null, List.of(ACME_NS, "customer-acme-eu"), null));
    client.resource(acme).update();
    CreateInstanceRequest eu = instanceRequest(book.getBookId()).setCustomerNamespace("customer-acme-eu").setOrganizationId("").build();
    await().atMost(Duration.ofSeconds(10)).until(() -> code(() -> library.as(ACME_ADMIN).createInstance(eu)) == Status.Code.FAILED_PRECONDITION);
    e = assertCode(() -> library.as(ACME_ADMIN).createInstance(eu), Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).isEqualTo("customer_namespace: namespace 'customer-acme-eu' does not exist");
    // once it exists, the Organization's change applies without a restart
    client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
        .withName("customer-acme-eu").endMetadata().build()).create();
    assertThat(library.as(ACME_ADMIN).createInstance(eu).getOrganizationId()).isEqualTo("acme");
  }

  @Test
  void readsShowOnlyWhatTheCallerMaySee_anotherOrganizationsInstanceIsNotFoundLikeAMissingOne() {
    for (Identity who : EVERYONE) {
      List<String> expected = who == PLATFORM_ADMIN ? List.of(acmeInstance.getInstanceId(), globexInstance.getInstanceId())
          : who.organization() == null || who.roles().length == 0 ? List.of()
          : who.organization().equals("acme") ? List.of(acmeInstance.getInstanceId())
          : who.organization().equals("globex") ? List.of(globexInstance.getInstanceId())
          : List.of();
      assertThat(library.as(who).listInstances(ListInstancesRequest.newBuilder().setBookId(book.getBookId()).build())
          .getInstancesList()).as(who.subject()).extracting(Instance::getInstanceId).containsExactlyInAnyOrderElementsOf(expected);
      for (Instance i : List.of(acmeInstance, globexInstance)) {
        GetInstanceRequest get = GetInstanceRequest.newBuilder().setBookId(book.getBookId()).setInstanceId(i.getInstanceId()).build();
        if (expected.contains(i.getInstanceId())) {
          assertThat(library.as(who).getInstance(get).getInstanceId()).isEqualTo(i.getInstanceId());
        } else {
          StatusRuntimeException hidden = assertCode(() -> library.as(who).getInstance(get), Status.Code.NOT_FOUND);
          String unknown = UUID.randomUUID().toString();
          StatusRuntimeException missing = assertCode(() -> library.as(PLATFORM_ADMIN).getInstance(
              get.toBuilder().setInstanceId(unknown).build()), Status.Code.NOT_FOUND);
          assertThat(hidden.getStatus().getDescription()).as("same words as a missing one")
              .isEqualTo(missing.getStatus().getDescription().replace(unknown, i.getInstanceId()));
          assertThat(io.grpc.protobuf.StatusProto.fromThrowable(hidden).getDetailsCount())
              .isEqualTo(io.grpc.protobuf.StatusProto.fromThrowable(missing).getDetailsCount());
        }
      }
    }
  }

  @Test
  void deletingInstances_anotherOrganizationsIsNotFound_aViewerIsDenied() {
    DeleteInstanceRequest deleteAcme = DeleteInstanceRequest.newBuilder()
        .setBookId(book.getBookId()).setInstanceId(acmeInstance.getInstanceId()).build();
    for (Identity who : List.of(GLOBEX_ADMIN, GLOBEX_VIEWER, STRANGER_ADMIN, NOBODY)) {
      StatusRuntimeException e = assertCode(() -> library.as(who).deleteInstance(deleteAcme), Status.Code.NOT_FOUND);
      assertThat(e.getStatus().getDescription()).isEqualTo(
          "instance_id: book " + book.getBookId() + " has no instance with id '" + acmeInstance.getInstanceId() + "'");
    }
    StatusRuntimeException e = assertCode(() -> library.as(ACME_VIEWER).deleteInstance(deleteAcme), Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).isEqualTo(
        "role org-admin (or platform-admin) is required to delete instances of organization 'acme' (the token's roles: org-viewer)");
    assertThat(liveInstances(client)).hasSize(2);
    library.as(ACME_ADMIN).deleteInstance(deleteAcme);
    library.as(PLATFORM_ADMIN).deleteInstance(DeleteInstanceRequest.newBuilder()
        .setBookId(book.getBookId()).setInstanceId(globexInstance.getInstanceId()).build());
    assertThat(liveInstances(client)).isEmpty();
  }

  @Test
  void updatingInstances_asDeleting_anotherOrganizationsIsNotFound_aViewerIsDenied_etagsDoNotLeak() {
    // every refusal carries acme's current etag: it proves nothing to someone who may not see the instance
    UpdateInstanceRequest scaleAcme = InstanceUpdateTest.patch(acmeInstance,
        Instance.newBuilder().setDeployment(Deployment.newBuilder().setReplicas(3)),
        "deployment.replicas");
    UpdateInstanceRequest staleAcme = scaleAcme.toBuilder()
        .setInstance(scaleAcme.getInstance().toBuilder().setEtag("W/\"99-0\"")).build();
    for (Identity who : List.of(GLOBEX_ADMIN, GLOBEX_VIEWER, STRANGER_ADMIN, NOBODY)) {
      for (UpdateInstanceRequest request : List.of(scaleAcme, staleAcme)) {
        StatusRuntimeException e = assertCode(() -> library.as(who).updateInstance(request), Status.Code.NOT_FOUND);
        assertThat(e.getStatus().getDescription()).as(who.subject()).isEqualTo(
            "instance_id: book " + book.getBookId() + " has no instance with id '" + acmeInstance.getInstanceId() + "'");
      }
    }
    for (UpdateInstanceRequest request : List.of(scaleAcme, staleAcme)) {
      StatusRuntimeException e = assertCode(() -> library.as(ACME_VIEWER).updateInstance(request), Status.Code.PERMISSION_DENIED);
      assertThat(e.getStatus().getDescription()).isEqualTo(
          "role org-admin (or platform-admin) is required to update instances of organization 'acme' (the token's roles: org-viewer)");
    }
    assertThat(liveInstances(client)).allSatisfy(i -> assertThat(i.getMetadata().getGeneration()).isEqualTo(1L));
    // a stale etag is ABORTED only for who may write
    assertCode(() -> library.as(ACME_ADMIN).updateInstance(staleAcme), Status.Code.ABORTED);

    Instance scaled = library.as(ACME_ADMIN).updateInstance(scaleAcme);
    assertThat(scaled.getDeployment().getReplicas()).isEqualTo(3);
    Instance globexScaled = library.as(PLATFORM_ADMIN).updateInstance(InstanceUpdateTest.patch(globexInstance,
        Instance.newBuilder().setDeployment(Deployment.newBuilder().setReplicas(1)),
        "deployment.replicas"));
    assertThat(globexScaled.getDeployment().getReplicas()).isEqualTo(1);
    assertThat(globexScaled.getOrganizationId()).isEqualTo("globex");
    // an org-admin cannot move an instance to another organization's namespace or organization
    StatusRuntimeException e = assertCode(() -> library.as(ACME_ADMIN).updateInstance(InstanceUpdateTest.patch(scaled,
        Instance.newBuilder().setCustomerNamespace(GLOBEX_NS).setOrganizationId("globex"), "customer_namespace", "organization_id")),
        Status.Code.INVALID_ARGUMENT);
    assertThat(InstanceUpdateTest.violatedFields(e)).containsExactlyInAnyOrder("customer_namespace", "organization_id");
  }

  @Test
  void filteredListsPageCorrectly_fullPagesNoEmptyPageWithAToken_noneSkippedOrRepeated() {
    // interleaved: acme's and globex's instances alternate irregularly in the list order
    String pattern = "GGAGAAAGGGGAGAAGGGGGG";
    List<String> acme = new ArrayList<>(List.of(acmeInstance.getInstanceId()));
    List<String> globex = new ArrayList<>(List.of(globexInstance.getInstanceId()));
    for (char c : pattern.toCharArray()) {
      if (c == 'A') {
        acme.add(library.as(ACME_ADMIN).createInstance(instanceRequest(book.getBookId()).setOrganizationId("").build()).getInstanceId());
      } else {
        globex.add(library.as(GLOBEX_ADMIN).createInstance(instanceRequest(book.getBookId())
            .setCustomerNamespace(GLOBEX_NS).setOrganizationId("").build()).getInstanceId());
      }
    }
    assertThat(acme).hasSize(8);
    assertThat(globex).hasSize(15);
    List<String> all = pages(PLATFORM_ADMIN, 5).stream().flatMap(List::stream).toList();
    for (int size : new int[] {1, 3, 4, 8, 100}) {
      assertPaged(ACME_VIEWER, size, all.stream().filter(acme::contains).toList());
      assertPaged(GLOBEX_ADMIN, size, all.stream().filter(globex::contains).toList());
    }
    // acme's last instance is followed only by globex's: its last page carries no token
    List<List<String>> acmePages = pages(ACME_ADMIN, 4);
    assertThat(acmePages).hasSize(2);
    assertThat(pages(STRANGER_ADMIN, 3)).containsExactly(List.of());

    // changes between pages: a deleted instance is not served again, none that stays is skipped
    ListInstancesResponse first = list(ACME_VIEWER, 3, "");
    List<String> seen = new ArrayList<>(ids(first));
    String gone = all.stream().filter(acme::contains).toList().get(4);
    library.as(ACME_ADMIN).deleteInstance(DeleteInstanceRequest.newBuilder().setBookId(book.getBookId()).setInstanceId(gone).build());
    String token = first.getNextPageToken();
    while (!token.isEmpty()) {
      ListInstancesResponse page = list(ACME_VIEWER, 3, token);
      seen.addAll(ids(page));
      token = page.getNextPageToken();
    }
    assertThat(seen).doesNotHaveDuplicates().doesNotContain(gone)
        .containsExactlyElementsOf(all.stream().filter(acme::contains).filter(id -> !id.equals(gone)).toList());
  }

  private void assertPaged(Identity who, int size, List<String> expected) {
    List<List<String>> pages = pages(who, size);
    List<String> flat = pages.stream().flatMap(List::stream).toList();
    assertThat(flat).as("%s by %d", who.subject(), size).containsExactlyElementsOf(expected);
    for (int i = 0; i < pages.size() - 1; i++) {
      assertThat(pages.get(i)).as("page %d of %s by %d is full", i, who.subject(), size).hasSize(size);
    }
    assertThat(pages.get(pages.size() - 1)).as("no empty last page after a token").isNotEmpty();
  }

  /** Every page's instance ids, following next_page_token to the end. */
  private List<List<String>> pages(Identity who, int size) {
    List<List<String>> pages = new ArrayList<>();
    String token = "";
    do {
      ListInstancesResponse page = list(who, size, token);
      pages.add(ids(page));
      token = page.getNextPageToken();
      assertThat(pages).as("terminates").hasSizeLessThan(100);
    } while (!token.isEmpty());
    return pages;
  }

  private ListInstancesResponse list(Identity who, int size, String token) {
    return library.as(who).listInstances(ListInstancesRequest.newBuilder()
        .setBookId(book.getBookId()).setPageSize(size).setPageToken(token).build());
  }

  private static List<String> ids(ListInstancesResponse page) {
    return page.getInstancesList().stream().map(Instance::getInstanceId).collect(Collectors.toList());
  }
}
