package io.voyager.bdk.localruntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.voyager.bdk.support.Kubeconfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@EnableKubernetesMockClient(crud = true)
class MainTest {
  KubernetesClient client;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void quiet() {
    QuietMockServer.apply();
  }

  @Test
  void startsFromAKubeconfigAndListsItsBackendsOnTheAdminPort(@TempDir Path dir) throws Exception {
    Path kubeconfig = Kubeconfig.write(dir.resolve("kubeconfig"), client.getMasterUrl().toString(), "default");

    try (LocalRuntimeService service =
        Main.start("--kubeconfig", kubeconfig.toString(), "--admin-port", "0", "--debounce-ms", "20")) {
      client.resource(Fixtures.deployment("customer-main", "book", 1)).create();
      client.resource(Fixtures.service("customer-main", "book", "book")).create();

      await().atMost(Duration.ofSeconds(15)).until(() -> service.runtime().backendPort("customer-main", "book") > 0);
      HttpResponse<String> backends = get(service.adminPort(), "/debug/backends");
      assertThat(backends.statusCode()).isEqualTo(200);
      assertThat(backends.body()).contains("\"namespace\":\"customer-main\"", "\"deployment\":\"book\"");
      assertThat(get(service.adminPort(), "/metrics").body()).contains("bdk_local_runtime_backends");
      assertThat(get(service.adminPort(), "/readyz").statusCode()).isEqualTo(200);

      HttpResponse<String> missing = post(service.adminPort(), "/debug/backends/stop?namespace=customer-main");
      assertThat(missing.statusCode()).isEqualTo(400);
      assertThat(missing.body()).contains("deployment");
      assertThat(get(service.adminPort(), "/debug/backends/stop?namespace=customer-main&deployment=book").statusCode())
          .isEqualTo(405);
      assertThat(service.runtime().backendPort("customer-main", "book")).isPositive();

      assertThat(post(service.adminPort(), "/debug/backends/stop?namespace=customer-main&deployment=book").statusCode())
          .isEqualTo(202);
      await().atMost(Duration.ofSeconds(15)).until(() -> service.runtime().backendPort("customer-main", "book") == -1);
      assertThat(post(service.adminPort(), "/debug/backends/start?namespace=customer-main&deployment=book").statusCode())
          .isEqualTo(202);
      await().atMost(Duration.ofSeconds(15)).until(() -> service.runtime().backendPort("customer-main", "book") > 0);
    }
  }

  private HttpResponse<String> post(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void rejectsANonPositiveDebounceNamingTheFlag() {
    assertThatThrownBy(() -> Main.start("--debounce-ms", "0", "--admin-port", "0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--debounce-ms");
  }

  @Test
  void rejectsAnUnknownFlag() {
    assertThatThrownBy(() -> Main.start("--no-such-flag"))
        .isInstanceOf(CommandLine.UnmatchedArgumentException.class)
        .hasMessageContaining("--no-such-flag");
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
