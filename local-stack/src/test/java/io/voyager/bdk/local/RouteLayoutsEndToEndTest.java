package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.Condition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.samplebook.SampleBook;
import io.voyager.bdk.xds.translate.RouteLayout;
import io.voyager.bdk.xds.translate.WebhookScopes;
import io.voyager.bdk.xds.watch.StatusWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The route layouts on a real Envoy — the scoped layout ({@code --route-layout scoped}: scoped routes
 * over delta xDS, one route configuration per webhook path) and the single route configuration over
 * state-of-the-world and delta xDS: webhooks, the library, the JSON 404 and 405 answer alike, a
 * client cannot pick a scope, and books are added, changed and removed make-before-break — a client
 * posting signed webhooks to an unchanged book the whole time gets only 2xx, and a book being added
 * answers 404 until its route is live, never Envoy's 503 (a route before its cluster).
 */
@ParameterizedClass(name = "{0}")
@EnumSource(RouteLayoutsEndToEndTest.Setup.class)
class RouteLayoutsEndToEndTest {
  /** A route layout and the ADS protocol Envoy speaks. */
  enum Setup {
    SCOPED_DELTA(RouteLayout.SCOPED, AdsApiType.DELTA_GRPC),
    SINGLE_SOTW(RouteLayout.SINGLE, AdsApiType.GRPC),
    SINGLE_DELTA(RouteLayout.SINGLE, AdsApiType.DELTA_GRPC);

    final RouteLayout layout;
    final AdsApiType apiType;

    Setup(RouteLayout layout, AdsApiType apiType) {
      this.layout = layout;
      this.apiType = apiType;
    }
  }

  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final String ACME = "customer-acme";
  private static final String GLOBEX = "customer-globex";
  private static final RateLimit GENEROUS = new RateLimit(100.0, 1000);
  private static final Integration STEADY = new Integration("steady", "github", "steady-steady-credentials", GENEROUS, null);

  @TempDir static Path runDir;
  @Parameter Setup setup;
  static LocalStack stack;
  static GatewayClient gateway;
  static WebhookBooks books;
  static SampleBook steadyBackend;
  static SampleBook churnBackend;
  static final String steadySecret = "steady-" + UUID.randomUUID();

  @BeforeParameterizedClassInvocation
  static void startStack(Setup setup) throws Exception {
    stack = TestStacks.ephemeral(runDir.resolve(setup.name()), "e2e-route-layouts")
        .routeLayout(setup.layout)
        .adsApiType(setup.apiType)
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME)
        .serviceArgs(Component.XDS, "--webhook-client-rate", "1000", "--webhook-client-burst", "1000")
        .start();
    assertThat(stack.adsApiType()).isEqualTo(setup.apiType);
    gateway = GatewayClient.anonymous(stack);
    steadyBackend = SampleBook.start(0, "steady-backend");
    churnBackend = SampleBook.start(0, "churn-backend");
    books = new WebhookBooks(stack);
    books.createWithSecret(ACME, "steady", "steady-type", steadyBackend.port(), STEADY, steadySecret);
    String path = WebhookRoutes.publicPath(ACME, "steady", STEADY.name());
    AtomicReference<Answer> last = new AtomicReference<>();
    try {
      await("steady webhook route live").atMost(CONVERGE).until(() -> {
        last.set(gateway.post(path, "{}"));
        return last.get().status() == 401;
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("steady webhook route not live; last answer " + last.get().status() + " " + last.get().body()
          + "; Envoy's scopes: " + stack.envoy().admin().get("/config_dump").body(), e);
    }
  }

  @AfterParameterizedClassInvocation
  static void stopAll() {
    for (SampleBook backend : new SampleBook[] {steadyBackend, churnBackend}) {
      if (backend != null) {
        backend.close();
      }
    }
    steadyBackend = null;
    churnBackend = null;
    if (stack != null) {
      stack.close();
      stack = null;
    }
  }

  @Test
  void webhooksTheLibraryAndUnknownPathsAnswerAsInTheSingleLayout() {
    String path = WebhookRoutes.publicPath(ACME, "steady", STEADY.name());
    Answer signed = postSigned(path);
    assertThat(signed.status()).as(signed.body()).isEqualTo(200);
    assertThat(signed.json().path("handled_by").asText()).isEqualTo(steadyBackend.name());

    assertThat(gateway.post(path + "?from=sender", "{}").status()).as("a query string keeps the scope").isEqualTo(401);

    Answer get = gateway.get(path);
    assertThat(get.status()).isEqualTo(405);
    assertThat(get.header("allow")).contains("POST");
    assertThat(get.isJson()).isTrue();

    Answer unknown = gateway.post(WebhookRoutes.publicPath(ACME, "nobody", "github"), "{}");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().path("code").asInt()).isEqualTo(5);
    Answer elsewhere = gateway.get("/no/such/thing");
    assertThat(elsewhere.status()).isEqualTo(404);
    assertThat(elsewhere.json().path("code").asInt()).isEqualTo(5);

    Answer library = GatewayClient.of(stack).get("/api/v1/books?page_size=1");
    assertThat(library.status()).as("the library scope: " + library.body()).isEqualTo(200);
    assertThat(gateway.get("/api/v1/books?page_size=1").status()).as("and it still wants a token").isEqualTo(401);
  }

