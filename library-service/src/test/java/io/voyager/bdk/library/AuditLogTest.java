package io.voyager.bdk.library;

import static io.voyager.bdk.library.AuthenticationTest.captureLog;
import static io.voyager.bdk.library.BookLibraryServiceTest.SECRET_VALUE;
import static io.voyager.bdk.library.BookLibraryServiceTest.assertCode;
import static io.voyager.bdk.library.BookLibraryServiceTest.instanceRequest;
import static io.voyager.bdk.library.BookLibraryServiceTest.supportBook;
import static io.voyager.bdk.library.LibraryHarness.ACME_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.ACME_VIEWER;
import static io.voyager.bdk.library.LibraryHarness.GLOBEX_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.PLATFORM_ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.voyager.bdk.library.LibraryHarness.Identity;
import io.voyager.bdk.library.v1.Book;
import io.voyager.bdk.library.v1.DeleteBookRequest;
import io.voyager.bdk.library.v1.DeleteInstanceRequest;
import io.voyager.bdk.library.v1.UpdateInstanceRequest;
import io.voyager.bdk.library.v1.GetBookRequest;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.ListBooksRequest;
import io.voyager.bdk.model.OrganizationSpec.Quotas;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Exactly one audit line and one counter increment per mutating call, whatever its outcome; never a secret. */
@EnableKubernetesMockClient(crud = true)
class AuditLogTest {
  KubernetesClient client;
  private LibraryHarness library;
  private final List<String> tokens = new ArrayList<>();

  @BeforeEach
  void start() {
    LibraryHarness.organization(client, "acme", "acme", new Quotas(1, null, null, null, null, null), LibraryHarness.ACME_NS);
    LibraryHarness.organization(client, "globex", "globex", null, LibraryHarness.GLOBEX_NS);
    library = new LibraryHarness(client);
  }

  @AfterEach
  void stop() {
    library.close();
  }

  @Test
  void everyMutatingCallWritesOneAuditLineAndCountsItsOutcome() {
    Book book = audited("subject=root@platform organization=- role=platform-admin method=CreateBook target=books/",
        "namespace=- outcome=OK", () -> library.as(PLATFORM_ADMIN).createBook(supportBook("1.0.0")));
    audited("subject=alice@acme organization=acme role=org-admin method=CreateBook target=books/customer-support@2.0.0 "
        + "namespace=- outcome=PERMISSION_DENIED",
        "", () -> assertCode(() -> library.as(ACME_ADMIN).createBook(supportBook("2.0.0")), Status.Code.PERMISSION_DENIED));
    audited("subject=root@platform organization=- role=platform-admin method=CreateBook target=books/customer-support@1.0.0 "
        + "namespace=- outcome=ALREADY_EXISTS",
        "", () -> assertCode(() -> library.as(PLATFORM_ADMIN).createBook(supportBook("1.0.0")), Status.Code.ALREADY_EXISTS));

    Instance instance = audited("subject=alice@acme organization=acme role=org-admin method=CreateInstance target=books/"
        + book.getBookId() + "/instances/", "namespace=customer-acme outcome=OK",
        () -> library.as(ACME_ADMIN).createInstance(instanceRequest(book.getBookId()).build()));
    audited("subject=alice@acme organization=acme role=org-admin method=CreateInstance target=books/" + book.getBookId()
        + "/instances namespace=customer-acme outcome=RESOURCE_EXHAUSTED", "",
        () -> assertCode(() -> library.as(ACME_ADMIN).createInstance(instanceRequest(book.getBookId()).build()),
            Status.Code.RESOURCE_EXHAUSTED));
    audited("subject=gina@globex organization=globex role=org-admin method=CreateInstance target=books/" + book.getBookId()
        + "/instances namespace=customer-acme outcome=PERMISSION_DENIED", "",
        () -> assertCode(() -> library.as(GLOBEX_ADMIN).createInstance(instanceRequest(book.getBookId())
            .setOrganizationId("").build()), Status.Code.PERMISSION_DENIED));

    String target = "target=books/" + book.getBookId() + "/instances/" + instance.getInstanceId();
    String rotatedValue = "rotated-secret-6d1e0f";
    UpdateInstanceRequest rotate = InstanceUpdateTest.patch(instance, InstanceUpdateTest.rotate(rotatedValue, 60), "credentials");
    audited("subject=gina@globex organization=globex role=org-admin method=UpdateInstance " + target + " namespace=- outcome=NOT_FOUND",
        "", () -> assertCode(() -> library.as(GLOBEX_ADMIN).updateInstance(rotate), Status.Code.NOT_FOUND));
    audited("subject=victor@acme organization=acme role=org-viewer method=UpdateInstance " + target
        + " namespace=customer-acme outcome=PERMISSION_DENIED",
        "", () -> assertCode(() -> library.as(ACME_VIEWER).updateInstance(rotate), Status.Code.PERMISSION_DENIED));
    String updateLog = captureLog(() -> library.as(ACME_ADMIN).updateInstance(rotate)).toString(StandardCharsets.UTF_8);
    assertThat(updateLog.lines().filter(l -> l.contains("event=audit"))).singleElement().asString()
        .endsWith("method=UpdateInstance " + target + " namespace=customer-acme outcome=OK");
    assertThat(updateLog).contains("event=credentials_written").doesNotContain(rotatedValue).doesNotContain(SECRET_VALUE);

    DeleteInstanceRequest delete = DeleteInstanceRequest.newBuilder()
        .setBookId(book.getBookId()).setInstanceId(instance.getInstanceId()).build();
    // hidden: the namespace is not told either
    audited("subject=gina@globex organization=globex role=org-admin method=DeleteInstance " + target + " namespace=- outcome=NOT_FOUND",
        "", () -> assertCode(() -> library.as(GLOBEX_ADMIN).deleteInstance(delete), Status.Code.NOT_FOUND));
    audited("subject=victor@acme organization=acme role=org-viewer method=DeleteInstance " + target
        + " namespace=customer-acme outcome=PERMISSION_DENIED",
        "", () -> assertCode(() -> library.as(ACME_VIEWER).deleteInstance(delete), Status.Code.PERMISSION_DENIED));
    audited("subject=alice@acme organization=acme role=org-admin method=DeleteInstance " + target + " namespace=customer-acme outcome=OK",
        "", () -> library.as(ACME_ADMIN).deleteInstance(delete));
    audited("subject=root@platform organization=- role=platform-admin method=DeleteBook target=books/" + book.getBookId()
        + " namespace=- outcome=OK", "",
        () -> library.as(PLATFORM_ADMIN).deleteBook(DeleteBookRequest.newBuilder().setBookId(book.getBookId()).build()));

    // reads are not audited
    String reads = captureLog(() -> {
      library.as(ACME_ADMIN).listBooks(ListBooksRequest.getDefaultInstance());
      assertCode(() -> library.as(ACME_ADMIN).getBook(GetBookRequest.newBuilder().setBookId(book.getBookId()).build()),
          Status.Code.NOT_FOUND);
    }).toString(StandardCharsets.UTF_8);
    assertThat(reads).doesNotContain("event=audit");

    assertThat(count("CreateBook", "OK")).isEqualTo(1);
    assertThat(count("CreateBook", "PERMISSION_DENIED")).isEqualTo(1);
    assertThat(count("CreateBook", "ALREADY_EXISTS")).isEqualTo(1);
    assertThat(count("CreateInstance", "OK")).isEqualTo(1);
    assertThat(count("CreateInstance", "RESOURCE_EXHAUSTED")).isEqualTo(1);
    assertThat(count("CreateInstance", "PERMISSION_DENIED")).isEqualTo(1);
    assertThat(count("DeleteInstance", "NOT_FOUND")).isEqualTo(1);
    assertThat(count("DeleteInstance", "PERMISSION_DENIED")).isEqualTo(1);
    assertThat(count("DeleteInstance", "OK")).isEqualTo(1);
    assertThat(count("DeleteBook", "OK")).isEqualTo(1);
    assertThat(count("UpdateInstance", "OK")).isEqualTo(1);
    assertThat(count("UpdateInstance", "NOT_FOUND")).isEqualTo(1);
    assertThat(count("UpdateInstance", "PERMISSION_DENIED")).isEqualTo(1);
    assertThat(library.registry.find(AuditLog.METER).counters()).hasSize(13);
  }

