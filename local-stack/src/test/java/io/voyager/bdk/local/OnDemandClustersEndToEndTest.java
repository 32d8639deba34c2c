package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.local.WebhookBooks.SignedBook;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.samplebook.SampleBook;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On-demand clusters (scoped layout, Envoy on delta xDS, {@code --book-clusters on-demand}, the
 * default) on a real Envoy: a book's cluster is not in Envoy until a request that passed
 * ext_authz needs it; then Envoy fetches it by name, its endpoints follow, a change of endpoints
 * reaches it, and removing the book removes the route and then the cluster, costing other books
 * nothing. Envoy's own config dump says which clusters it holds.
 */
class OnDemandClustersEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final String ACME = "customer-acme";
  private static final RateLimit GENEROUS = new RateLimit(100.0, 1000);

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static WebhookBooks books;
  static final List<SampleBook> backends = new ArrayList<>();

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.scopedGateway(runDir, "e2e-on-demand-clusters", 1000)
        .serviceArgs(Component.XDS, "--book-clusters", "on-demand")
        .start();
    gateway = GatewayClient.anonymous(stack);
    books = new WebhookBooks(stack);
  }

  @AfterAll
  static void stopAll() {
    backends.forEach(SampleBook::close);
    backends.clear();
    if (stack != null) {
      stack.close();
      stack = null;
    }
  }

  private static SampleBook backend(String name) {
    SampleBook backend = SampleBook.start(0, name);
    backends.add(backend);
    return backend;
  }

  /** Creates a book and waits until Envoy routes its path (the unsigned answer is ext-authz's 401). */
  private static SignedBook book(String name, SampleBook backend) {
    Integration integration = new Integration("github", "github", name + "-credentials", GENEROUS, null);
    String secret = "whsec-" + UUID.randomUUID();
    books.createWithSecret(ACME, name, name + "-type", backend.port(), integration, secret);
    SignedBook book = new SignedBook(ACME, name, integration, secret, backend);
    return book;
  }

  /**
   * Polls until a signed webhook is answered other than 404 (the book is not routed yet) or 503
   * (ext-authz may not know the book yet), and returns it.
   */
  private static Answer firstSignedAnswer(SignedBook book) {
    return await(book.path() + " answered").atMost(CONVERGE)
        .until(() -> book.postSigned(gateway), a -> a.status() != 404 && a.status() != 503);
  }

  private static String activeClusters() {
    return stack.envoy().admin().get("/config_dump?resource=dynamic_active_clusters").body();
  }

  private static String warmingClusters() {
    return stack.envoy().admin().get("/config_dump?resource=dynamic_warming_clusters").body();
  }

  @Test
  void aColdBooksClusterIsFetchedByItsFirstSignedWebhookNotByAnUnsignedOne() {
    SignedBook cold = book("cold-" + shortId(), backend("cold-backend"));
    await(cold.path() + " routed").atMost(CONVERGE).until(() -> gateway.post(cold.path(), "{}").status() == 401);
    assertThat(activeClusters() + warmingClusters()).as("not fetched before a request needs it; an unsigned one does not")
        .doesNotContain(cold.clusterPrefix());

    Answer first = firstSignedAnswer(cold);
    assertThat(first.status()).as("the first signed webhook: " + first.body()).isEqualTo(200);
    assertThat(first.body()).contains(cold.backend().name());
    assertThat(activeClusters()).as("fetched by name, kept").contains(cold.clusterPrefix());
    assertThat(cold.postSigned(gateway).status()).isEqualTo(200);

    Answer unsigned = gateway.post(cold.path(), "{}");
    assertThat(unsigned.status()).as("ext_authz still fails closed: " + unsigned.body()).isEqualTo(401);
    assertThat(stack.envoy().admin().statOrZero("cluster_manager.cds.update_rejected")).isZero();
  }

  @Test
  void aChunkedWebhookToAColdBookIsDelivered() throws Exception {
    SignedBook cold = book("chunked-" + shortId(), backend("chunked-backend"));
    await(cold.path() + " routed").atMost(CONVERGE).until(() -> gateway.post(cold.path(), "{}").status() == 401);
    assertThat(activeClusters() + warmingClusters()).doesNotContain(cold.clusterPrefix());

    String id = "id-" + UUID.randomUUID();
    String body = "{\"event\":\"push\",\"pad\":\"" + "x".repeat(2048) + "\",\"delivery\":\"" + id + "\"}";
    String[] answer = postChunked(cold.path(), body, WebhookBooks.sign(cold.integration(), cold.secret(), body, id));
    assertThat(answer[0]).as("chunked, cold cluster: " + answer[1]).isEqualTo("200");
    assertThat(answer[1]).contains(cold.backend().name());
    assertThat(cold.backend().receivedTotal()).isEqualTo(1);
  }

  @Test
  void aLoadedClusterFollowsItsEndpointsAndARemovedBookGoesRouteFirstWithoutTouchingOthersThenComesBack() {
    SignedBook moving = book("moving-" + shortId(), backend("moving-first"));
    SignedBook other = book("other-" + shortId(), backend("other-backend"));
    assertThat(firstSignedAnswer(moving).status()).isEqualTo(200);
    assertThat(firstSignedAnswer(other).status()).isEqualTo(200);

    SampleBook second = backend("moving-second");
    books.publishEndpoints(ACME, moving.name(), second.port());
    await("the loaded cluster's new endpoint serves").atMost(CONVERGE)
        .until(() -> moving.postSigned(gateway).body().contains(second.name()));

    stack.kubernetes().resources(ExternalBookDefinition.class).inNamespace(ACME).withName(moving.name()).delete();
    List<String> otherAnswers = new ArrayList<>();
    await(moving.path() + " removed").atMost(CONVERGE).until(() -> {
      Answer answer = other.postSigned(gateway);
      otherAnswers.add(answer.status() + (answer.status() == 200 ? "" : " " + answer.body()));
      return gateway.post(moving.path(), "{}").status() == 404;
    });
    await("its cluster removed from Envoy").atMost(CONVERGE).until(() -> !activeClusters().contains(moving.clusterPrefix()));
    for (int i = 0; i < 5; i++) {
      Answer answer = other.postSigned(gateway);
      otherAnswers.add(answer.status() + (answer.status() == 200 ? "" : " " + answer.body()));
    }
    assertThat(otherAnswers).as("the other book while one was removed").allMatch(a -> a.equals("200"));
    assertThat(activeClusters()).contains(other.clusterPrefix());

    books.create(ACME, moving.name(), moving.name() + "-type", second.port(), List.of(moving.integration()));
    Answer back = await(moving.path() + " re-added").atMost(CONVERGE)
        .until(() -> moving.postSigned(gateway), a -> a.status() != 404 && a.status() != 503);
    assertThat(back.status()).as(back.body()).isEqualTo(200);
    assertThat(back.body()).contains(second.name());
    assertThat(stack.envoy().admin().statOrZero("cluster_manager.cds.update_rejected")).isZero();
  }

  /** POSTs {@code body} over HTTP/1.1 in chunks of 512 bytes; returns the status code and the whole response. */
  private static String[] postChunked(String path, String body, Map<String, String> headers) throws Exception {
    java.net.URI gatewayUri = java.net.URI.create(stack.gatewayUrl());
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (java.net.Socket socket = new java.net.Socket(gatewayUri.getHost(), gatewayUri.getPort())) {
      socket.setSoTimeout((int) CONVERGE.toMillis());
      var out = socket.getOutputStream();
      StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: " + gatewayUri.getAuthority()
          + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n");
      headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
      for (int from = 0; from < bytes.length; from += 512) {
        byte[] chunk = Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + 512));
        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(chunk);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new String[] {response.length() >= 12 ? response.substring(9, 12) : response, response};
    }
  }

  private static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