  /**
   * Envoy normalizes paths before routing ({@code normalize_path}, {@code merge_slashes}): a webhook
   * path with doubled slashes or dot segments reaches the same route in every layout (unsigned:
   * ext-authz's 401, not a 404).
   */
  @Test
  void aWebhookPathEnvoyNormalizesReachesTheSameRoute() {
    String path = WebhookRoutes.publicPath(ACME, "steady", STEADY.name());
    String key = path.substring(WebhookRoutes.PREFIX.length());
    for (String variant : List.of(
        "/api/v1//webhooks/" + key,
        WebhookRoutes.PREFIX + key.replace("/", "//"),
        "//api/v1/webhooks/" + key,
        "/api/./v1/webhooks/" + key,
        WebhookRoutes.PREFIX + "./" + key,
        "/api/v1/x/../webhooks/" + key)) {
      Answer answer = gateway.post(variant, "{}");
      assertThat(answer.status()).as(variant + " → " + answer.body()).isEqualTo(401);
    }
    Answer signed = postSigned(WebhookRoutes.PREFIX + key.replace("/", "//"));
    assertThat(signed.status()).as(signed.body()).isEqualTo(200);
  }

  @Test
  void aClientCannotChooseAScopeWithTheKeyHeader() {
    String known = WebhookRoutes.publicPath(ACME, "steady", STEADY.name());
    Answer answer = gateway.get(WebhookRoutes.publicPath(ACME, "nobody", "github"),
        Map.of(WebhookScopes.KEY_HEADER, known + WebhookRoutes.PREFIX + "-"));
    assertThat(answer.status()).as("the unknown path's 404, not the steady route's 405").isEqualTo(404);
  }

