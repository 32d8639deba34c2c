package io.voyager.bdk.library;

import static io.voyager.bdk.library.BookLibraryServiceTest.assertCode;
import static io.voyager.bdk.library.BookLibraryServiceTest.instanceRequest;
import static io.voyager.bdk.library.BookLibraryServiceTest.supportBook;
import static io.voyager.bdk.library.LibraryHarness.ACME_ADMIN;
import static io.voyager.bdk.library.LibraryHarness.ISSUER;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.voyager.bdk.library.v1.BookLibraryGrpc;
import io.voyager.bdk.library.v1.BookLibraryGrpc.BookLibraryBlockingStub;
import io.voyager.bdk.library.v1.DeleteBookRequest;
import io.voyager.bdk.library.v1.DeleteInstanceRequest;
import io.voyager.bdk.library.v1.GetBookRequest;
import io.voyager.bdk.library.v1.GetInstanceRequest;
import io.voyager.bdk.library.v1.ListBooksRequest;
import io.voyager.bdk.library.v1.ListInstancesRequest;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.support.LoopbackPorts;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.support.auth.TestIssuer;
import io.voyager.bdk.support.auth.TokenVerifier;
import io.voyager.bdk.support.auth.VerificationKeys;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every BookLibrary call needs a valid bearer token, verified by the library itself (the rule for
 * calls through Envoy and direct gRPC alike), with real keys.
 */
@EnableKubernetesMockClient(crud = true)
class AuthenticationTest {
  KubernetesClient client;
  private LibraryHarness library;

  @BeforeEach
  void start() {
    LibraryHarness.tenants(client);
    library = new LibraryHarness(client);
  }

  @AfterEach
  void stop() {
    library.close();
  }

  /** Every method of the service, called with empty-ish requests. */
  static final List<Consumer<BookLibraryBlockingStub>> EVERY_METHOD = List.of(
      s -> s.createBook(supportBook("1.0.0")),
      s -> s.listBooks(ListBooksRequest.getDefaultInstance()),
      s -> s.getBook(GetBookRequest.newBuilder().setBookId("b").build()),
      s -> s.deleteBook(DeleteBookRequest.newBuilder().setBookId("b").build()),
      s -> s.createInstance(instanceRequest("b").build()),
      s -> s.listInstances(ListInstancesRequest.newBuilder().setBookId("b").build()),
      s -> s.getInstance(GetInstanceRequest.newBuilder().setBookId("b").setInstanceId("i").build()),
      s -> s.deleteInstance(DeleteInstanceRequest.newBuilder().setBookId("b").setInstanceId("i").build()));

  @Test
  void everyMethodWithoutATokenIsUnauthenticated() {
    BookLibraryBlockingStub anonymous = BookLibraryGrpc.newBlockingStub(library.anonymous());
    for (Consumer<BookLibraryBlockingStub> call : EVERY_METHOD) {
      StatusRuntimeException e = assertCode(() -> call.accept(anonymous), Status.Code.UNAUTHENTICATED);
      assertThat(e.getStatus().getDescription()).isEqualTo("no bearer token: send the header 'authorization: Bearer <token>'");
    }
    assertThat(client.resources(BookDefinition.class).inAnyNamespace().list().getItems()).isEmpty();
  }

  @Test
  void malformedAuthorizationHeaders() {
    String good = ACME_ADMIN.token();
    assertRefused(library.withAuthorization("Basic YWxpY2U6c2VjcmV0"), "the authorization header is not a Bearer token");
    assertRefused(library.withAuthorization(good), "the authorization header is not a Bearer token");
    assertRefused(library.withAuthorization("Bearer " + good, "Bearer " + good), "more than one authorization header");
    assertRefused(library.withAuthorization("Bearer "), "no bearer token");
    assertRefused(library.withAuthorization("Bearer " + "a".repeat(JwtSettings.MAX_TOKEN_BYTES + 1)),
        "bearer token is 8193 bytes; at most 8192 are accepted");
    // the scheme is case-insensitive (RFC 7235)
    assertThat(BookLibraryGrpc.newBlockingStub(library.withAuthorization("bearer " + good))
        .listBooks(ListBooksRequest.getDefaultInstance()).getBooksCount()).isZero();
  }

