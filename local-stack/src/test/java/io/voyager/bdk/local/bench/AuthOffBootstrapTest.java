package io.voyager.bdk.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.local.EnvoyBinary;
import io.voyager.bdk.local.LocalTls;
import io.voyager.bdk.support.auth.DevIssuer;
import io.voyager.bdk.xds.model.EdgeSettings;
import io.voyager.bdk.xds.model.FixedEndpoint;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.JwksDocument;
import io.voyager.bdk.xds.translate.GatewayTranslator;
import io.voyager.bdk.xds.translate.XdsResources;
import io.voyager.bdk.xds.translate.XdsTranslator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's auth-off Envoy config: the translator's own, without authentication, and a real Envoy takes it. */
class AuthOffBootstrapTest {
  @TempDir Path dir;

  static XdsResources resources() {
    return resources(EdgeSettings.MutualTlsUpstreams.DEFAULT_DIRECTORY);
  }

  /** With Envoy's SDS files (client certificate, internal CA) in {@code sdsDir}. */
  static XdsResources resources(String sdsDir) {
    GatewaySettings settings = GatewaySettings.defaults()
        .withFixedEndpoints(new FixedEndpoint("127.0.0.1", 50051), new FixedEndpoint("127.0.0.1", 18010));
    settings = settings.withEdge(settings.edge().withUpstreamTls(new EdgeSettings.MutualTlsUpstreams(sdsDir)));
    JwksDocument keys = JwksDocument.parse("test", DevIssuer.generate("bdk-local", "bdk-library").publicJwks());
    return new GatewayTranslator(new XdsTranslator(settings.transcoder()))
        .translate(new GatewayInput(settings, List.of(), Map.of()).withJwks(keys)).resources();
  }

  @Test
  void sameListenerRoutesAndClustersWithoutJwtAuthnOrTheRequestGuard() throws Exception {
    String bootstrap = AuthOffBootstrap.render(resources());

    assertThat(bootstrap).doesNotContain("jwt_authn.v3", "\"name\": \"envoy.filters.http.jwt_authn\"", "envoy_on_request", "too large")
        .contains("grpc_json_transcoder", "routeConfig", "\"library-rest\"", "\"library-rest-create\"", "envoy_on_response",
            "header_mutation.v3.HeaderMutationPerRoute", "STATIC");
  }

  @Test
  void theLuaOffVariantKeepsAuthenticationAndDropsOnlyTheRoutesLua() throws Exception {
    String bootstrap = AuthOffBootstrap.renderWithoutLua(resources());

    assertThat(bootstrap).contains("jwt_authn.v3", "grpc_json_transcoder", "\"library-rest\"", "STATIC")
        .doesNotContain("lua.v3.LuaPerRoute", "local_ratelimit");
    assertThat(AuthOffBootstrap.render(resources())).contains("lua.v3.LuaPerRoute").doesNotContain("local_ratelimit");
  }

  @Test
  void aRealEnvoyAcceptsIt() throws Exception {
    validate(AuthOffBootstrap.render(resources(sdsDir())));
  }

  @Test
  void aRealEnvoyAcceptsTheLuaOffVariant() throws Exception {
    validate(AuthOffBootstrap.renderWithoutLua(resources(sdsDir())));
  }

  private String sdsDir() throws Exception {
    return LocalTls.create(dir).writeEnvoySds(dir.resolve("sds")).toString();
  }

  private void validate(String bootstrap) throws Exception {
    Path file = dir.resolve("bootstrap.json");
    Files.writeString(file, bootstrap);
    Path root = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    Process envoy = new ProcessBuilder(EnvoyBinary.locate(root).toString(), "--mode", "validate", "-c", file.toString(),
        "--use-dynamic-base-id").redirectErrorStream(true).start();
    String output = new String(envoy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(envoy.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(envoy.exitValue()).as(output).isZero();
  }
}
