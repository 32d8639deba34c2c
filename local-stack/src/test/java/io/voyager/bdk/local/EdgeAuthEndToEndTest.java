package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.library.v1.Book;
import io.voyager.bdk.library.v1.BookLibraryGrpc;
import io.voyager.bdk.library.v1.ListBooksRequest;
import io.voyager.bdk.library.v1.ListBooksResponse;
import io.voyager.bdk.model.BdkRoles;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.SampleBook;
import io.voyager.bdk.support.auth.DevIssuer;
import io.voyager.bdk.support.tls.TlsFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Identity at the edge, through a real Envoy programmed by the xds-server: every library request,
 * REST and gRPC, must carry a bearer JWT of the stack's own issuer that Envoy's jwt_authn verifies
 * against the JWKS the xds-server read from ConfigMap {@code bdk/bdk-jwks}. Each refusal is a 401
 * with a {@code WWW-Authenticate: Bearer} challenge and a JSON {@code google.rpc.Status} (code 16),
 * or {@code UNAUTHENTICATED} for gRPC, and the library-service is never called (its own gRPC
 * server metrics do not move). Webhooks need no token. A key rotation in the ConfigMap takes effect
 * without restarting anything; a missing or broken JWKS fails closed.
 *
 * <p>These tests are about the edge only: the library's own checks (its token verification, roles,
 * organizations) are not assumed.
 */
