package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.SampleBook;
import io.voyager.bdk.xds.Main;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The held remove of {@code make bench-convergence}, made deterministic on a real Envoy (scoped
 * layout, delta xDS, on-demand webhook scopes): a webhook arrives for a book whose scope Envoy
 * holds but whose route configuration it has not loaded, so Envoy subscribes to that route
 * configuration; the subscription crosses the book's removal (a seam holds Envoy's request at the
 * xds-server until the removal has been sent). Envoy drops the scope's pending on-demand callback
 * with the scope, so unless a route configuration of that name reaches it before the scope's
 * removal, the webhook is never answered (before the fix: held until the client's timeout). The
 * xds-server now sends an empty placeholder of that route configuration before the removal: the
 * webhook is answered 404 at once. The crossed subscription is then answered with the placeholder
 * too (Envoy's RDS ignores removals). A book added again afterwards is routed.
 */
class AbsentRouteConfigurationEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  /** How long the crossing webhook may take: far above a 404's few ms, far below "held". */
  private static final Duration ANSWERED_WITHIN = Duration.ofSeconds(15);
  private static final String ACME = "customer-acme";
  private static final RateLimit GENEROUS = new RateLimit(100.0, 1000);

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static WebhookBooks books;
  static final SubscriptionHold hold = new SubscriptionHold();
  static SampleBook backend;

  @BeforeAll
  static void startStack() throws Exception {
    backend = SampleBook.start(0, "absent-route-backend");
    stack = TestStacks.scopedGateway(runDir, "e2e-absent-route-configuration", 1000)
        .starter(Component.XDS, args -> Main.start(UnaryOperator.identity(), hold, args))
        .start();
    gateway = GatewayClient.anonymous(stack);
    books = new WebhookBooks(stack);
  }

  @AfterAll
  static void stopAll() {
    hold.release();
    if (backend != null) {
      backend.close();
    }
    if (stack != null) {
      stack.close();
      stack = null;
    }
  }

  @Test
  void aWebhookWhoseRouteConfigurationSubscriptionCrossesItsBooksRemovalIsAnswered404() throws Exception {
    String name = "held-" + UUID.randomUUID().toString().substring(0, 8);
    Integration integration = new Integration("github", "github", name + "-credentials", GENEROUS, null);
    String secret = "whsec-" + UUID.randomUUID();
    String path = WebhookRoutes.publicPath(ACME, name, integration.name());
    String key = path.substring(WebhookRoutes.PREFIX.length());
    books.createWithSecret(ACME, name, name + "-type", backend.port(), integration, secret);
    await("Envoy holds the book's on-demand scope").atMost(CONVERGE).until(() -> scopes().contains(key));

    // The webhook makes Envoy subscribe to the scope's route configuration; the seam holds that
    // request at the xds-server while the book is removed.
    hold.holdSubscriptionsContaining(name);
    CompletableFuture<Answer> webhook = CompletableFuture.supplyAsync(() -> post(path, integration, secret));
    assertThat(hold.awaitHeld(CONVERGE)).as("Envoy subscribed to the book's route configuration").isTrue();
    stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(ACME).withName(name).delete();
    await("the scope's removal reached Envoy").atMost(CONVERGE).until(() -> !scopes().contains(key));
    hold.release();

    Answer answer;
    try {
      answer = webhook.get(ANSWERED_WITHIN.toSeconds() + 5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("the webhook was held: no answer within " + ANSWERED_WITHIN + " (" + e.getCause() + ")", e);
    }
    assertThat(answer.status()).as("answered (no route), not held: " + answer.body()).isEqualTo(404);
    assertThat(post(path, integration, secret).status()).as("the removed book, again").isEqualTo(404);

    // Added again: routed (the real route configuration, not the placeholder).
    books.create(ACME, name, name + "-type", backend.port(), List.of(integration));
    Answer routed = await(path + " routed again").atMost(CONVERGE).pollInterval(Duration.ofMillis(250))
        .until(() -> post(path, integration, secret), a -> a.status() == 200);
    assertThat(routed.body()).contains(backend.name());
  }

  private static String scopes() {
    return stack.envoy().admin().get("/config_dump?resource=dynamic_scoped_route_configs").body();
  }

  private static Answer post(String path, Integration integration, String secret) {
    String id = "id-" + UUID.randomUUID();
    String body = "{\"event\":\"push\",\"delivery\":\"" + id + "\"}";
    Map<String, String> headers = WebhookBooks.sign(integration, secret, body, id);
    return gateway.post(path, body, headers, ANSWERED_WITHIN);
  }

  /**
   * The seam, first of the xds-server's request callbacks: holds the first delta request that
   * subscribes to a name containing the armed text until {@link #release()} (a delta stream's
   * requests are handled in order, so Envoy's later requests wait behind it; the server's
   * responses to new snapshots do not).
   */
  static final class SubscriptionHold implements DiscoveryServerCallbacks {
    private static final String ROUTE_CONFIGURATION_TYPE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    private volatile String armed;
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    void holdSubscriptionsContaining(String text) {
      armed = text;
    }

    boolean awaitHeld(Duration timeout) throws InterruptedException {
      return held.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    void release() {
      armed = null;
      released.countDown();
    }

    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) {}

    @Override
    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
      String text = armed;
      if (text == null || !request.getTypeUrl().equals(ROUTE_CONFIGURATION_TYPE)
          || request.getResourceNamesSubscribeList().stream().noneMatch(n -> n.contains(text))) {
        return;
      }
      held.countDown();
      try {
        released.await(2, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
