package io.voyager.bdk.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.voyager.bdk.local.bench.WebhookPathVariant.CheckServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The webhook benchmark's second ext-authz: the stack's flags on its own ports, exactly one thing changed. */
class WebhookPathVariantTest {
  private static final List<String> STACK_ARGS = List.of("--kubeconfig", "/run/kubeconfig", "--grpc-host", "127.0.0.1",
      "--grpc-port", "4001", "--admin-host", "127.0.0.1", "--admin-port", "4002", "--tls-cert-file", "/tls/ext-authz.crt",
      "--tls-key-file", "/tls/ext-authz.key", "--tls-client-ca-file", "/tls/ca.crt", "--nats-url", "nats://127.0.0.1:4222");

  @Test
  void thePlaintextServerDropsTheTlsFlagsOnlyAndKeepsTheSharedState() {
    assertThat(CheckServer.PLAINTEXT.args(STACK_ARGS, 5001, 5002)).containsExactly("--kubeconfig", "/run/kubeconfig",
        "--grpc-host", "127.0.0.1", "--grpc-port", "5001", "--admin-host", "127.0.0.1", "--admin-port", "5002",
        "--nats-url", "nats://127.0.0.1:4222", "--plaintext");
  }

  @Test
  void theInMemoryServerDropsTheNatsUrlOnlyAndKeepsMutualTls() {
    assertThat(CheckServer.STATE_IN_MEMORY.args(STACK_ARGS, 5001, 5002)).containsExactly("--kubeconfig", "/run/kubeconfig",
        "--grpc-host", "127.0.0.1", "--grpc-port", "5001", "--admin-host", "127.0.0.1", "--admin-port", "5002",
        "--tls-cert-file", "/tls/ext-authz.crt", "--tls-key-file", "/tls/ext-authz.key", "--tls-client-ca-file", "/tls/ca.crt");
  }

  @Test
  void theVariantsNameTheirServer() {
    assertThat(WebhookPathVariant.of("check-plaintext").checkServer).isEqualTo(CheckServer.PLAINTEXT);
    assertThat(WebhookPathVariant.of("check-state-in-memory").checkServer).isEqualTo(CheckServer.STATE_IN_MEMORY);
    assertThat(WebhookPathVariant.of("static").checkServer).isEqualTo(CheckServer.STACK);
  }

  @Test
  void flagsWithoutTheServersPortsAreRefused() {
    assertThatThrownBy(() -> CheckServer.PLAINTEXT.args(List.of("--kubeconfig", "/k"), 5001, 5002))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--grpc-port");
    assertThatThrownBy(() -> CheckServer.STACK.args(STACK_ARGS, 5001, 5002)).isInstanceOf(IllegalStateException.class);
  }
}
