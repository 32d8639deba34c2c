package io.voyager.bdk.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.voyager.bdk.model.BdkLabels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class MainTest {
  KubernetesClient client;

  @Test
  void startsFromFlagsServesHealthAndOperatorMetricsAndReconciles(@TempDir Path dir) throws Exception {
    Fixtures.namespace(client, BdkLabels.BDK_NAMESPACE);
    Fixtures.namespace(client, "customer-acme");
    client.resource(Fixtures.book(Fixtures.BOOK)).create();
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters: [{name: mock, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
        users: [{name: mock, user: {token: test}}]
        contexts: [{name: mock, context: {cluster: mock, user: mock, namespace: bdk}}]
        current-context: mock
        """.formatted(client.getConfiguration().getMasterUrl()));

    try (AutoCloseable running = Main.start("--kubeconfig", kubeconfig.toString(), "--admin-port", "0",
        "--admin-host", "127.0.0.1", "--leader-election=false", "--image-registry", "mirror.local:5000",
        "--runtime-image", "python=voyager/book-runtime-python:3.11")) {
      ControllerHarness.create(client, Fixtures.instance("via-main", Fixtures.spec("customer-acme", "primary")));
      var d = ControllerHarness.awaitDeployment(client, "customer-acme", "via-main");
      assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
          .isEqualTo("mirror.local:5000/voyager/book-runtime-python:3.11");
      int port = adminPort();
      HttpClient http = HttpClient.newHttpClient();
      assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      await().atMost(ControllerHarness.WAIT).until(() -> http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body().contains("operator_sdk_reconciliations"));
    }
  }

  /** The port Main bound for --admin-port 0. */
  private static int adminPort() {
    return Main.lastAdminPort();
  }
}