  @Test
  void booksAddedChangedAndRemovedUnderLoadCostAnUnchangedRouteNothing() throws Exception {
    String steadyPath = WebhookRoutes.publicPath(ACME, "steady", STEADY.name());
    Map<Integer, AtomicInteger> steadyStatuses = new ConcurrentHashMap<>();
    ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
    load.scheduleAtFixedRate(
        () -> steadyStatuses.computeIfAbsent(postSigned(steadyPath).status(), s -> new AtomicInteger()).incrementAndGet(),
        0, 25, TimeUnit.MILLISECONDS);
    try {
      for (int round = 0; round < 3; round++) {
        String name = "churn-" + round; // books are new in each setup: every stack has its own API
        String secret = "churn-" + UUID.randomUUID();
        List<Integration> webhooks = webhooks(name, secret, "first", "second");
        Integration first = webhooks.get(0);
        Integration second = webhooks.get(1);
        String firstPath = WebhookRoutes.publicPath(GLOBEX, name, first.name());
        String secondPath = WebhookRoutes.publicPath(GLOBEX, name, second.name());

        // Added: 404 until its route is live, then 200 — never 503 (no route before its cluster).
        books.create(GLOBEX, name, "churn-type", churnBackend.port(), List.of(first));
        awaitServed(firstPath, first, secret);

        // Changed: a second integration (a new scope), the first one's limit changed (its route configuration).
        Integration firstChanged = new Integration("first", "github", first.secretName(), new RateLimit(50.0, 500), null);
        ExternalBookDefinition book = stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(GLOBEX).withName(name).get();
        ExternalBookDefinitionSpec spec = book.getSpec();
        book.setSpec(new ExternalBookDefinitionSpec(spec.bookType(), spec.version(), List.of(firstChanged.toSpec(), second.toSpec()),
            spec.networking(), spec.resources(), spec.scaling(), spec.service(), spec.instanceRef()));
        stack.kubernetes().resource(book).update();
        awaitServed(secondPath, second, secret);
        assertThat(postSigned(firstPath, first, secret).status()).isEqualTo(200);

        // Removed: its paths answer 404 again.
        stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(GLOBEX).withName(name).delete();
        await(name + " removed").atMost(CONVERGE).until(() ->
            gateway.post(firstPath, "{}").status() == 404 && gateway.post(secondPath, "{}").status() == 404);
      }
    } finally {
      load.shutdown();
      assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    Map<Integer, Integer> seen = new TreeMap<>();
    steadyStatuses.forEach((status, count) -> seen.put(status, count.get()));
    assertThat(seen).as("answers to the unchanged book meanwhile").containsOnlyKeys(200);
    assertThat(seen.get(200)).isGreaterThan(10);
  }

  /**
   * Make-before-break for a new book's first endpoints: its ExternalBookDefinition written before
   * its Service has an EndpointSlice, the book is held out (404, its status says it awaits its
   * endpoints) — never routed to a cluster without endpoints (Envoy's 503 "no healthy upstream") —
   * and served once they arrive. A book written later with endpoints, once served, shows Envoy has
   * every snapshot since the first book's.
   */
  @Test
  void aBookWhoseEndpointsComeLaterAnswers404UntilThenNever503() {
    String name = "late";
    String secret = "late-" + UUID.randomUUID();
    Integration late = webhooks(name, secret, "late").get(0);
    Integration marker = webhooks("marker", secret, "marker").get(0);
    String latePath = WebhookRoutes.publicPath(GLOBEX, name, late.name());
    String markerPath = WebhookRoutes.publicPath(GLOBEX, "marker", marker.name());

    books.createWithoutEndpoints(GLOBEX, name, "late-type", churnBackend.port(), List.of(late));
    await(name + " status").atMost(CONVERGE).until(() -> routedCondition(name) != null);
    createServed("marker", secret, List.of(marker));

    Answer before = postSigned(latePath, late, secret);
    assertThat(before.status()).as("a book without endpoints yet: " + before.body()).isEqualTo(404);
    Condition waiting = routedCondition(name);
    assertThat(waiting.status()).isEqualTo("False");
    assertThat(waiting.reason()).isEqualTo(StatusWriter.AWAITING_ENDPOINTS);

    books.publishEndpoints(GLOBEX, name, churnBackend.port());
    awaitServed(latePath, late, secret);
    await(name + " status routed").atMost(CONVERGE).until(() -> "True".equals(routedCondition(name).status()));

    for (String book : List.of(name, "marker")) {
      stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(GLOBEX).withName(book).delete();
    }
    await("late and marker removed").atMost(CONVERGE).until(() ->
        gateway.post(latePath, "{}").status() == 404 && gateway.post(markerPath, "{}").status() == 404);
  }

  /**
   * Webhooks {@code names} of book {@code book} in {@value #GLOBEX} (github signatures, generous
   * limits), each with its credentials Secret ({@code <book>-<name>-credentials}) holding {@code secret}.
   */
  private static List<Integration> webhooks(String book, String secret, String... names) {
    List<Integration> result = new ArrayList<>();
    for (String name : names) {
      Integration webhook = new Integration(name, "github", book + "-" + name + "-credentials", GENEROUS, null);
      books.putSecret(GLOBEX, webhook.secretName(), List.of(secret));
      result.add(webhook);
    }
    return result;
  }

  /**
   * Book {@code name} (type {@code <name>-type}) in {@value #GLOBEX} on the churn backend with
   * {@code webhooks}, once Envoy serves the first of them. All its routes come in the same update
   * (one book, one write): Envoy then has every one of them.
   */
  private static void createServed(String name, String secret, List<Integration> webhooks) {
    books.create(GLOBEX, name, name + "-type", churnBackend.port(), webhooks);
    Integration first = webhooks.get(0);
    awaitServed(WebhookRoutes.publicPath(GLOBEX, name, first.name()), first, secret);
  }

  /** Book {@code name}'s gateway condition ({@value StatusWriter#CONDITION}), or null before the gateway wrote one. */
  private static Condition routedCondition(String name) {
    ExternalBookDefinition book = stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(GLOBEX).withName(name).get();
    if (book == null || book.getStatus() == null || book.getStatus().conditions() == null) {
      return null;
    }
    return book.getStatus().conditions().stream().filter(c -> StatusWriter.CONDITION.equals(c.type())).findFirst().orElse(null);
  }

  /**
   * A webhook no request has reached yet is checked like any other: its first request, unsigned,
   * is refused by ext-authz (401) — not proxied to the book — and a signed one is served. (On-demand
   * scopes broke exactly this on Envoy 1.36.4: a request with a body whose scope was loaded on
   * demand went on without the filters its route enables, so an unsigned webhook reached the book;
   * docs/design-decisions.md.) A scope that has served requests still takes its book's change and
   * removal.
   */
  @Test
  void aWebhooksFirstRequestIsCheckedAndAServedScopeTakesChanges() {
    String name = "cold";
    String secret = "cold-" + UUID.randomUUID();
    List<Integration> webhooks = webhooks(name, secret, "warm", "cold");
    Integration warm = webhooks.get(0);
    Integration cold = webhooks.get(1);
    String warmPath = WebhookRoutes.publicPath(GLOBEX, name, warm.name());
    String coldPath = WebhookRoutes.publicPath(GLOBEX, name, cold.name());
    String coldRoutes = "\"webhook/" + GLOBEX + "/" + name + "/" + cold.name() + "\"";
    createServed(name, secret, webhooks); // the warm webhook served: Envoy has the cold one's routes too
    if (setup.layout == RouteLayout.SCOPED) {
      assertThat(loadedRouteConfigurations()).as("on demand: the cold webhook's routes are not loaded yet").doesNotContain(coldRoutes);
    }

    Answer unsigned = gateway.post(coldPath, "{\"event\":\"push\"}");
    assertThat(unsigned.status()).as("the first request to a webhook, unsigned: " + unsigned.body()).isEqualTo(401);
    Answer signed = postSigned(coldPath, cold, secret);
    assertThat(signed.status()).as(signed.body()).isEqualTo(200);
    assertThat(signed.json().path("handled_by").asText()).isEqualTo(churnBackend.name());
    assertThat(loadedRouteConfigurations()).contains(coldRoutes);

    // Changed on a loaded scope: a body limit of its own (1 KiB) — Envoy answers a 2 KiB webhook 413
    // once the scope's new routes are in.
    ExternalBookDefinition book = stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(GLOBEX).withName(name).get();
    ExternalBookDefinitionSpec spec = book.getSpec();
    Integration limited = new Integration(cold.name(), "github", cold.secretName(), GENEROUS, null, 1024);
    book.setSpec(new ExternalBookDefinitionSpec(spec.bookType(), spec.version(), List.of(warm.toSpec(), limited.toSpec()),
        spec.networking(), spec.resources(), spec.scaling(), spec.service(), spec.instanceRef()));
    stack.kubernetes().resource(book).update();
    String large = "{\"event\":\"push\",\"pad\":\"" + "x".repeat(2048) + "\"}";
    await(coldPath + " limited").atMost(CONVERGE).until(() ->
        gateway.post(coldPath, large, WebhookBooks.sign(cold, secret, large, "id-" + UUID.randomUUID())).status() == 413);
    assertThat(postSigned(warmPath, warm, secret).status()).isEqualTo(200);

    // Removed: both loaded scopes answer 404 again.
    stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(GLOBEX).withName(name).delete();
    await(name + " removed").atMost(CONVERGE).until(() ->
        gateway.post(warmPath, "{}").status() == 404 && gateway.post(coldPath, "{}").status() == 404);
  }

  /**
   * On-demand scopes, the case Envoy cannot re-create: a webhook whose body is still arriving when
   * its scope's routes arrive goes on with the filter chain built before its route was known (Envoy
   * re-creates the stream only once the whole body is in). Both ext_authz filters are on at the
   * connection manager, so that chain has them, and each reads its settings from the route found
   * after the load: unsigned, 401; signed, 200 into the book. (Which of Envoy's two paths a request
   * takes depends on when its last chunk arrives; this one sends it only once Envoy shows the
   * loaded routes, so it is usually the continued chain. Either way nothing unchecked gets through.)
   */
  @Test
  void aWebhookWhoseBodyIsStillArrivingWhenItsScopeLoadsIsCheckedAllTheSame() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(setup.layout == RouteLayout.SCOPED, "on-demand scopes: scoped layout only");
    String name = "streamer";
    String secret = "streamer-" + UUID.randomUUID();
    List<Integration> webhooks = webhooks(name, secret, "warm", "unsigned", "signed");
    Integration unsigned = webhooks.get(1);
    Integration signed = webhooks.get(2);
    createServed(name, secret, webhooks);

    String body = "{\"event\":\"push\",\"pad\":\"" + "x".repeat(512) + "\"}";
    String[] refused = streamWhileTheScopeLoads(GLOBEX, name, unsigned, body, Map.of());
    assertThat(refused[0]).as("unsigned, body still arriving when the scope loaded: " + refused[1]).isEqualTo("401");

    String id = "id-" + UUID.randomUUID();
    String[] served = streamWhileTheScopeLoads(GLOBEX, name, signed, body, WebhookBooks.sign(signed, secret, body, id));
    assertThat(served[0]).as("signed: " + served[1]).isEqualTo("200");
    assertThat(served[1]).contains(churnBackend.name());
    stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(GLOBEX).withName(name).delete();
  }

