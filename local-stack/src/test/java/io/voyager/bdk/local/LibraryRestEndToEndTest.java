package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.voyager.bdk.local.GatewayClient.Answer;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Book Library REST API as users see it: through a real Envoy whose every listener, route and
 * cluster came from the xds-server, transcoded to the library service's gRPC, state in the
 * (embedded) Kubernetes API. The whole local stack runs, on ephemeral ports.
 */
class LibraryRestEndToEndTest {
  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-library-rest")
        .start();
    gateway = GatewayClient.of(stack);
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void createAnswers201WithTheSeedFieldsAndGetReturnsTheSameBook() {
    String name = uniqueName("create");

    Answer created = gateway.postJson("/api/v1/books", Map.of("name", name, "version", "1.0.0",
        "description", "Imports orders"));

    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonNode book = created.json();
    assertThat(book.path("book_id").asText()).isNotBlank();
    assertThat(book.path("name").asText()).isEqualTo(name);
    assertThat(book.path("version").asText()).isEqualTo("1.0.0");
    assertThat(OffsetDateTime.parse(book.path("created_at").asText())).isNotNull();

    Answer fetched = gateway.get("/api/v1/books/" + book.path("book_id").asText());
    assertThat(fetched.status()).as(fetched.body()).isEqualTo(200);
    for (Answer rest : List.of(created, fetched)) {
      assertThat(rest.headers().map().keySet()).as("gRPC-only and the library's status header stay inside")
          .noneMatch(header -> header.toLowerCase(Locale.ROOT).startsWith("grpc-"))
          .doesNotContain("x-bdk-http-status");
    }
    assertThat(fetched.json().path("book_id")).isEqualTo(book.path("book_id"));
    assertThat(fetched.json().path("name").asText()).isEqualTo(name);
    assertThat(fetched.json().path("description").asText()).isEqualTo("Imports orders");
  }

  @Test
  void listPagesThroughEveryBookExactlyOnce() {
    Set<String> mine = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      Answer created = gateway.postJson("/api/v1/books", Map.of("name", uniqueName("page" + i), "version", "0.1.0"));
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      mine.add(created.json().path("book_id").asText());
    }

    List<String> seen = new ArrayList<>();
    int pages = 0;
    String token = "";
    do {
      Answer page = gateway.get("/api/v1/books?page_size=2" + (token.isEmpty() ? "" : "&page_token=" + token));
      assertThat(page.status()).as(page.body()).isEqualTo(200);
      JsonNode books = page.json().path("books");
      assertThat(books.size()).isBetween(1, 2);
      books.forEach(b -> seen.add(b.path("book_id").asText()));
      token = page.json().path("next_page_token").asText();
      pages++;
      assertThat(pages).as("pages before the last (runaway pagination?)").isLessThan(100);
    } while (!token.isEmpty());

    assertThat(pages).isGreaterThanOrEqualTo(3);
    assertThat(seen).doesNotHaveDuplicates().containsAll(mine);
  }

  @Test
  void unknownBookIdIsAJson404() {
    Answer answer = gateway.get("/api/v1/books/" + UUID.randomUUID());

    assertThat(answer.status()).isEqualTo(404);
    assertThat(answer.isJson()).as(answer.contentType()).isTrue();
    assertThat(answer.json().path("code").asInt()).isEqualTo(5); // google.rpc.Code.NOT_FOUND
    assertThat(answer.json().path("message").asText()).contains("book_id");
  }

  @Test
  void malformedJsonIs400() {
    Answer answer = gateway.post("/api/v1/books", "{\"name\": \"broken\", ");

    assertThat(answer.status()).as(answer.body()).isEqualTo(400);
  }

  @Test
  void invalidVersionIs400NamingTheField() {
    Answer answer = gateway.postJson("/api/v1/books", Map.of("name", uniqueName("badversion"), "version", "one"));

    assertThat(answer.status()).as(answer.body()).isEqualTo(400);
    assertThat(answer.isJson()).isTrue();
    assertThat(answer.json().path("code").asInt()).isEqualTo(3); // INVALID_ARGUMENT
    assertThat(answer.json().path("message").asText()).contains("version");
  }

  @Test
  void sameNameAndVersionTwiceIs409() {
    Map<String, String> book = Map.of("name", uniqueName("dup"), "version", "2.0.0");
    assertThat(gateway.postJson("/api/v1/books", book).status()).isEqualTo(201);

    Answer second = gateway.postJson("/api/v1/books", book);

    assertThat(second.status()).as(second.body()).isEqualTo(409);
    assertThat(second.json().path("code").asInt()).isEqualTo(6); // ALREADY_EXISTS
  }

  @Test
  void unknownApiPathIsAJson404ThatNeverReachesTheLibrary() {
    Answer answer = gateway.get("/api/v1/no-such-thing");

    assertThat(answer.status()).isEqualTo(404);
    assertThat(answer.isJson()).as(answer.contentType()).isTrue();
    assertThat(answer.json().path("code").asInt()).isEqualTo(5);
  }

  @Test
  void listenerAndRoutesArrivedByXdsAndWereAccepted() {
    EnvoyAdmin admin = stack.envoy().admin();

    JsonNode listeners = admin.configDump("dynamic_listeners").path("configs");
    assertThat(listeners).isNotEmpty();
    for (JsonNode listener : listeners) {
      assertThat(listener.path("active_state").path("version_info").asText()).isNotBlank();
      assertThat(listener.has("error_state")).as(listener.toString()).isFalse();
    }
    JsonNode routes = admin.configDump("dynamic_route_configs").path("configs");
    assertThat(routes).isNotEmpty();
    assertThat(routes.get(0).path("version_info").asText()).isNotBlank();
    assertThat(routes.toString()).contains("/api/v1/books");
    assertThat(admin.statOrZero("listener_manager.lds.update_rejected")).isZero();
    assertThat(admin.statOrZero("cluster_manager.cds.update_rejected")).isZero();
    assertThat(admin.statOrZero("control_plane.connected_state")).isEqualTo(1);
    // nothing but the xDS cluster is static
    JsonNode staticClusters = admin.configDump("static_clusters").path("configs");
    assertThat(staticClusters).hasSize(1);
    assertThat(staticClusters.get(0).path("cluster").path("name").asText()).isEqualTo(EnvoyBootstrap.XDS_CLUSTER);
  }

  private static String uniqueName(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
