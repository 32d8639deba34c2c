package io.voyager.bdk.extauthz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.extauthz.ratelimit.RateLimiter;
import io.voyager.bdk.extauthz.replay.BoundedReplayStore;
import io.voyager.bdk.extauthz.replay.ReplayDigest;
import io.voyager.bdk.extauthz.replay.ReplayStore;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.extauthz.secrets.KubernetesSecretSource;
import io.voyager.bdk.extauthz.secrets.SecretSource;
import io.voyager.bdk.model.WebhookAuthContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Authorization gRPC API end to end in-process: Secrets in the fabric8 mock API server (CRUD),
 * CheckRequests as Envoy sends them (raw_body, context_extensions), responses as Envoy reads them.
 */
@EnableKubernetesMockClient(crud = true)
class CheckApiTest {
  static final String OLD = "old-secret-value-1234567890";
  static final String NEW = "new-secret-value-0987654321";
  static final byte[] BODY = "{\"ticket\":{\"id\":7}}".getBytes(StandardCharsets.UTF_8);

  KubernetesClient client;
  TestTime time;
  PrometheusMeterRegistry registry;
  ExtAuthzServer extAuthz;
  Server server;
  ManagedChannel channel;
  AuthorizationGrpc.AuthorizationBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    putSecret(OLD);
    time = new TestTime(Instant.now());
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    extAuthz = new ExtAuthzServer(client, CheckDefaults.standard(), ExtAuthzServer.Limits.standard(), registry, time, time);
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(extAuthz.service()).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = AuthorizationGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
    extAuthz.close();
  }

  void putSecret(String value) {
    client.secrets().inNamespace("customer-a").resource(new SecretBuilder()
        .withNewMetadata().withNamespace("customer-a").withName("books-credentials").endMetadata()
        .addToData("secret", Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)))
        .build()).createOr(existing -> existing.update());
  }

  static Map<String, String> context() {
    return Map.of(
        WebhookAuthContext.SCHEME, "zendesk",
        WebhookAuthContext.SECRET_NAMESPACE, "customer-a",
        WebhookAuthContext.SECRET_NAME, "books-credentials",
        WebhookAuthContext.SECRET_KEY, "secret",
        WebhookAuthContext.ENDPOINT_KEY, "customer-a.books.zendesk",
        WebhookAuthContext.INSTANCE, "customer-a/books",
        WebhookAuthContext.INTEGRATION, "zendesk",
        WebhookAuthContext.ROUTED_TO, "customer-a/books",
        WebhookAuthContext.BURST, "3",
        WebhookAuthContext.RATE_PER_SECOND, "1");
  }

  /** Zendesk's replay key is its signature (the invocation id is unsigned): each event gets its own body. */
  static byte[] bodyFor(String id) {
    return ("{\"ticket\":{\"id\":\"" + id + "\"}}").getBytes(StandardCharsets.UTF_8);
  }

  CheckRequest request(String secret, String id) {
    return request(secret, id, bodyFor(id));
  }

  CheckRequest request(String secret, String id, byte[] body) {
    List<Header> headers = Schemes.byName("zendesk", Map.of()).sign(new SigningInput(bodyFor(id), secret, time.instant(), id));
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
        .setMethod("POST").setPath("/api/v1/webhooks/zendesk/customer-a.books.zendesk")
        .setRawBody(ByteString.copyFrom(body))
        .putHeaders("content-type", "application/json");
    headers.forEach(h -> http.putHeaders(h.name().toLowerCase(), h.value()));
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(http))
        .putAllContextExtensions(context())).build();
  }

  /**
   * {@code request} as Envoy sends it with encode_raw_headers (the gateway's setting): its headers
   * as header_map lines with raw_value bytes, the merged map empty, {@code extra} lines appended.
   */
  static CheckRequest withRawHeaders(CheckRequest request, HeaderValue... extra) {
    AttributeContext.HttpRequest http = request.getAttributes().getRequest().getHttp();
    HeaderMap.Builder lines = HeaderMap.newBuilder();
    http.getHeadersMap().forEach((name, value) ->
        lines.addHeaders(HeaderValue.newBuilder().setKey(name).setRawValue(ByteString.copyFromUtf8(value))));
    lines.addAllHeaders(List.of(extra));
    CheckRequest.Builder raw = request.toBuilder();
    raw.getAttributesBuilder().getRequestBuilder().getHttpBuilder().clearHeaders().setHeaderMap(lines);
    return raw.build();
  }

  static HeaderValue rawLine(String name, byte[] value) {
    return HeaderValue.newBuilder().setKey(name).setRawValue(ByteString.copyFrom(value)).build();
  }

  @Test
  void rawHeaderLinesAreCheckedAsTheMergedMapIs() throws Exception {
    assertThat(stub.check(withRawHeaders(request(OLD, "raw-1"))).hasOkResponse()).isTrue();
    CheckResponse tampered = stub.check(withRawHeaders(request(OLD, "raw-2", "{\"ticket\":{\"id\":8}}".getBytes(StandardCharsets.UTF_8))));
    assertThat(tampered.getDeniedResponse().getBody()).contains("\"reason\":\"signature_mismatch\"");
  }

  @Test
  void aSignatureHeaderSentTwiceOrNotUtf8IsDenied401NamingIt() throws Exception {
    CheckRequest twice = withRawHeaders(request(OLD, "raw-3"), rawLine("X-Zendesk-Webhook-Signature", "c2ln".getBytes(StandardCharsets.UTF_8)));
    JsonNode duplicate = new ObjectMapper().readTree(stub.check(twice).getDeniedResponse().getBody());
    assertThat(duplicate.get("reason").asText()).isEqualTo("duplicate_header");
    assertThat(duplicate.get("message").asText()).contains("X-Zendesk-Webhook-Signature").contains("2 times");

    CheckRequest signed = request(OLD, "raw-4");
    CheckRequest.Builder notUtf8 = withRawHeaders(signed).toBuilder();
    HeaderMap.Builder lines = notUtf8.getAttributesBuilder().getRequestBuilder().getHttpBuilder().getHeaderMapBuilder();
    for (int i = 0; i < lines.getHeadersCount(); i++) {
      if (lines.getHeaders(i).getKey().equals("x-zendesk-webhook-signature")) {
        lines.setHeaders(i, rawLine("x-zendesk-webhook-signature", new byte[] {'a', (byte) 0xff, 'b'}));
      }
    }
    CheckResponse response = stub.check(notUtf8.build());
    assertThat(response.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
    JsonNode malformed = new ObjectMapper().readTree(response.getDeniedResponse().getBody());
    assertThat(malformed.get("reason").asText()).isEqualTo("malformed_header");
    assertThat(malformed.get("message").asText()).containsIgnoringCase("X-Zendesk-Webhook-Signature").contains("not valid UTF-8");
  }

  static Map<String, String> headers(List<HeaderValueOption> options) {
    return options.stream().collect(Collectors.toMap(o -> o.getHeader().getKey(), o -> o.getHeader().getValue()));
  }

  @Test
  void validWebhookIsAllowedWithRoutingHeaders() {
    CheckResponse response = stub.check(request(OLD, "inv-1"));

    assertThat(response.getStatus().getCode()).isZero();
    assertThat(headers(response.getOkResponse().getHeadersList())).containsEntry("x-bdk-webhook-id", "inv-1")
        .containsEntry("x-bdk-routed-to", "customer-a/books").containsEntry("x-bdk-instance", "customer-a/books")
        .containsEntry("x-bdk-integration", "zendesk");
    assertThat(response.getOkResponse().getHeadersList()).allSatisfy(o -> assertThat(o.getAppend().getValue()).isFalse());
    assertThat(headers(response.getOkResponse().getResponseHeadersToAddList())).containsEntry("x-bdk-webhook-id", "inv-1");
    assertThat(registry.scrape()).contains("bdk_extauthz_checks_total{reason=\"ok\",result=\"allowed\",scheme=\"zendesk\"} 1.0")
        .contains("bdk_extauthz_check_duration_seconds_bucket");
  }

  @Test
  void tamperedBodyIsDenied401WithJsonReason() throws Exception {
    CheckResponse response = stub.check(request(OLD, "inv-2", "{\"ticket\":{\"id\":8}}".getBytes(StandardCharsets.UTF_8)));

    assertThat(response.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
    assertThat(headers(response.getDeniedResponse().getHeadersList())).containsEntry("content-type", "application/json");
    JsonNode json = new ObjectMapper().readTree(response.getDeniedResponse().getBody());
    assertThat(json.get("code").asInt()).isEqualTo(401);
    assertThat(json.get("reason").asText()).isEqualTo("signature_mismatch");
    assertThat(json.get("message").asText()).contains("X-Zendesk-Webhook-Signature");
    assertThat(registry.scrape()).contains("bdk_extauthz_checks_total{reason=\"signature_mismatch\",result=\"denied\",scheme=\"zendesk\"} 1.0");
  }

  @Test
  void replayIsDenied409() {
    CheckRequest request = request(OLD, "inv-3");
    assertThat(stub.check(request).hasOkResponse()).isTrue();
    CheckResponse replay = stub.check(request);
    assertThat(replay.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(409);
    assertThat(replay.getDeniedResponse().getBody()).contains("\"reason\":\"replay\"");
  }

  @Test
  void floodGets429WithRateLimitHeaders() {
    for (int i = 0; i < 3; i++) {
      assertThat(stub.check(request(OLD, "flood-" + i)).hasOkResponse()).isTrue();
    }
    CheckResponse limited = stub.check(request(OLD, "flood-3"));
    assertThat(limited.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(429);
    assertThat(headers(limited.getDeniedResponse().getHeadersList()))
        .containsEntry("retry-after", "1")
        .containsEntry("ratelimit-policy", "\"webhook\";q=3;w=3")
        .containsEntry("ratelimit", "\"webhook\";r=0;t=3");
  }

  @Test
  void rotatedSecretTakesEffectWithoutRestart() {
    assertThat(stub.check(request(OLD, "rot-1")).hasOkResponse()).isTrue();
    assertThat(stub.check(request(NEW, "rot-2")).getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);

    putSecret(OLD + "\n" + NEW);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(stub.check(request(NEW, "rot-3-" + System.nanoTime())).hasOkResponse()).isTrue());
    assertThat(stub.check(request(OLD, "rot-4")).hasOkResponse()).isTrue();

    putSecret(NEW);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(stub.check(request(OLD, "rot-5-" + System.nanoTime())).hasDeniedResponse()).isTrue());
  }

  @Test
  void missingSecretIsDenied503AndRecoversWhenItIsCreated() {
    client.secrets().inNamespace("customer-a").withName("books-credentials").delete();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      CheckResponse r = stub.check(request(OLD, "miss-" + System.nanoTime()));
      assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(503);
      assertThat(r.getDeniedResponse().getBody()).contains("secret_unavailable").doesNotContain("books-credentials");
    });
    putSecret(OLD);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(stub.check(request(OLD, "back-" + System.nanoTime())).hasOkResponse()).isTrue());
  }

  @Test
  void invalidContextIsDeniedNotCrashed() {
    CheckRequest invalid = request(OLD, "x").toBuilder()
        .setAttributes(request(OLD, "x").getAttributes().toBuilder().clearContextExtensions().putContextExtensions("scheme", "zendesk")).build();
    CheckResponse response = stub.check(invalid);
    assertThat(response.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(500);
    assertThat(response.getDeniedResponse().getBody()).contains("invalid_route_config").doesNotContain("context_extensions");
  }

  /**
   * No context at all: the request matched no route (the gateway's ext_authz filters are on by
   * default, and every route of ours gives them a context or skips them). Refused 404, never allowed.
   */
  @Test
  void aCheckWithoutAnyContextMatchedNoRouteAndIsDenied404() throws Exception {
    CheckRequest noContext = request(OLD, "x").toBuilder()
        .setAttributes(request(OLD, "x").getAttributes().toBuilder().clearContextExtensions()).build();
    CheckResponse response = stub.check(noContext);
    assertThat(response.hasOkResponse()).isFalse();
    assertThat(response.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(404);
    assertThat(response.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND.value());
    JsonNode json = new ObjectMapper().readTree(response.getDeniedResponse().getBody());
    assertThat(json.get("code").asInt()).as("google.rpc NOT_FOUND, like Envoy's own 404").isEqualTo(5);
    assertThat(json.get("message").asText()).isEqualTo("no route for POST /api/v1/webhooks/zendesk/customer-a.books.zendesk");
    assertThat(registry.scrape()).contains("bdk_extauthz_checks_total{reason=\"no_route\",result=\"denied\",scheme=\"unknown\"} 1.0");
  }

  @Test
  void secretsAreNeverLoggedNorReturned() {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    StringBuilder responses = new StringBuilder();
    try {
      responses.append(stub.check(request(OLD, "log-1")));
      responses.append(stub.check(request(NEW, "log-2")));
      responses.append(stub.check(request(OLD, "log-1")));
      putSecret(NEW);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(stub.check(request(NEW, "log-3-" + System.nanoTime())).hasOkResponse()).isTrue());
    } finally {
      System.setErr(original);
    }
    String logs = captured.toString(StandardCharsets.UTF_8);
    assertThat(logs).contains("event=");
    for (String secret : List.of(OLD, NEW)) {
      String b64 = Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8));
      assertThat(logs).doesNotContain(secret).doesNotContain(b64);
      assertThat(responses.toString()).doesNotContain(secret).doesNotContain(b64);
    }
  }

  /** A StreamObserver that keeps the one response. */
  static final class Answer implements io.grpc.stub.StreamObserver<CheckResponse> {
    CheckResponse response;
    boolean completed;

    @Override
    public void onNext(CheckResponse value) {
      response = value;
    }

    @Override
    public void onError(Throwable t) {
      throw new AssertionError(t);
    }

    @Override
    public void onCompleted() {
      completed = true;
    }
  }

  @Test
  void onlyACheckThatWaitsForASecretReadIsHandedToTheSecretReaders() {
    AtomicInteger handedOff = new AtomicInteger();
    try (KubernetesSecretSource secrets =
        new KubernetesSecretSource(client, 100, Duration.ofHours(1))) {
      WebhookCheck check = new WebhookCheck(secrets,
          new BoundedReplayStore(BoundedReplayStore.Budget.standard(), time),
          new RateLimiter(100, time), CheckDefaults.standard(), time);
      AuthorizationService service = new AuthorizationService(check, new CheckMetrics(registry), task -> {
        handedOff.incrementAndGet();
        task.run();
      });

      Answer first = new Answer();
      service.check(request(OLD, "off-1"), first);
      assertThat(first.response.hasOkResponse()).isTrue();
      assertThat(first.completed).isTrue();
      assertThat(handedOff).as("the Secret had to be read").hasValue(1);

      Answer second = new Answer();
      service.check(request(OLD, "off-2"), second);
      assertThat(second.response.hasOkResponse()).isTrue();
      assertThat(handedOff).as("the Secret is in memory: decided on the calling thread").hasValue(1);

      Answer noSecret = new Answer();
      Map<String, String> withoutSecret = new HashMap<>(context());
      withoutSecret.remove(WebhookAuthContext.SECRET_NAME);
      service.check(request(OLD, "off-3").toBuilder().setAttributes(request(OLD, "off-3").getAttributes().toBuilder()
          .clearContextExtensions().putAllContextExtensions(withoutSecret)).build(), noSecret);
      assertThat(noSecret.response.getDeniedResponse().getBody()).contains("invalid_route_config");
      assertThat(handedOff).as("refused without any read").hasValue(1);
    }
  }

  /**
   * A check waiting for the shared state holds no thread, and the checks in progress are bounded:
   * beyond the bound a call is refused (RESOURCE_EXHAUSTED: Envoy answers 503), and the waiting
   * check is answered from the reply's continuation.
   */
  @Test
  void checksWaitingForTheStateHoldNoThreadAndBeyondTheBoundAreRefused() throws Exception {
    putSecret(NEW);
    await().until(() -> extAuthz.service() != null);
    CompletableFuture<Boolean> reply = new CompletableFuture<>();
    ReplayStore waiting = new ReplayStore() {
      @Override
      public boolean seen(String endpointKey, List<String> replayKeys) {
        throw new AssertionError("a route whose book is not held is not pre-read");
      }

      @Override
      public boolean firstDelivery(String endpointKey, List<String> replayKeys, Duration window) {
        throw new AssertionError("the check must not block on the state");
      }

      @Override
      public CompletableFuture<Boolean> firstDeliveryAsync(String endpointKey, List<String> replayKeys, Duration window) {
        return reply.thenApply(x -> true);
      }

      @Override
      public int release(String endpointKey, List<ReplayDigest> digests) {
        return 0;
      }
    };
    SecretSource secrets = ref -> List.of(NEW);
    AuthorizationService service = new AuthorizationService(
        new WebhookCheck(secrets, waiting, new RateLimiter(100, time), CheckDefaults.standard(), time),
        new CheckMetrics(registry), Runnable::run, null, 1);
    String name = InProcessServerBuilder.generateName();
    Server bounded = InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
    ManagedChannel boundedChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      AuthorizationGrpc.AuthorizationStub async = AuthorizationGrpc.newStub(boundedChannel);
      CompletableFuture<CheckResponse> first = new CompletableFuture<>();
      async.check(request(NEW, "held-1"), new io.grpc.stub.StreamObserver<>() {
        @Override
        public void onNext(CheckResponse value) {
          first.complete(value);
        }

        @Override
        public void onError(Throwable t) {
          first.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {}
      });
      // the first check returned to the caller's thread while it waits for the state's reply
      assertThat(first).isNotDone();
      AuthorizationGrpc.AuthorizationBlockingStub blocking = AuthorizationGrpc.newBlockingStub(boundedChannel);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> blocking.check(request(NEW, "held-2")))
          .isInstanceOf(io.grpc.StatusRuntimeException.class).hasMessageContaining("RESOURCE_EXHAUSTED");

      reply.complete(true);
      assertThat(first.get(10, TimeUnit.SECONDS).getStatus().getCode()).isZero();
      // the bound is free again
      assertThat(blocking.check(request(NEW, "held-3")).getStatus().getCode()).isZero();
    } finally {
      boundedChannel.shutdownNow();
      bounded.shutdownNow();
    }
  }
}