  /**
   * POSTs {@code body} in two chunks over HTTP/1.1 to the webhook of {@code integration}: the
   * headers and the first half, then — once Envoy's config dump shows the webhook's routes, loaded
   * on demand by those headers — the rest. Returns the status code and the response as text.
   */
  private static String[] streamWhileTheScopeLoads(String namespace, String book, Integration integration, String body,
      Map<String, String> headers) throws Exception {
    String path = WebhookRoutes.publicPath(namespace, book, integration.name());
    String routes = "\"webhook/" + namespace + "/" + book + "/" + integration.name() + "\"";
    assertThat(loadedRouteConfigurations()).as("not loaded before the request").doesNotContain(routes);
    java.net.URI gatewayUri = java.net.URI.create(stack.gatewayUrl());
    byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int half = bytes.length / 2;
    try (java.net.Socket socket = new java.net.Socket(gatewayUri.getHost(), gatewayUri.getPort())) {
      socket.setSoTimeout((int) CONVERGE.toMillis());
      var out = socket.getOutputStream();
      StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: " + gatewayUri.getAuthority()
          + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n");
      headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      out.write(head.append("\r\n").toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      writeChunk(out, Arrays.copyOfRange(bytes, 0, half));
      out.flush();
      await(path + " loaded on demand").atMost(CONVERGE).until(() -> loadedRouteConfigurations().contains(routes));
      writeChunk(out, Arrays.copyOfRange(bytes, half, bytes.length));
      out.write("0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      String status = response.length() >= 12 ? response.substring(9, 12) : response;
      return new String[] {status, response};
    }
  }

  private static void writeChunk(java.io.OutputStream out, byte[] chunk) throws java.io.IOException {
    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    out.write(chunk);
    out.write("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  /** The route configurations Envoy holds (its config dump's dynamic ones, as JSON). */
  private static String loadedRouteConfigurations() {
    return stack.envoy().admin().get("/config_dump?resource=dynamic_route_configs").body();
  }

  /**
   * Polls a route being added until it answers 200. Before, Envoy answers 404 (no route yet), never
   * its own 503 (a route before its cluster or endpoints: "no healthy upstream", "cluster not
   * found"). ext-authz, which learns of the new integration from the same API at about the same
   * time, may still answer that it cannot check it yet (503 with its own message): that is not a
   * routing gap.
   */
  private static void awaitServed(String path, Integration integration, String secret) {
    Set<String> before = ConcurrentHashMap.newKeySet();
    await(path + " served").atMost(CONVERGE).pollInterval(Duration.ofMillis(20)).until(() -> {
      Answer answer = postSigned(path, integration, secret);
      if (answer.status() != 200) {
        before.add(answer.status() + " " + answer.body());
      }
      return answer.status() == 200;
    });
    assertThat(before).as("answers of " + path + " while it was being added")
        .allMatch(answer -> answer.startsWith("404 ") || (answer.startsWith("503 ") && !answer.contains("upstream")
            && !answer.contains("cluster")));
    System.out.println("event=route_added path=" + path + " answers_before=" + before);
  }

  private static Answer postSigned(String path) {
    return postSigned(path, STEADY, steadySecret);
  }

  private static Answer postSigned(String path, Integration integration, String secret) {
    String id = "id-" + UUID.randomUUID();
    String body = "{\"event\":\"push\",\"delivery\":\"" + id + "\"}";
    return gateway.post(path, body, WebhookBooks.sign(integration, secret, body, id));
  }
}
