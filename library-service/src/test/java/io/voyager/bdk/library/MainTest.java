package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import io.voyager.bdk.library.v1.BookLibraryGrpc;
import io.voyager.bdk.library.v1.CreateBookRequest;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service contract: Main.start with a kubeconfig and explicit ports returns when ready. */
@EnableKubernetesMockClient(crud = true)
class MainTest {

  KubernetesClient client;

  @Test
  void startsServesHealthMetricsAndTheApiThenStops(@TempDir Path dir) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster: {server: "%s", insecure-skip-tls-verify: true}
        users:
        - name: mock
          user: {token: test}
        contexts:
        - name: mock
          context: {cluster: mock, user: mock, namespace: default}
        current-context: mock
        """.formatted(client.getConfiguration().getMasterUrl()));
    int grpcPort = freePort();
    int adminPort = freePort();
    try (AutoCloseable running = Main.start("--kubeconfig", kubeconfig.toString(),
        "--grpc-port", String.valueOf(grpcPort), "--admin-port", String.valueOf(adminPort), "--admin-host", "127.0.0.1")) {
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
      try {
        assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.newBuilder()
            .setService(BookLibraryGrpc.SERVICE_NAME).build()).getStatus()).isEqualTo(ServingStatus.SERVING);
        AtomicReference<Metadata> headers = new AtomicReference<>();
        var stub = BookLibraryGrpc.newBlockingStub(ClientInterceptors.intercept(channel,
            MetadataUtils.newCaptureMetadataInterceptor(headers, new AtomicReference<>())));
        stub.createBook(CreateBookRequest.newBuilder().setName("hello").setVersion("1.0.0").build());
        assertThat(headers.get().get(CreatedStatusInterceptor.HTTP_STATUS)).isEqualTo("201");
      } finally {
        channel.shutdownNow();
      }
      HttpClient http = HttpClient.newHttpClient();
      assertThat(get(http, adminPort, "/readyz").statusCode()).isEqualTo(200);
      HttpResponse<String> metrics = get(http, adminPort, "/metrics");
      assertThat(metrics.body()).contains("bdk_library_books{service=\"library-service\"} 1.0")
          .contains("bdk_library_instances{service=\"library-service\"} 0.0")
          .contains("grpc_server_processing_duration_seconds_count{method=\"CreateBook\"");
    }
    try (ServerSocket again = new ServerSocket(grpcPort)) {
      assertThat(again.getLocalPort()).as("gRPC port released on close").isEqualTo(grpcPort);
    }
  }

  private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
