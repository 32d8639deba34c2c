package io.voyager.bdk.extauthz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.voyager.bdk.support.Kubeconfig;
import io.voyager.bdk.support.LoopbackPorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The service contract: start(args) returns when serving, close() stops; bad flags are clear errors. */
@EnableKubernetesMockClient(crud = true)
class MainTest {
  KubernetesClient client;

  @TempDir
  Path dir;

  Path kubeconfig() throws Exception {
    return Kubeconfig.write(dir.resolve("kubeconfig"), client.getConfiguration().getMasterUrl(), "default");
  }

  static int freePort() throws Exception {
    return LoopbackPorts.freePort();
  }

  @Test
  void startsServesAdminEndpointsAndStops() throws Exception {
    int admin = freePort();
    try (AutoCloseable running = Main.start("--kubeconfig", kubeconfig().toString(), "--plaintext", "--grpc-port", "0",
        "--admin-port", Integer.toString(admin), "--admin-host", "127.0.0.1")) {
      HttpResponse<String> metrics = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("bdk_extauthz_watched_secrets")
          .contains("bdk_extauthz_replay_memory_bytes{").contains("bdk_extauthz_replay_memory_budget_bytes{service=\"ext-authz\"} 1.34217728E8")
          .contains("bdk_extauthz_replay_evictions_total{limit=\"endpoint_share\",service=\"ext-authz\"} 0.0")
          .contains("bdk_extauthz_replay_evictions_total{limit=\"memory_budget\",service=\"ext-authz\"} 0.0")
          .contains("bdk_extauthz_secret_reads_total");
    }
  }

  @Test
  void mutualTlsIsRequiredUnlessPlaintextIsAskedFor() {
    assertThatThrownBy(() -> Main.start("--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageStartingWith("--tls-cert-file: required");
  }

  @Test
  void invalidDefaultsAreAParameterError() {
    assertThatThrownBy(() -> Main.start("--default-burst", "0", "--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("burst");
  }

  @Test
  void defaultsBeyondTheWebhookCapsNameTheFlag() {
    assertThatThrownBy(() -> Main.start("--default-tolerance-seconds", "7200", "--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--default-tolerance-seconds must be from 1 to 3600");
    assertThatThrownBy(() -> Main.start("--default-rate-per-second", "1000", "--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--default-rate-per-second");
    assertThatThrownBy(() -> Main.start("--replay-memory-bytes", "1000", "--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--replay-memory-bytes");
  }

  @Test
  void sharedStateFlagsNameTheFlag() {
    String nats = "nats://127.0.0.1:4222";
    assertThatThrownBy(() -> Main.start("--nats-url", nats, "--state-replicas", "2", "--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--state-replicas must be 1, 3 or 5");
    assertThatThrownBy(() -> Main.start("--nats-url", nats, "--state-timeout", "soon", "--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--state-timeout");
    assertThatThrownBy(() -> Main.start("--nats-url", nats, "--state-timeout", "60s", "--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("at most 30s");
    assertThatThrownBy(() -> Main.start("--nats-url", nats, "--replay-kv-max-bytes", "1000", "--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--replay-kv-max-bytes");
    assertThatThrownBy(() -> Main.start("--nats-url", "nats://[broken", "--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--nats-url");
    assertThatThrownBy(() -> Main.start("--nats-url", nats, "--max-checks-in-flight", "0", "--grpc-port", "0", "--admin-port", "0"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--max-checks-in-flight");
  }
}
