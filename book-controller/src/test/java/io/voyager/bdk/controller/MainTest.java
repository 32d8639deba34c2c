package io.voyager.bdk.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(RealApiServer.class)
class MainTest {
  static final String NS = "customer-main";
  static KubernetesClient client;
  static RealApiServer.KubeConfigYaml kubeConfig;

  @BeforeAll
  static void seed(KubernetesClient apiServer, RealApiServer.KubeConfigYaml yaml) {
    client = apiServer;
    kubeConfig = yaml;
    Fixtures.namespace(client, NS);
    Fixtures.applyBook(client, Fixtures.book(Fixtures.BOOK));
  }

  @Test
  void startsFromFlagsServesHealthAndOperatorMetricsAndReconciles(@TempDir Path dir) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeConfig.yaml());

    try (AutoCloseable running = Main.start("--kubeconfig", kubeconfig.toString(), "--admin-port", "0",
        "--admin-host", "127.0.0.1", "--lease-name", "book-controller-main-test", "--identity", "main-test",
        "--exit-on-lost-leadership=false", "--image-registry", "mirror.local:5000",
        "--runtime-image", "python=voyager/book-runtime-python:3.11")) {
      ControllerHarness.create(client, Fixtures.instance("via-main", Fixtures.spec(NS, "primary")));
      var d = ControllerHarness.awaitDeployment(client, NS, "via-main");
      assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
          .isEqualTo("mirror.local:5000/voyager/book-runtime-python:3.11");
      int port = adminPort();
      HttpClient http = HttpClient.newHttpClient();
      assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      await().atMost(ControllerHarness.WAIT).until(() -> http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body().contains("operator_sdk_reconciliations"));
      ControllerHarness.deleteAllInstances(client);
    }
  }

  /** The port Main bound for --admin-port 0. */
  private static int adminPort() {
    return Main.lastAdminPort();
  }
}