  @Test
  void badTokensAreRefusedNamingWhy_neverEchoingThem() throws Exception {
    String none = new PlainJWT(ISSUER.token("mallory").roles("platform-admin").claims()).serialize();
    SignedJWT hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(),
        ISSUER.token("mallory").roles("platform-admin").claims());
    hs.sign(new MACSigner(ISSUER.rsaKey().toRSAPublicKey().getEncoded()));
    Instant past = Instant.now().minus(Duration.ofHours(2));
    record Case(String token, String message) {}
    for (Case c : List.of(
        new Case(none, "unsigned token (alg none) is not accepted"),
        new Case(hs.serialize(), "alg 'HS256' is not accepted; tokens must be signed with RS256 or ES256"),
        new Case(ISSUER.token("alice").audience("someone-else").sign(), "aud names none of the accepted audiences [bdk-library]"),
        new Case(ISSUER.token("alice").issuer("https://evil.test/").sign(), "iss 'https://evil.test/' is not the accepted issuer"),
        new Case(ISSUER.token("alice").expires(past).sign(), "token expired at "),
        new Case(ISSUER.token("alice").notBefore(Instant.now().plus(Duration.ofHours(1))).sign(), "token is not valid before "),
        new Case(new TestIssuer().token("mallory").roles("platform-admin").sign(), "token signature does not verify"),
        new Case(ISSUER.token("alice").claim("padding", "x".repeat(9000)).sign(), "bearer token is "))) {
      StatusRuntimeException e = assertRefused(library.withToken(c.token()), c.message());
      for (String part : c.token().split("\\.")) {
        if (part.length() > 16) {
          assertThat(e.getStatus().getDescription()).as("never echoes the token").doesNotContain(part);
        }
      }
    }
  }

  @Test
  void aRefusedMutatingCallIsAuditedWithoutIdentity_andNothingIsWritten() {
    ByteArrayOutputStream log = captureLog(() -> {
      assertRefused(library.withToken(ISSUER.token("alice").expires(Instant.now().minusSeconds(3600)).sign()), "token expired");
      assertCode(() -> BookLibraryGrpc.newBlockingStub(library.anonymous()).createBook(supportBook("1.0.0")),
          Status.Code.UNAUTHENTICATED);
    });
    String text = log.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("event=audit subject=- organization=- role=- method=CreateBook target=- namespace=- outcome=UNAUTHENTICATED");
    assertThat(library.registry.counter(AuditLog.METER, "method", "CreateBook", "outcome", "UNAUTHENTICATED").count()).isEqualTo(2);
    assertThat(library.registry.find(AuditLog.METER).tag("method", "ListBooks").counters()).as("reads are not audited").isEmpty();
  }

  @Test
  void aClientSentIdentityHeaderChangesNothing() {
    Metadata forged = new Metadata();
    for (String name : List.of("x-bdk-organization", "x-bdk-roles", "x-jwt-payload", "x-forwarded-user", "x-bdk-caller")) {
      forged.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), name.contains("roles") ? "platform-admin" : "globex");
    }
    Channel acmeViewerWithForgery = ClientInterceptors.intercept(library.channel(LibraryHarness.ACME_VIEWER),
        MetadataUtils.newAttachHeadersInterceptor(forged));
    StatusRuntimeException e = assertCode(() -> BookLibraryGrpc.newBlockingStub(acmeViewerWithForgery).createBook(supportBook("1.0.0")),
        Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).contains("the token's roles: org-viewer");
    Channel anonymousWithForgery = ClientInterceptors.intercept(library.anonymous(), MetadataUtils.newAttachHeadersInterceptor(forged));
    assertCode(() -> BookLibraryGrpc.newBlockingStub(anonymousWithForgery).listBooks(ListBooksRequest.getDefaultInstance()),
        Status.Code.UNAUTHENTICATED);
  }

  @Test
  void keysThatCannotBeFetchedFailClosed_unavailable() throws Exception {
    int deadPort;
    deadPort = LoopbackPorts.freePort();
    JwtSettings settings = TestIssuer.settings(new JwtSettings.RemoteJwks(URI.create("http://127.0.0.1:" + deadPort + "/jwks"),
        Duration.ofMinutes(5)));
    try (VerificationKeys keys = VerificationKeys.open(settings.jwks(), client, Duration.ofSeconds(5))) {
      library.close();
      library = new LibraryHarness(client, LibraryBackend.Checkpoints.NONE, new TokenVerifier(settings, keys, Clock.systemUTC()));
      StatusRuntimeException e = assertCode(
          () -> library.as(LibraryHarness.PLATFORM_ADMIN).createBook(supportBook("1.0.0")), Status.Code.UNAVAILABLE);
      assertThat(e.getStatus().getDescription())
          .startsWith("the signing keys (JWKS) are unavailable, so no token can be verified: cannot fetch the JWKS from http://127.0.0.1:" + deadPort);
      assertThat(client.resources(BookDefinition.class).inAnyNamespace().list().getItems()).isEmpty();
    }
  }

  private static StatusRuntimeException assertRefused(Channel channel, String messageStart) {
    StatusRuntimeException e = assertCode(
        () -> BookLibraryGrpc.newBlockingStub(channel).listBooks(ListBooksRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED);
    assertThat(e.getStatus().getDescription()).startsWith(messageStart);
    StatusRuntimeException create = assertCode(
        () -> BookLibraryGrpc.newBlockingStub(channel).createBook(supportBook("9.9.9")), Status.Code.UNAUTHENTICATED);
    assertThat(create.getStatus().getDescription()).startsWith(messageStart);
    return e;
  }

  static ByteArrayOutputStream captureLog(Runnable work) {
    PrintStream original = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      work.run();
    } finally {
      System.setErr(original);
    }
    return log;
  }
}
