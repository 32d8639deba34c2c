package io.voyager.bdk.extauthz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.extauthz.ratelimit.RateLimiter;
import io.voyager.bdk.extauthz.replay.ReplayDigest;
import io.voyager.bdk.extauthz.replay.ReplayStore;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.SigningInput;
import io.voyager.bdk.extauthz.wake.WakeGate;
import io.voyager.bdk.model.BookWake;
import io.voyager.bdk.model.WebhookAuthContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The wake path through the Authorization API, on the fabric8 mock API server (CRUD): a webhook for
 * a sleeping book writes the wake-up call on its Lease and is held, without a gRPC thread, until the
 * Lease says ready (then allowed) or the hold times out (503 with Retry-After, not recorded as
 * delivered, so the sender's retry is accepted); forged webhooks wake nothing; an awake book's
 * webhooks pass at once and record activity at most once per interval.
 */
@EnableKubernetesMockClient(crud = true)
class WakeHoldTest {
  static final String NS = "customer-a";
  static final String LEASE = "books-wake";
  static final String SECRET = "wake-secret-value-1234567890";

  KubernetesClient client;
  TestTime time;
  PrometheusMeterRegistry registry;
  ExtAuthzServer extAuthz;
  Server server;
  ManagedChannel channel;
  AuthorizationGrpc.AuthorizationStub async;

  void start(Duration hold) throws Exception {
    client.secrets().inNamespace(NS).resource(new SecretBuilder()
        .withNewMetadata().withNamespace(NS).withName("books-credentials").endMetadata()
        .addToData("secret", Base64.getEncoder().encodeToString(SECRET.getBytes(StandardCharsets.UTF_8))).build()).create();
    time = new TestTime(Instant.now());
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    extAuthz = new ExtAuthzServer(client, CheckDefaults.standard(), ExtAuthzServer.Limits.standard()
        .withWake(new WakeGate.Settings(hold, Duration.ZERO, Duration.ofSeconds(5), 100, 1000)), registry, time, time);
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(extAuthz.service()).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    async = AuthorizationGrpc.newStub(channel);
  }

  @AfterEach
  void stop() {
    if (extAuthz != null) {
      channel.shutdownNow();
      server.shutdownNow();
      extAuthz.close();
    }
  }

  void lease(boolean ready) {
    Lease lease = new LeaseBuilder().withNewMetadata().withNamespace(NS).withName(LEASE)
        .addToLabels(BookWake.LEASE_LABEL, "true").addToAnnotations(BookWake.READY, Boolean.toString(ready)).endMetadata().build();
    if (client.leases().inNamespace(NS).withName(LEASE).get() == null) {
      client.leases().inNamespace(NS).resource(lease).create();
    } else {
      // As the controller writes it (a replace); the fabric8 mock emits no watch event for a JSON Patch.
      client.leases().inNamespace(NS).withName(LEASE).patch(PatchContext.of(PatchType.JSON_MERGE),
          "{\"metadata\":{\"annotations\":{\"" + BookWake.READY + "\":\"" + ready + "\"}}}");
    }
  }

  String lastWebhook() {
    Lease lease = client.leases().inNamespace(NS).withName(LEASE).get();
    return lease.getMetadata().getAnnotations() == null ? null : lease.getMetadata().getAnnotations().get(BookWake.LAST_WEBHOOK);
  }

  CheckRequest request(String id, String secret) {
    byte[] body = ("{\"ticket\":{\"id\":\"" + id + "\"}}").getBytes(StandardCharsets.UTF_8);
    List<Header> headers = Schemes.byName("zendesk", Map.of()).sign(new SigningInput(body, secret, time.instant(), id));
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
        .setMethod("POST").setPath("/api/v1/webhooks/zendesk/k").setRawBody(ByteString.copyFrom(body));
    headers.forEach(h -> http.putHeaders(h.name().toLowerCase(), h.value()));
    Map<String, String> context = new HashMap<>(Map.of(
        WebhookAuthContext.SCHEME, "zendesk",
        WebhookAuthContext.SECRET_NAMESPACE, NS,
        WebhookAuthContext.SECRET_NAME, "books-credentials",
        WebhookAuthContext.SECRET_KEY, "secret",
        WebhookAuthContext.ENDPOINT_KEY, "customer-a.books.zendesk",
        WebhookAuthContext.WAKE_LEASE, NS + "/" + LEASE));
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(http)).putAllContextExtensions(context)).build();
  }

  CompletableFuture<CheckResponse> check(CheckRequest request) {
    CompletableFuture<CheckResponse> answer = new CompletableFuture<>();
    async.check(request, new StreamObserver<>() {
      @Override
      public void onNext(CheckResponse value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    return answer;
  }

  @Test
  void aWebhookForASleepingBookAsksItToWakeAndIsHeldUntilItIsReady() throws Exception {
    lease(false);
    start(Duration.ofSeconds(60));

    CompletableFuture<CheckResponse> held = check(request("d1", SECRET));
    await().atMost(Duration.ofSeconds(30)).until(() -> lastWebhook() != null);
    assertThat(held).isNotDone();
    assertThat(extAuthzHeld()).isEqualTo(1);

    lease(true); // the controller: the book has a ready replica
    CheckResponse answer = held.get(30, TimeUnit.SECONDS);
    assertThat(answer.getStatus().getCode()).isZero();
    assertThat(answer.hasOkResponse()).isTrue();
  }

  @Test
  void aBookThatDoesNotWakeInTimeGets503WithRetryAfter_andTheRetryIsNoReplay() throws Exception {
    lease(false);
    start(Duration.ofMillis(300));
    CheckRequest delivery = request("d2", SECRET);
    CheckResponse waking = check(delivery).get(30, TimeUnit.SECONDS);
    assertThat(waking.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(503);
    assertThat(waking.getDeniedResponse().getHeadersList()).anySatisfy(h -> {
      assertThat(h.getHeader().getKey()).isEqualTo("retry-after");
      assertThat(h.getHeader().getValue()).isEqualTo("10");
    });
    assertThat(waking.getDeniedResponse().getBody()).contains("\"reason\":\"book_waking\"")
        .contains("the book is starting after being idle; retry after 10 s");

    lease(true);
    await().atMost(Duration.ofSeconds(30)).until(() -> check(delivery).get(30, TimeUnit.SECONDS).hasOkResponse());
  }

  @Test
  void aWebhookAnswered503WhileTheBookWakesGivesItsTokenBack() throws Exception {
    lease(false);
    start(Duration.ofMillis(300));
    // one token and (with the test clock standing still) no refill: a token not given back is gone
    CheckRequest.Builder oneToken = request("d6", SECRET).toBuilder();
    oneToken.getAttributesBuilder().putContextExtensions(WebhookAuthContext.RATE_PER_SECOND, "0.01")
        .putContextExtensions(WebhookAuthContext.BURST, "1");
    CheckRequest delivery = oneToken.build();
    assertThat(check(delivery).get(30, TimeUnit.SECONDS).getDeniedResponse().getStatus().getCodeValue()).isEqualTo(503);

    lease(true);
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      CheckResponse retry = check(delivery).get(30, TimeUnit.SECONDS);
      assertThat(retry.getDeniedResponse().getStatus().getCodeValue()).as("the retry is not rate limited").isNotEqualTo(429);
      return retry.hasOkResponse();
    });
  }

  @Test
  void aForgedWebhookWakesNothing() throws Exception {
    lease(false);
    start(Duration.ofMillis(300));
    CheckResponse forged = check(request("d3", "not-the-secret")).get(30, TimeUnit.SECONDS);
    assertThat(forged.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
    assertThat(lastWebhook()).isNull();
  }

  @Test
  void aReplayForASleepingBookIsRefusedAtOnceAndIsNeverHeld() throws Exception {
    lease(true);
    start(Duration.ofSeconds(60));
    CheckRequest delivery = request("d4", SECRET);
    assertThat(check(delivery).get(30, TimeUnit.SECONDS).hasOkResponse()).isTrue();
    lease(false);
    // new deliveries until one is held (the gate saw the book asleep): the book is asked to wake
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      CompletableFuture<CheckResponse> next = check(request("d5-" + System.nanoTime(), SECRET));
      await().atMost(Duration.ofSeconds(30)).until(() -> next.isDone() || extAuthzHeld() == 1);
      return !next.isDone();
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> writes("wake") == 1.0);
    double wakes = writes("wake");

    CheckResponse replay = check(delivery).get(30, TimeUnit.SECONDS);

    assertThat(replay.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(409);
    assertThat(extAuthzHeld()).as("only the new delivery is held").isEqualTo(1);
    assertThat(writes("wake")).isEqualTo(wakes);
  }

  @Test
  void anAwakeBooksWebhooksPassAtOnce_andRecordActivityAtMostOncePerInterval() throws Exception {
    lease(true);
    start(Duration.ofSeconds(60));
    assertThat(check(request("warm", SECRET)).get(30, TimeUnit.SECONDS).hasOkResponse()).isTrue();
    await().atMost(Duration.ofSeconds(30)).until(() -> lastWebhook() != null);
    String first = lastWebhook();
    time.advance(Duration.ofSeconds(10));
    assertThat(check(request("a2", SECRET)).get(30, TimeUnit.SECONDS).hasOkResponse()).isTrue();
    time.advance(Duration.ofSeconds(10));
    assertThat(check(request("a3", SECRET)).get(30, TimeUnit.SECONDS).hasOkResponse()).isTrue();
    assertThat(writes("activity")).isEqualTo(1.0);
    assertThat(lastWebhook()).isEqualTo(first);

    time.advance(BookWake.ACTIVITY_WRITE_INTERVAL);
    assertThat(check(request("a4", SECRET)).get(30, TimeUnit.SECONDS).hasOkResponse()).isTrue();
    await().atMost(Duration.ofSeconds(30)).until(() -> writes("activity") == 2.0);
  }

  /**
   * A replay store that throws instead of returning a failed future, on the wake path (the replay
   * pre-read): the webhook is still answered — a 500 internal_error, fail closed — and its slot of
   * the checks in flight is freed, as on the other paths (one slot: the next check is answered too).
   */
  @Test
  void aReplayPreReadThatThrowsIsAnsweredAsAnInternalErrorAndFreesItsSlot() throws Exception {
    lease(false);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    time = new TestTime(Instant.now());
    ReplayStore throwing = new ReplayStore() {
      @Override
      public boolean seen(String endpointKey, List<String> replayKeys) {
        throw new IllegalStateException("replay store broken");
      }

      @Override
      public CompletableFuture<Boolean> seenAsync(String endpointKey, List<String> replayKeys) {
        throw new IllegalStateException("replay store broken");
      }

      @Override
      public boolean firstDelivery(String endpointKey, List<String> replayKeys, Duration window) {
        return true;
      }

      @Override
      public int release(String endpointKey, List<ReplayDigest> digests) {
        return 0;
      }
    };
    WebhookCheck webhookCheck = new WebhookCheck(ref -> List.of(SECRET), throwing, new RateLimiter(100, time), CheckDefaults.standard(), time);
    try (WakeGate gate = new WakeGate(client, new WakeGate.Settings(Duration.ofSeconds(60), Duration.ZERO, Duration.ofSeconds(5), 100, 1000),
        registry, time, time)) {
      String name = InProcessServerBuilder.generateName();
      Server own = InProcessServerBuilder.forName(name).directExecutor()
          .addService(new AuthorizationService(webhookCheck, new CheckMetrics(registry), Runnable::run, gate, 1)).build().start();
      ManagedChannel ownChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
      try {
        AuthorizationGrpc.AuthorizationBlockingStub stub = AuthorizationGrpc.newBlockingStub(ownChannel);
        for (String id : List.of("e1", "e2")) {
          CheckResponse answer = stub.check(request(id, SECRET));
          assertThat(answer.getDeniedResponse().getStatus().getCodeValue()).as(id).isEqualTo(500);
          assertThat(answer.getDeniedResponse().getBody()).as(id).contains("\"reason\":\"internal_error\"");
        }
        assertThat(lastWebhook()).as("nothing woke the book").isNull();
      } finally {
        ownChannel.shutdownNow();
        own.shutdownNow();
      }
    }
  }

  private double writes(String kind) {
    var counter = registry.find("bdk.extauthz.wake.lease.writes").tags("kind", kind, "result", "written").counter();
    return counter == null ? 0 : counter.count();
  }

  private double extAuthzHeld() {
    return registry.get("bdk.extauthz.wake.held").gauge().value();
  }
}
