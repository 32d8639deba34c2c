package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.local.WebhookBooks.SignedBook;
import io.voyager.bdk.model.RateLimit;
import io.voyager.bdk.samplebook.SampleBook;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The held-books bound ({@code --held-books-limit 2}) on a real Envoy (scoped layout, delta xDS,
 * on-demand clusters): signed webhooks to books A, B, C, then A and B again, each answered 200 by
 * its own book, while Envoy's config dump shows it holding at most two books' webhook route
 * configurations and clusters once the evictions have gone out (polled with a deadline).
 */
class HeldBooksEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final String ACME = "customer-acme";
  private static final RateLimit GENEROUS = new RateLimit(100.0, 1000);
  private static final Pattern ROUTE_CONFIGURATION =
      Pattern.compile("RouteConfiguration\",\\s*\"name\": \"(webhook/" + ACME + "/([^/\"]+)/[^\"]+)\"");
  private static final Pattern BOOK_CLUSTER = Pattern.compile("\"name\": \"k8s/" + ACME + "/([^/\"]+)/");

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static WebhookBooks books;
  static final List<SampleBook> backends = new ArrayList<>();
  static AutoCloseable restartedXds;

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.scopedGateway(runDir, "e2e-held-books", 1000)
        .serviceArgs(Component.XDS, "--book-clusters", "on-demand", "--held-books-limit", "2")
        .start();
    gateway = GatewayClient.anonymous(stack);
    books = new WebhookBooks(stack);
  }

  @AfterAll
  static void stopAll() throws Exception {
    if (restartedXds != null) {
      restartedXds.close();
      restartedXds = null;
    }
    backends.forEach(SampleBook::close);
    backends.clear();
    if (stack != null) {
      stack.close();
      stack = null;
    }
  }

  private static SignedBook book(String name) {
    SampleBook backend = SampleBook.start(0, name + "-backend");
    backends.add(backend);
    Integration integration = new Integration("github", "github", name + "-credentials", GENEROUS, null);
    String secret = "whsec-" + UUID.randomUUID();
    books.createWithSecret(ACME, name, name + "-type", backend.port(), integration, secret);
    SignedBook book = new SignedBook(ACME, name, integration, secret, backend);
    await(book.path() + " routed").atMost(CONVERGE).until(() -> gateway.post(book.path(), "{}").status() == 401);
    return book;
  }

  /** Books whose webhook route configurations Envoy holds (under either name). */
  private static Set<String> booksWithRouteConfigurations() {
    return matches(ROUTE_CONFIGURATION, stack.envoy().admin().get("/config_dump?resource=dynamic_route_configs").body());
  }

  /** The webhook route configurations Envoy holds, by name. */
  private static Set<String> routeConfigurationNames() {
    Set<String> names = new TreeSet<>();
    Matcher m = ROUTE_CONFIGURATION.matcher(stack.envoy().admin().get("/config_dump?resource=dynamic_route_configs").body());
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** Books whose clusters Envoy holds, active or warming. */
  private static Set<String> booksWithClusters() {
    return matches(BOOK_CLUSTER, stack.envoy().admin().get("/config_dump?resource=dynamic_active_clusters").body()
        + stack.envoy().admin().get("/config_dump?resource=dynamic_warming_clusters").body());
  }

  private static Set<String> matches(Pattern pattern, String dump) {
    Set<String> found = new TreeSet<>();
    Matcher m = pattern.matcher(dump);
    while (m.find()) {
      found.add(m.group(m.groupCount()));
    }
    return found;
  }

  private static void restartXds() throws Exception {
    stack.stop(Component.XDS);
    await("Envoy sees the xds-server gone").atMost(CONVERGE)
        .until(() -> stack.envoy().admin().statOrZero("control_plane.connected_state") == 0);
    restartedXds = Component.XDS.starter().start(stack.startArgs(Component.XDS).toArray(String[]::new));
    await("Envoy reconnected").atMost(CONVERGE)
        .until(() -> stack.envoy().admin().statOrZero("control_plane.connected_state") == 1);
  }

  /** The xds-server's {@code /debug/sync}: one delta stream, every type it serves SYNCED. */
  private static boolean xdsSynced() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://" + LocalStack.LOCALHOST + ":" + stack.ports().xdsAdmin() + "/debug/sync"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode nodes = new ObjectMapper().readTree(response.body()).path("nodes");
    if (nodes.size() != 1 || nodes.path(0).path("types").size() < 5) {
      return false;
    }
    for (JsonNode type : nodes.path(0).path("types")) {
      if (!"SYNCED".equals(type.path("status").asText())) {
        return false;
      }
    }
    return true;
  }

  /** Envoy holds at most two books, once the evictions in flight have landed. */
  private static void awaitAtMostTwoHeld(String after) {
    await("at most 2 books held after " + after).atMost(CONVERGE)
        .until(() -> booksWithRouteConfigurations().size() <= 2 && booksWithClusters().size() <= 2);
  }

  @Test
  void pastTwoBooksTheLeastRecentlyFetchedIsUnloadedAndEveryWebhookIsStillAnsweredByItsBook() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 6);
    SignedBook a = book("a-" + run);
    SignedBook b = book("b-" + run);
    SignedBook c = book("c-" + run);
    List<String> answers = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (SignedBook book : List.of(a, b, c, a, b, c, a)) {
      // The first signed webhook may meet ext-authz before it knows the book (503): polled.
      Answer answer = await(book.path() + " answered").atMost(CONVERGE)
          .until(() -> book.postSigned(gateway), x -> x.status() != 503);
      answers.add(answer.status() + " " + (answer.body().contains(book.backend().name()) ? book.name() : answer.body()));
      expected.add("200 " + book.name());
      awaitAtMostTwoHeld(book.name());
    }
    assertThat(answers).as("every webhook answered 200 by its own book").isEqualTo(expected);
    // Fetches in order: a, b, c (each book's first request, the unsigned one that waited for its
    // route, loads its route configuration), then a, b, c, a, b, c, a. Each fetch past the second
    // evicts the least recently fetched book, moving its scope to its other name (R <-> R~1):
    // a ends on R~1 (moved 3 times, reloaded on R~1), c on R (moved twice), b not held.
    await("a (under R~1) and c (under R) held").atMost(CONVERGE).untilAsserted(() -> {
      assertThat(routeConfigurationNames()).containsExactlyInAnyOrder(
          "webhook/" + ACME + "/" + a.name() + "/github~1", "webhook/" + ACME + "/" + c.name() + "/github");
      assertThat(booksWithClusters()).containsExactlyInAnyOrder(a.name(), c.name());
    });
    // A restarted xds-server: Envoy reconnects still subscribed to b's removed cluster (its on-demand
    // subscription outlives the removal); the new stream keeps it out until b's next request.
    restartXds();
    await("the new stream synced").atMost(CONVERGE).until(HeldBooksEndToEndTest::xdsSynced);
    assertThat(booksWithClusters()).as("b's cluster not sent back by the reconnect").containsExactlyInAnyOrder(a.name(), c.name());
    for (SignedBook book : List.of(b, a, c)) {
      Answer answer = book.postSigned(gateway);
      assertThat(answer.status())
          .as(() -> book.name() + " after the restart: " + answer.body() + "\n" + stack.envoy().logTail(60)).isEqualTo(200);
      assertThat(answer.body()).contains(book.backend().name());
      awaitAtMostTwoHeld(book.name() + " after the restart");
    }
    assertThat(List.of(a, b, c)).allSatisfy(book -> assertThat(book.backend().receivedTotal()).isGreaterThanOrEqualTo(2));
    assertThat(stack.envoy().admin().statOrZero("http.bdk_http.scoped_rds.bdk-scopes.update_rejected")).isZero();
    assertThat(stack.envoy().admin().statOrZero("cluster_manager.cds.update_rejected")).isZero();
  }
}