class EdgeAuthEndToEndTest {
  static final Duration CONVERGE = Duration.ofSeconds(30);
  static final String LIBRARY_SERVICE = "bdk.library.v1.BookLibrary";

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient anonymous;
  static SampleBook webhookBackend;

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-edge-auth")
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .start();
    anonymous = GatewayClient.anonymous(stack);
    // The first snapshot may predate the ConfigMap watch's first event: wait for the keys.
    await("library routes verify tokens").atMost(CONVERGE)
        .until(() -> api(StackTokens.platformAdmin(stack)).get("/api/v1/books").status() == 200);
  }

  @AfterAll
  static void stopStack() {
    if (webhookBackend != null) {
      webhookBackend.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  static GatewayClient api(String token) {
    return anonymous.withToken(token);
  }

  // ---- refusals ----

  @Test
  void noTokenIs401WithABearerChallengeAndAJsonStatusAndTheLibraryIsNeverCalled() throws Exception {
    double before = libraryCalls();

    for (Answer answer : List.of(
        anonymous.get("/api/v1/books"),
        anonymous.postJson("/api/v1/books", Map.of("name", "anonymous", "version", "1.0.0")),
        anonymous.get("/api/v1/books/" + UUID.randomUUID() + "/instances"),
        anonymous.delete("/api/v1/books/" + UUID.randomUUID()),
        anonymous.get("/api/v1/books", Map.of("authorization", "Basic dXNlcjpwYXNz")),
        anonymous.get("/api/v1/books?access_token=" + StackTokens.platformAdmin(stack)))) {
      assertThat(answer.status()).as(answer.body()).isEqualTo(401);
      assertThat(answer.header("www-authenticate")).contains("Bearer realm=\"bdk\"");
      assertThat(answer.isJson()).as(answer.contentType()).isTrue();
      assertThat(answer.json().path("code").asInt()).isEqualTo(16); // UNAUTHENTICATED
      assertThat(answer.json().path("message").asText()).isEqualTo("Jwt is missing");
    }
    assertThat(libraryCalls()).as("the library-service was never called").isEqualTo(before);
  }

  @Test
  void everyBadTokenIs401NamingWhyAndTheLibraryIsNeverCalled() throws Exception {
    Instant now = Instant.now();
    DevIssuer issuer = stack.issuer();
    JWTClaimsSet valid = issuer.claims(request(now, Duration.ofHours(1)));
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("expired", issuer.sign(claims(valid).issueTime(date(now.minusSeconds(7200)))
        .notBeforeTime(date(now.minusSeconds(7200))).expirationTime(date(now.minusSeconds(3600))).build(), DevIssuer.Algorithm.RS256));
    cases.put("not yet valid", issuer.sign(claims(valid).notBeforeTime(date(now.plusSeconds(3600)))
        .expirationTime(date(now.plusSeconds(7200))).build(), DevIssuer.Algorithm.RS256));
    cases.put("another issuer", issuer.sign(claims(valid).issuer("https://evil.example.com/").build(), DevIssuer.Algorithm.RS256));
    cases.put("another audience", issuer.sign(claims(valid).audience("another-api").build(), DevIssuer.Algorithm.ES256));
    cases.put("no expiry", issuer.sign(claims(valid).expirationTime(null).build(), DevIssuer.Algorithm.RS256));
    cases.put("bad signature", forgedWithOurKid(valid));
    cases.put("alg none, no signature", new PlainJWT(valid).serialize());
    cases.put("alg none, a signature", base64Json("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
        + valid.toPayload().toBase64URL() + "." + Base64URL.encode("signature"));
    cases.put("HS256 signed with the public key", hs256WithThePublicKey(valid));
    cases.put("not a JWT", "not-a-jwt");
    cases.put("too large", issuer.sign(claims(valid).claim("pad", "x".repeat(10_000)).build(), DevIssuer.Algorithm.RS256));
    Map<String, String> why = Map.ofEntries(
        Map.entry("expired", "Jwt is expired"),
        Map.entry("not yet valid", "Jwt not yet valid"),
        Map.entry("another issuer", "Jwt issuer is not configured"),
        Map.entry("another audience", "Audiences in Jwt are not allowed"),
        Map.entry("bad signature", "Jwt verification fails"),
        Map.entry("no expiry", "Jwt verification fails"), // Envoy's wording for require_expiration
        Map.entry("HS256 signed with the public key", "Jwks doesn't have key to match kid or alg from Jwt"),
        Map.entry("too large", "Jwt is too large: at most 8192 bytes are accepted"));
    double before = libraryCalls();

    for (Map.Entry<String, String> bad : cases.entrySet()) {
      Answer answer = api(bad.getValue()).get("/api/v1/books");
      assertThat(answer.status()).as(bad.getKey() + ": " + answer.body()).isEqualTo(401);
      assertThat(answer.header("www-authenticate")).as(bad.getKey())
          .contains("Bearer realm=\"bdk\", error=\"invalid_token\"");
      assertThat(answer.json().path("code").asInt()).as(bad.getKey()).isEqualTo(16);
      assertThat(answer.json().path("message").asText()).as(bad.getKey()).isNotBlank().doesNotContain(bad.getValue());
      if (why.containsKey(bad.getKey())) {
        assertThat(answer.json().path("message").asText()).as(bad.getKey()).isEqualTo(why.get(bad.getKey()));
      }
    }
    assertThat(libraryCalls()).as("the library-service was never called").isEqualTo(before);
  }

  /**
   * Over Envoy's 60 KiB request-header limit the HTTP codec refuses the request (431) before any
   * filter runs; between the token cap (8 KiB) and that limit the Lua guard answers 401.
   */
  @Test
  void aHugeTokenIsRefusedByTheHttpCodecWith431() throws Exception {
    String huge = stack.issuer().sign(claims(stack.issuer().claims(request(Instant.now(), Duration.ofHours(1))))
        .claim("pad", "x".repeat(100_000)).build(), DevIssuer.Algorithm.RS256);
    double before = libraryCalls();

    Answer answer = api(huge).get("/api/v1/books");

    assertThat(answer.status()).isEqualTo(431);
    assertThat(libraryCalls()).isEqualTo(before);
  }

  // ---- accepted ----

  @Test
  void validRs256AndEs256TokensOfTheLocalIssuerReachTheLibrary() throws Exception {
    for (DevIssuer.Algorithm alg : DevIssuer.Algorithm.values()) {
      GatewayClient caller = api(StackTokens.token(stack, alg, null, BdkRoles.PLATFORM_ADMIN));
      double before = libraryCalls();

      Answer created = caller.postJson("/api/v1/books", Map.of("name", "edge-" + alg.name().toLowerCase() + "-"
          + UUID.randomUUID().toString().substring(0, 8), "version", "1.0.0"));
      assertThat(created.status()).as(alg + ": " + created.body()).isEqualTo(201);
      Answer read = caller.get("/api/v1/books/" + created.json().path("book_id").asText());
      assertThat(read.status()).as(alg + ": " + read.body()).isEqualTo(200);
      assertThat(read.header("www-authenticate")).isEmpty();
      assertThat(libraryCalls()).isEqualTo(before + 2);
    }
  }

  @Test
  void unknownApiPathsAnd404sNeedNoToken() {
    Answer answer = anonymous.get("/api/v1/no-such-thing");
    assertThat(answer.status()).isEqualTo(404);
    assertThat(answer.json().path("code").asInt()).isEqualTo(5);
  }

  // ---- gRPC through Envoy ----

  @Test
  void grpcThroughEnvoyWithoutAValidTokenIsUnauthenticatedAndWithOneReachesTheLibrary() throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forAddress(LocalStack.LOCALHOST, stack.ports().envoyListener())
        .usePlaintext().build();
    try {
      double before = libraryCalls();
      StatusRuntimeException missing = catchThrowableOfType(StatusRuntimeException.class,
          () -> BookLibraryGrpc.newBlockingStub(channel).listBooks(ListBooksRequest.getDefaultInstance()));
      assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(missing.getStatus().getDescription()).isEqualTo("Jwt is missing");
      String foreignAudience = stack.issuer().sign(claims(stack.issuer().claims(request(Instant.now(), Duration.ofHours(1))))
          .audience("another-api").build(), DevIssuer.Algorithm.RS256);
      StatusRuntimeException wrongAudience = catchThrowableOfType(StatusRuntimeException.class,
          () -> withToken(channel, foreignAudience).listBooks(ListBooksRequest.getDefaultInstance()));
      assertThat(wrongAudience.getStatus().getCode()).as("not PERMISSION_DENIED: the token is not ours")
          .isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(libraryCalls()).isEqualTo(before);

      ListBooksResponse books = withToken(channel, StackTokens.platformAdmin(stack)).listBooks(ListBooksRequest.getDefaultInstance());
      assertThat(books).isNotNull();
      assertThat(libraryCalls()).isEqualTo(before + 1);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  // ---- webhooks are untouched ----

  @Test
  void webhooksStillWorkWithoutAnyToken() throws Exception {
    webhookBackend = SampleBook.start(0, "edge-auth-webhooks");
    WebhookBooks books = new WebhookBooks(stack);
    WebhookBooks.Integration github = new WebhookBooks.Integration("github", "github", "edge-hooks-credentials",
        new RateLimit(100.0, 100), null);
    String namespace = LocalStack.SEED_CUSTOMER_NAMESPACES.get(0);
    String secret = "edge-" + UUID.randomUUID();
    books.putSecret(namespace, github.secretName(), List.of(secret));
    books.create(namespace, "edge-hooks", "orders", webhookBackend.port(), List.of(github));
    String path = WebhookRoutes.publicPath(namespace, "edge-hooks", "github");
    await("webhook route live").atMost(CONVERGE).until(() -> anonymous.post(path, "{}").status() == 401);

    Answer unsigned = anonymous.post(path, "{}");
    assertThat(unsigned.header("www-authenticate")).as("a signature refusal, not a token challenge").isEmpty();
    assertThat(unsigned.json().path("reason").asText()).isNotBlank();
    String body = "{\"action\":\"opened\"}";
    Answer signed = anonymous.post(path, body, WebhookBooks.sign(github, secret, body, UUID.randomUUID().toString()));
    assertThat(signed.status()).as(signed.body()).isEqualTo(200);
  }

  // ---- edge hygiene ----

  /**
   * Client-sent {@code x-bdk-*} headers (any identity or claims header a client might forge) never
   * reach the library: a recording BookLibrary takes the library Service's endpoint for this test
   * (serving the library's certificate: Envoy speaks mutual TLS to it) and records the metadata of
 * every call Envoy forwards. The bearer token arrives exactly as sent.
   */
  @Test
  void aClientSentCopyOfAnyIdentityOrClaimsHeaderNeverReachesTheLibraryAndChangesNothing() throws Exception {
    ConcurrentLinkedQueue<Metadata> seen = new ConcurrentLinkedQueue<>();
    // Envoy reaches the library with mutual TLS: the recorder serves the library's own certificate.
    TlsFiles library = stack.tls().server(Component.LIBRARY);
    Server recorder = io.grpc.Grpc.newServerBuilderForPort(0, io.grpc.TlsServerCredentials.newBuilder()
            .keyManager(library.certificate().toFile(), library.privateKey().toFile())
            .trustManager(library.trustedCa().toFile())
            .clientAuth(io.grpc.TlsServerCredentials.ClientAuth.REQUIRE)
            .build())
        .addService(ServerInterceptors.intercept(new RecordingLibrary(), new ServerInterceptor() {
          @Override
          public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            seen.add(headers);
            return next.startCall(call, headers);
          }
        }))
        .build().start();
    String token = StackTokens.token(stack, "acme", BdkRoles.ORG_VIEWER);
    Map<String, String> forged = Map.of(
        "x-bdk-organization", "globex",
        "X-BDK-Org", "globex",
        "x-bdk-roles", "platform-admin",
        "x-bdk-subject", "root",
        "x-bdk-claims", "{\"org\":\"globex\",\"roles\":[\"platform-admin\"]}",
        "x-bdk-http-status", "200");
    try {
      moveLibraryTo(recorder.getPort());
      await("the recorder serves the library route").atMost(CONVERGE).until(() -> {
        Answer probe = api(token).get("/api/v1/books");
        return probe.status() == 200 && probe.body().contains("recorded");
      });
      seen.clear();

      Answer plain = api(token).get("/api/v1/books");
      Answer withForgedHeaders = api(token).get("/api/v1/books", forged);
      Answer forgedWithoutToken = anonymous.get("/api/v1/books", forged);

      assertThat(withForgedHeaders.status()).isEqualTo(plain.status()).isEqualTo(200);
      assertThat(withForgedHeaders.body()).isEqualTo(plain.body());
      assertThat(forgedWithoutToken.status()).as("a forged header is no credential").isEqualTo(401);
      ManagedChannel channel = ManagedChannelBuilder.forAddress(LocalStack.LOCALHOST, stack.ports().envoyListener())
          .usePlaintext().build();
      try {
        Metadata grpcForged = new Metadata();
        forged.forEach((name, value) -> grpcForged.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value));
        withToken(channel, token).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(grpcForged))
            .listBooks(ListBooksRequest.getDefaultInstance());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }

      assertThat(seen).as("REST plain, REST forged, gRPC forged").hasSize(3);
      for (Metadata headers : seen) {
        assertThat(headers.keys()).noneMatch(k -> k.toLowerCase().startsWith("x-bdk-"));
        assertThat(headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER)))
            .isEqualTo("Bearer " + token);
      }
    } finally {
      moveLibraryTo(stack.ports().libraryGrpc());
      recorder.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      await("the library serves again").atMost(CONVERGE).until(() -> {
        Answer probe = api(token).get("/api/v1/books");
        return probe.status() == 200 && !probe.body().contains("recorded");
      });
    }
  }

  // ---- keys ----

  @Test
  void aKeyRotationInTheJwksConfigMapTakesEffectWithoutARestartAndAMissingOrBrokenJwksFailsClosed() throws Exception {
    DevIssuer original = stack.issuer();
    DevIssuer rotated = DevIssuer.generate(original.issuer(), original.audience());
    String oldToken = StackTokens.platformAdmin(stack);
    String newToken = rotated.mint(request(Instant.now(), Duration.ofHours(1)), DevIssuer.Algorithm.ES256);
    long envoyPid = stack.envoy().pid();
    long listenerUpdates = stack.envoy().admin().statOrZero("listener_manager.lds.update_success");
    assertThat(api(newToken).get("/api/v1/books").status()).isEqualTo(401);
    try {
      publishJwks(rotated.publicJwks());
      await("rotated keys in force").atMost(CONVERGE).until(() -> api(newToken).get("/api/v1/books").status() == 200);
      assertThat(api(oldToken).get("/api/v1/books").status()).as("the retired key no longer works").isEqualTo(401);
      assertThat(stack.envoy().pid()).as("same Envoy process").isEqualTo(envoyPid);
      assertThat(stack.envoy().admin().statOrZero("listener_manager.lds.update_success")).isGreaterThan(listenerUpdates);
      assertThat(xdsJwksKeys()).isEqualTo(2);

      publishJwks("{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA\"}]}");
      await("broken JWKS fails closed").atMost(CONVERGE).until(() -> api(newToken).get("/api/v1/books").status() == 401);
      double before = libraryCalls();
      Answer refused = api(newToken).get("/api/v1/books");
      assertThat(refused.json().path("code").asInt()).isEqualTo(16);
      assertThat(refused.json().path("message").asText()).contains("no usable signing keys");
      assertThat(refused.header("www-authenticate")).contains("Bearer realm=\"bdk\"");
      assertThat(xdsJwksKeys()).isZero();

      stack.kubernetes().configMaps().inNamespace("bdk").withName("bdk-jwks").delete();
      await("deleted JWKS fails closed").atMost(CONVERGE).until(() -> api(oldToken).get("/api/v1/books").body()
          .contains("no usable signing keys"));
      assertThat(api(newToken).get("/api/v1/books").status()).isEqualTo(401);
      ManagedChannel channel = ManagedChannelBuilder.forAddress(LocalStack.LOCALHOST, stack.ports().envoyListener())
          .usePlaintext().build();
      try {
        StatusRuntimeException grpc = catchThrowableOfType(StatusRuntimeException.class,
            () -> withToken(channel, newToken).listBooks(ListBooksRequest.getDefaultInstance()));
        assertThat(grpc.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      assertThat(libraryCalls()).as("nothing forwarded while the keys are unusable").isEqualTo(before);
    } finally {
      publishJwks(original.publicJwks());
      await("original keys back").atMost(CONVERGE).until(() -> api(oldToken).get("/api/v1/books").status() == 200);
    }
  }

  // ---- fixtures ----

  static DevIssuer.TokenRequest request(Instant now, Duration ttl) {
    return new DevIssuer.TokenRequest("edge-test", "acme", List.of(BdkRoles.PLATFORM_ADMIN.claimValue()), ttl, now);
  }

  static JWTClaimsSet.Builder claims(JWTClaimsSet base) {
    return new JWTClaimsSet.Builder(base);
  }

  static Date date(Instant instant) {
    return Date.from(instant);
  }

  static String base64Json(String json) {
    return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** Valid claims signed by a key that is not ours, under our RS256 key's kid. */
  static String forgedWithOurKid(JWTClaimsSet claims) throws Exception {
    RSAKey attacker = new RSAKeyGenerator(2048).generate();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256)
        .keyID(stack.issuer().keyId(DevIssuer.Algorithm.RS256)).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(new RSASSASigner(attacker));
    return jwt.serialize();
  }

  /** The algorithm-confusion attack: HS256 with the published RSA public key (its X.509 DER) as the secret. */
  static String hs256WithThePublicKey(JWTClaimsSet claims) throws Exception {
    RSAKey published = (RSAKey) JWKSet.parse(stack.issuer().publicJwks())
        .getKeyByKeyId(stack.issuer().keyId(DevIssuer.Algorithm.RS256));
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
        .keyID(published.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(new MACSigner(published.toRSAPublicKey().getEncoded()));
    return jwt.serialize();
  }

  static BookLibraryGrpc.BookLibraryBlockingStub withToken(io.grpc.Channel channel, String token) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    ClientInterceptor attach = MetadataUtils.newAttachHeadersInterceptor(headers);
    return BookLibraryGrpc.newBlockingStub(ClientInterceptors.intercept(channel, attach));
  }

  static void publishJwks(String jwks) {
    ConfigMap map = stack.kubernetes().configMaps().inNamespace("bdk").withName("bdk-jwks").get();
    if (map == null) {
      stack.kubernetes().resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
          .withNewMetadata().withNamespace("bdk").withName("bdk-jwks").endMetadata()
          .withData(Map.of("jwks.json", jwks)).build()).create();
    } else {
      map.setData(Map.of("jwks.json", jwks));
      stack.kubernetes().resource(map).update();
    }
  }

  /** Points the library Service's EndpointSlice at {@code port} (the xds-server pushes it by EDS). */
  static void moveLibraryTo(int port) {
    stack.endpoints().publish("bdk", LocalStack.LIBRARY_SERVICE, LocalStack.GRPC_PORT_NAME, LocalStack.LOCALHOST, port);
  }

  /** BookLibrary calls the library-service has handled, from its gRPC server metrics. */
  static double libraryCalls() throws Exception {
    return metric("http://" + LocalStack.LOCALHOST + ":" + stack.ports().libraryAdmin() + "/metrics",
        "grpc_server_processing_duration_seconds_count", "service=\"" + LIBRARY_SERVICE + "\"");
  }

  static double xdsJwksKeys() throws Exception {
    return metric("http://" + LocalStack.LOCALHOST + ":" + stack.ports().xdsAdmin() + "/metrics", "bdk_xds_jwks_keys", "");
  }

  /** The sum of the samples of {@code name} whose labels contain {@code labelFilter}. */
  static double metric(String url, String name, String labelFilter) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body().lines()
        .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
        .filter(l -> l.contains(labelFilter))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** A BookLibrary that answers ListBooks with one book named "recorded" (and nothing else). */
  static final class RecordingLibrary extends BookLibraryGrpc.BookLibraryImplBase {
    @Override
    public void listBooks(ListBooksRequest request, StreamObserver<ListBooksResponse> response) {
      response.onNext(ListBooksResponse.newBuilder().addBooks(Book.newBuilder().setBookId("recorded").setName("recorded")).build());
      response.onCompleted();
    }
  }
}
