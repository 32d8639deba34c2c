package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Envoy on state-of-the-world xDS ({@code api_type: GRPC}) against an xds-server on the
 * scoped route layout, which serves route scopes over delta only: the pairing the local stack
 * refuses, made here by rewriting the xds-server's {@code --route-layout}. The xds-server cannot
 * serve that Envoy, and says so: {@code /debug/sync} lists the stream under
 * {@code protocol_mismatches} with the fix, and gauge {@code bdk_xds_envoy_protocol_mismatch} counts it.
 */
class ProtocolMismatchEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path runDir;
  static LocalStack stack;

  @BeforeAll
  static void startStack() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-protocol-mismatch")
        .adsApiType(AdsApiType.GRPC)
        .without(Component.CONTROLLER, Component.LOCAL_RUNTIME, Component.RELAY)
        .starter(Component.XDS, args -> Component.XDS.starter().start(scoped(args)))
        .awaitGatewayListener(false)
        .envoyTimeout(WAIT)
        .start();
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  /** The stack's xds-server arguments with {@code --route-layout scoped} instead of {@code single}. */
  static String[] scoped(String[] args) {
    List<String> out = new ArrayList<>(List.of(args));
    int at = out.indexOf("--route-layout");
    assertThat(at).as("the stack names the layout").isNotNegative();
    out.set(at + 1, "scoped");
    return out.toArray(String[]::new);
  }

  @Test
  void aStateOfTheWorldEnvoyUnderTheScopedLayoutIsReportedWithTheFix() throws Exception {
    await("the mismatch on /debug/sync").atMost(WAIT).untilAsserted(() -> {
      JsonNode mismatches = JSON.readTree(xdsAdmin("/debug/sync")).path("protocol_mismatches");
      assertThat(mismatches).hasSize(1);
      JsonNode row = mismatches.path(0);
      assertThat(row.path("node").asText()).isEqualTo("e2e-protocol-mismatch");
      assertThat(row.path("protocol").asText()).isEqualTo("sotw");
      assertThat(row.path("reason").asText()).contains("route layout scoped", "DELTA_GRPC", "--route-layout single");
    });
    assertThat(xdsAdmin("/metrics")).containsPattern("(?m)^bdk_xds_envoy_protocol_mismatch(\\{[^}]*\\})? 1\\.0$");
  }

  private static String xdsAdmin(String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://" + LocalStack.LOCALHOST + ":" + stack.ports().xdsAdmin() + path))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return response.body();
  }
}
