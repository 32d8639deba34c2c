package io.voyager.bdk.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.voyager.bdk.local.EnvoyBinary;
import io.voyager.bdk.local.LocalTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The GetBook benchmark's REST variants: each changes what it says, keeps the rest, and a real Envoy takes it. */
class RestPathVariantTest {
  @TempDir Path dir;

  @Test
  void theControlIsTheTranslationWithTheClientLimitAndThePackagedBootstrapOptions() throws Exception {
    String bootstrap = RestPathVariant.STATIC.bootstrap(AuthOffBootstrapTest.resources());

    assertThat(bootstrap).contains("envoy.filters.http.local_ratelimit", "local_ratelimit.v3.LocalRateLimit", "jwt_authn.v3",
            "lua.v3.LuaPerRoute", "grpc_json_transcoder", "header_mutation.v3.HeaderMutationPerRoute", "envoy.access_loggers.stdout",
            "\"stats_config\"", "\"memory_allocator_manager\"", "\"deferred_stat_options\"", "\"layered_runtime\"")
        .doesNotContain("xds.type.v3.TypedStruct", "\"max_tokens\":1.0E9", "\"ads_config\"");
  }

  @Test
  void eachVariantTakesOutItsPieceOnly() throws Exception {
    var resources = AuthOffBootstrapTest.resources();

    assertThat(RestPathVariant.NO_CLIENT_LIMIT.bootstrap(resources)).doesNotContain("local_ratelimit").contains("jwt_authn.v3");
    assertThat(RestPathVariant.NO_LUA.bootstrap(resources)).doesNotContain("lua.v3.LuaPerRoute").contains("jwt_authn.v3");
    assertThat(RestPathVariant.NO_JWT.bootstrap(resources)).doesNotContain("jwt_authn.v3").contains("lua.v3.LuaPerRoute");
    assertThat(RestPathVariant.NO_ACCESS_LOG.bootstrap(resources)).doesNotContain("envoy.access_loggers.stdout", "envoy.access_loggers.http_grpc")
        .contains("jwt_authn.v3");
    assertThat(RestPathVariant.NO_STATS_MATCHER.bootstrap(resources)).doesNotContain("\"stats_config\"")
        .contains("\"memory_allocator_manager\"");
    // the routes' transcoder configs change; the listener's (disabled, never used by a route that has its own) stays
    assertThat(count(RestPathVariant.TRANSCODER_NO_STATUS.bootstrap(resources), "\"convertGrpcStatus\":true"))
        .isLessThan(count(RestPathVariant.STATIC.bootstrap(resources), "\"convertGrpcStatus\":true"));
    assertThat(count(RestPathVariant.TRANSCODER_NO_STATUS.bootstrap(resources), "\"matchIncomingRequestRoute\":true"))
        .isEqualTo(count(RestPathVariant.STATIC.bootstrap(resources), "\"matchIncomingRequestRoute\":true"));
    assertThat(RestPathVariant.TRANSCODER_ONLY.bootstrap(resources))
        .doesNotContain("jwt_authn.v3", "lua.v3.LuaPerRoute", "envoy.access_loggers.stdout", "HeaderMutationPerRoute").contains("grpc_json_transcoder");
  }

  private static int count(String text, String part) {
    return text.split(Pattern.quote(part), -1).length - 1;
  }

  @Test
  void anUnknownVariantIsRefusedNamingTheKnownOnes() {
    assertThatThrownBy(() -> RestPathVariant.of("no-envoy")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'no-envoy'").hasMessageContaining("no-lua").hasMessageContaining("transcoder-only");
  }

  @ParameterizedTest
  @EnumSource(RestPathVariant.class)
  void aRealEnvoyAcceptsEachVariant(RestPathVariant variant) throws Exception {
    String sds = LocalTls.create(dir).writeEnvoySds(dir.resolve("sds")).toString();
    Path file = dir.resolve("bootstrap.json");
    Files.writeString(file, variant.bootstrap(AuthOffBootstrapTest.resources(sds)));
    Path root = Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    Process envoy = new ProcessBuilder(EnvoyBinary.locate(root).toString(), "--mode", "validate", "-c", file.toString(),
        "--use-dynamic-base-id").redirectErrorStream(true).start();
    String output = new String(envoy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(envoy.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(envoy.exitValue()).as(output).isZero();
  }
}