  @Test
  void aSubjectCannotForgeAnotherLineOrKey() {
    Identity forger = new Identity("mallory\nevent=audit subject=root role=platform-admin", "acme", "org-admin");
    String line = audited("subject=\"mallory\\u000aevent=audit subject=root role=platform-admin\" organization=acme role=org-admin "
        + "method=CreateBook", "outcome=PERMISSION_DENIED",
        () -> {
          assertCode(() -> library.as(forger).createBook(supportBook("1.0.0")), Status.Code.PERMISSION_DENIED);
          return "";
        });
    assertThat(line).isEmpty();
  }

  /**
   * Runs {@code call}, requires exactly one audit line in what it logged, starting (after
   * {@code event=audit }) with {@code start} and ending with {@code end}; and no credential value or
   * token anywhere in the log.
   */
  private <T> T audited(String start, String end, Supplier<T> call) {
    List<T> result = new ArrayList<>();
    String log = captureLog(() -> result.add(call.get())).toString(StandardCharsets.UTF_8);
    List<String> lines = Arrays.stream(log.split("\n")).filter(l -> l.contains("event=audit")).toList();
    assertThat(lines).as("one audit line for: %s", start).hasSize(1);
    String audit = lines.get(0).substring(lines.get(0).indexOf("event=audit ") + "event=audit ".length());
    assertThat(audit).startsWith(start).endsWith(end);
    assertThat(log).doesNotContain(SECRET_VALUE);
    assertThat(log).as("no token (a JWT's base64url JSON header) in the log").doesNotContainPattern("eyJ[A-Za-z0-9_-]{8,}");
    return result.get(0);
  }

  private void audited(String start, String end, Runnable call) {
    audited(start, end, () -> {
      call.run();
      return null;
    });
  }

  private double count(String method, String outcome) {
    return library.registry.counter(AuditLog.METER, "method", method, "outcome", outcome).count();
  }
}
