package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EnvoyBootstrapTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void projectBootstrapHasOnlyTheXdsClusterAndAdsForListenersAndClusters() throws Exception {
    JsonNode bootstrap = YAML.readTree(EnvoyBootstrap.template());

    assertThat(bootstrap.at("/node/cluster").asText()).isEqualTo("bdk-gateway");
    assertThat(bootstrap.at("/node/id").asText()).isEqualTo("gateway-local");
    assertThat(bootstrap.at("/admin/address/socket_address/address").asText()).isEqualTo("127.0.0.1");
    assertThat(bootstrap.at("/admin/address/socket_address/port_value").asInt()).isEqualTo(9901);
    assertThat(bootstrap.at("/static_resources/listeners").isMissingNode()).isTrue();
    assertThat(bootstrap.at("/static_resources/clusters")).hasSize(1);
    JsonNode xds = bootstrap.at("/static_resources/clusters/0");
    assertThat(xds.path("name").asText()).isEqualTo("xds_cluster");
    assertThat(xds.at("/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address/port_value").asInt())
        .isEqualTo(18000);
    assertThat(xds.at("/typed_extension_protocol_options").toString()).contains("http2_protocol_options");
    assertThat(bootstrap.at("/dynamic_resources/ads_config/api_type").asText()).as("delta xDS, the default").isEqualTo("DELTA_GRPC");
    assertThat(bootstrap.at("/dynamic_resources/ads_config/transport_api_version").asText()).isEqualTo("V3");
    // Envoy reads the ADS stream's reconnect backoff from envoy_grpc.retry_policy of the first gRPC service.
    JsonNode backOff = bootstrap.at("/dynamic_resources/ads_config/grpc_services/0/envoy_grpc/retry_policy/retry_back_off");
    assertThat(backOff.path("base_interval").asText()).as("ADS reconnect backoff base").isEqualTo("0.5s");
    assertThat(backOff.path("max_interval").asText()).as("ADS reconnect backoff bound").isEqualTo("5s");
    assertThat(bootstrap.at("/dynamic_resources/lds_config/resource_api_version").asText()).isEqualTo("V3");
    assertThat(bootstrap.at("/dynamic_resources/lds_config/ads").isObject()).isTrue();
    assertThat(bootstrap.at("/dynamic_resources/cds_config/resource_api_version").asText()).isEqualTo("V3");
    assertThat(bootstrap.at("/dynamic_resources/cds_config/ads").isObject()).isTrue();
  }

  @Test
  void renderReplacesNodeIdXdsPortAndAdminPortOnly() throws Exception {
    JsonNode original = YAML.readTree(EnvoyBootstrap.template());
    JsonNode rendered = YAML.readTree(EnvoyBootstrap.render("gw-7", 28000, 0));

    assertThat(rendered.at("/node/id").asText()).isEqualTo("gw-7");
    assertThat(rendered.at("/admin/address/socket_address/port_value").asInt()).isZero();
    assertThat(rendered.at(
        "/static_resources/clusters/0/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address/port_value")
        .asInt()).isEqualTo(28000);
    // everything else untouched
    assertThat(rendered.at("/dynamic_resources")).isEqualTo(original.at("/dynamic_resources"));
    assertThat(rendered.at("/node/cluster")).isEqualTo(original.at("/node/cluster"));
  }

  @Test
  void renderRejectsABootstrapWithoutTheXdsCluster() {
    String noXds = """
        node: {id: a, cluster: b}
        admin: {address: {socket_address: {address: 127.0.0.1, port_value: 1}}}
        static_resources: {clusters: [{name: other}]}
        """;
    assertThatThrownBy(() -> EnvoyBootstrap.render(noXds, "n", 1, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("xds_cluster");
    assertThatThrownBy(() -> EnvoyBootstrap.render(EnvoyBootstrap.template(), " ", 1, 2))
        .hasMessageContaining("nodeId");
  }

  @Test
  void withAdsApiTypeChangesOnlyTheAdsApiType() throws Exception {
    JsonNode original = YAML.readTree(EnvoyBootstrap.render("gw-7", 28000, 0));
    JsonNode sotw = YAML.readTree(EnvoyBootstrap.withAdsApiType(EnvoyBootstrap.render("gw-7", 28000, 0), AdsApiType.GRPC));

    assertThat(sotw.at("/dynamic_resources/ads_config/api_type").asText()).isEqualTo("GRPC");
    ((com.fasterxml.jackson.databind.node.ObjectNode) sotw.at("/dynamic_resources/ads_config")).put("api_type", "DELTA_GRPC");
    assertThat(sotw).as("everything else as rendered").isEqualTo(original);
    assertThatThrownBy(() -> EnvoyBootstrap.withAdsApiType("node: {id: a}", AdsApiType.GRPC))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dynamic_resources");
  }

  /**
   * The rendered file, with the stack's SDS files and certificates, is a bootstrap the pinned Envoy
   * accepts (envoy --mode validate), with either ADS protocol.
   */
  @ParameterizedTest
  @EnumSource(AdsApiType.class)
  void envoyAcceptsTheRenderedBootstrap(AdsApiType apiType, @TempDir Path dir) throws Exception {
    Path envoy = EnvoyBinary.locate(ProjectRoot.get());
    Path sds = LocalTls.create(dir).writeEnvoySds(dir.resolve("sds"));
    Path file = dir.resolve("bootstrap.yaml");
    String rendered = EnvoyBootstrap.withAdsApiType(EnvoyBootstrap.render("validate", 28000, 0, sds), apiType);
    assertThat(rendered).contains(sds.resolve("internal-client.yaml").toString()).doesNotContain(EnvoyBootstrap.TEMPLATE_SDS_DIR);
    Files.writeString(file, rendered);
    List<String> command = new ArrayList<>(List.of(envoy.toString(), "--mode", "validate", "-c", file.toString(),
        "--use-dynamic-base-id"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("OK");
  }

  /** The bootstrap's stats exclusion patterns (RE2; these plain ones mean the same in java.util.regex). */
  private static List<Pattern> exclusions(JsonNode bootstrap) {
    List<Pattern> patterns = new ArrayList<>();
    for (JsonNode pattern : bootstrap.at("/stats_config/stats_matcher/exclusion_list/patterns")) {
      patterns.add(Pattern.compile(pattern.at("/safe_regex/regex").asText()));
    }
    return patterns;
  }

  private static boolean excluded(List<Pattern> patterns, String stat) {
    return patterns.stream().anyMatch(p -> p.matcher(stat).matches());
  }

  @Test
  void statsExclusionKeepsWhatOperatorsAndTestsReadAndDropsPerBookStats() throws Exception {
    List<Pattern> patterns = exclusions(YAML.readTree(EnvoyBootstrap.template()));
    assertThat(patterns).isNotEmpty();
    for (String kept : List.of(
        "cluster.k8s/customer-c0001/book-00001/8080.update_success",
        "cluster.k8s/customer-c0001/book-00001/8080.update_rejected",
        "cluster.k8s/customer-c0001/book-00001/8080.version_text",
        "cluster.k8s/bdk/ext-authz/grpc.membership_healthy",
        "cluster.k8s/bdk/book-library/grpc.upstream_rq_total",
        "cluster.xds_cluster.upstream_cx_rx_bytes_total",
        "control_plane.connected_state",
        "http.bdk_http.ext_authz.error",
        "http.bdk_http.jwt_authn.jwks_fetch_failed",
        "http.bdk_http.rds.bdk-routes.update_success",
        "http.bdk_http.rds.bdk-routes.update_rejected",
        "http.bdk_http.scoped_rds.bdk-scopes.update_success",
        "http.bdk_http.rds.webhook/customer-a/book-1/github.update_rejected",
        "http.bdk_http.rds.webhook/customer-a/book-1/github.version_text")) {
      assertThat(excluded(patterns, kept)).as(kept).isFalse();
    }
    for (String dropped : List.of(
        "cluster.k8s/customer-c0001/book-00001/8080.upstream_rq_total",
        "cluster.k8s/customer-c0001/book-00001/8080.update_attempt",
        "cluster.k8s/customer-c0001/book-00001/8080.update_time",
        "cluster.k8s/customer-c0001/book-00001/8080.version",
        "cluster.k8s/customer-c0001/book-00001/8080.init_fetch_timeout",
        "cluster.k8s/customer-c0001/book-00001/8080.membership_total",
        "http.bdk_http.rds.webhook/customer-a/book-1/github.update_success",
        "http.bdk_http.rds.webhook/customer-a/book-1/github.config_reload",
        "http.bdk_http.rds.webhook/customer-a/book-1/github.version")) {
      assertThat(excluded(patterns, dropped)).as(dropped).isTrue();
    }
  }

  @Test
  void deployedBootstrapHasTheSameMemorySettingsAsTheProjectBootstrap() throws Exception {
    JsonNode project = YAML.readTree(EnvoyBootstrap.template());
    JsonNode configMap = null;
    for (JsonNode doc : YAML.readValues(YAML.getFactory().createParser(
        ProjectRoot.get().resolve("k8s/deploy/envoy.yaml").toFile()), JsonNode.class).readAll()) {
      if ("ConfigMap".equals(doc.path("kind").asText()) && "envoy-bootstrap".equals(doc.at("/metadata/name").asText())) {
        configMap = doc;
      }
    }
    assertThat(configMap).as("ConfigMap envoy-bootstrap in k8s/deploy/envoy.yaml").isNotNull();
    JsonNode deployed = YAML.readTree(configMap.at("/data/bootstrap.yaml").asText());
    for (String field : List.of("/stats_config", "/deferred_stat_options", "/cluster_manager", "/memory_allocator_manager")) {
      assertThat(project.at(field).isMissingNode()).as(field).isFalse();
      assertThat(deployed.at(field)).as(field).isEqualTo(project.at(field));
    }
  }
}
