package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1alpha.ServerReflectionGrpc;
import io.grpc.reflection.v1alpha.ServerReflectionRequest;
import io.grpc.reflection.v1alpha.ServerReflectionResponse;
import io.grpc.reflection.v1alpha.ServiceResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.voyager.bdk.support.Kubeconfig;
import io.voyager.bdk.support.LoopbackPorts;
import io.voyager.bdk.support.auth.TestIssuer;
import io.voyager.bdk.library.v1.BookLibraryGrpc;
import io.voyager.bdk.library.v1.CreateBookRequest;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service contract: Main.start with a kubeconfig, the JWT flags (here a JWKS in a ConfigMap)
 * and explicit ports returns when ready; health and reflection answer without a token, the API
 * only with one.
 */
@EnableKubernetesMockClient(crud = true)
class MainTest {

  KubernetesClient client;

  @Test
  void refusesToStartWithoutTheJwtFlags(@TempDir Path dir) throws Exception {
    Path kubeconfig = kubeconfig(dir);
    assertThatThrownBy(() -> Main.start("--kubeconfig", kubeconfig.toString(), "--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jwks-uri, jwks-secret, jwks-configmap: exactly one JWKS source is required, got 0");
    assertThatThrownBy(() -> Main.start("--kubeconfig", kubeconfig.toString(), "--grpc-port", "0", "--admin-port", "0",
        "--jwks-configmap", "bdk/bdk-jwks", "--jwt-audience", TestIssuer.AUDIENCE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("jwt-issuer: is required");
  }

  @Test
  void startsServesHealthMetricsAndTheApiThenStops(@TempDir Path dir) throws Exception {
    client.configMaps().inNamespace("bdk").resource(new ConfigMapBuilder().withNewMetadata().withName("bdk-jwks")
        .withNamespace("bdk").endMetadata().withData(Map.of("jwks.json", LibraryHarness.ISSUER.publicJwksJson())).build()).create();
    startAndUse(kubeconfig(dir));
  }

  private Path kubeconfig(Path dir) throws IOException {
    return Kubeconfig.write(dir.resolve("kubeconfig"), client.getConfiguration().getMasterUrl(), "default");
  }

  private void startAndUse(Path kubeconfig) throws Exception {
    int grpcPort = freePort();
    int adminPort = freePort();
    try (AutoCloseable running = Main.start("--kubeconfig", kubeconfig.toString(), "--plaintext",
        "--grpc-port", String.valueOf(grpcPort), "--admin-port", String.valueOf(adminPort), "--admin-host", "127.0.0.1",
        "--jwt-issuer", TestIssuer.ISSUER, "--jwt-audience", TestIssuer.AUDIENCE, "--jwks-configmap", "bdk/bdk-jwks")) {
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
      try {
        // Kubernetes probes and grpcurl need no token
        assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.newBuilder()
            .setService(BookLibraryGrpc.SERVICE_NAME).build()).getStatus()).isEqualTo(ServingStatus.SERVING);
        assertThat(reflectedServices(channel)).contains(BookLibraryGrpc.SERVICE_NAME, "grpc.health.v1.Health");
        // direct gRPC without a token: refused
        StatusRuntimeException anonymous = catchThrowableOfType(StatusRuntimeException.class, () -> BookLibraryGrpc
            .newBlockingStub(channel).createBook(CreateBookRequest.newBuilder().setName("hello").setVersion("1.0.0").build()));
        assertThat(anonymous.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        // with one (verified against the JWKS of the ConfigMap)
        Metadata bearer = new Metadata();
        bearer.put(AuthenticationInterceptor.AUTHORIZATION, "Bearer " + LibraryHarness.PLATFORM_ADMIN.token());
        AtomicReference<Metadata> headers = new AtomicReference<>();
        var stub = BookLibraryGrpc.newBlockingStub(ClientInterceptors.intercept(channel,
            MetadataUtils.newCaptureMetadataInterceptor(headers, new AtomicReference<>()),
            MetadataUtils.newAttachHeadersInterceptor(bearer)));
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
            stub.createBook(CreateBookRequest.newBuilder().setName("hello").setVersion("1.0.0").build()) != null);
        assertThat(headers.get().get(CreatedStatusInterceptor.HTTP_STATUS)).isEqualTo("201");
      } finally {
        channel.shutdownNow();
      }
      HttpClient http = HttpClient.newHttpClient();
      assertThat(get(http, adminPort, "/readyz").statusCode()).isEqualTo(200);
      HttpResponse<String> metrics = get(http, adminPort, "/metrics");
      assertThat(metrics.body()).contains("bdk_library_books{service=\"library-service\"} 1.0")
          .contains("bdk_library_instances{service=\"library-service\"} 0.0")
          .contains("grpc_server_processing_duration_seconds_count{method=\"CreateBook\"")
          .contains("bdk_library_audit_total{method=\"CreateBook\",outcome=\"OK\",service=\"library-service\"} 1.0")
          .contains("bdk_library_audit_total{method=\"CreateBook\",outcome=\"UNAUTHENTICATED\",service=\"library-service\"} 1.0");
    }
    try (ServerSocket again = new ServerSocket(grpcPort)) {
      assertThat(again.getLocalPort()).as("gRPC port released on close").isEqualTo(grpcPort);
    }
  }

  /** The services gRPC reflection lists (list_services), asked without a token. */
  private static List<String> reflectedServices(ManagedChannel channel) throws Exception {
    CompletableFuture<List<String>> names = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(
        new StreamObserver<ServerReflectionResponse>() {
          @Override
          public void onNext(ServerReflectionResponse r) {
            names.complete(r.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList());
          }

          @Override
          public void onError(Throwable t) {
            names.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    try {
      return names.get(10, TimeUnit.SECONDS);
    } finally {
      requests.onCompleted();
    }
  }

  private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    return LoopbackPorts.freePort();
  }
}
