package io.voyager.bdk.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Renders the project's Envoy bootstrap ({@code envoy/bootstrap.yaml}, packaged on the classpath
 * as {@code /envoy/bootstrap.yaml}) with the ports of one stack: node id, the port of the static
 * {@code xds_cluster} endpoint, the admin port and the directory of Envoy's filesystem-SDS files
 * (its mutual-TLS client certificate and the internal CA; {@link LocalTls#writeEnvoySds}), and
 * optionally the ADS protocol ({@link #withAdsApiType}). Everything else stays exactly as in the
 * file, which remains the single source of truth.
 */
public final class EnvoyBootstrap {
  public static final String RESOURCE = "/envoy/bootstrap.yaml";
  public static final String XDS_CLUSTER = "xds_cluster";
  /** Where the template expects the SDS files (the k8s/deploy mount). */
  public static final String TEMPLATE_SDS_DIR = "/etc/envoy/sds";

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));

  private EnvoyBootstrap() {}

  /** The packaged bootstrap, as written in {@code envoy/bootstrap.yaml}. */
  public static String template() {
    try (InputStream in = EnvoyBootstrap.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath (built from envoy/bootstrap.yaml)");
      }
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@link #template()} rendered for one gateway (pure apart from reading the resource); SDS files where the template says. */
  public static String render(String nodeId, int xdsPort, int adminPort) {
    return render(template(), nodeId, xdsPort, adminPort, TEMPLATE_SDS_DIR);
  }

  /** {@link #template()} rendered for one gateway whose SDS files are in {@code sdsDir}. */
  public static String render(String nodeId, int xdsPort, int adminPort, java.nio.file.Path sdsDir) {
    return render(template(), nodeId, xdsPort, adminPort, sdsDir.toAbsolutePath().toString());
  }

  /** Pure: {@code templateYaml} with node id, xDS endpoint port and admin port replaced. */
  public static String render(String templateYaml, String nodeId, int xdsPort, int adminPort) {
    return render(templateYaml, nodeId, xdsPort, adminPort, TEMPLATE_SDS_DIR);
  }

  /**
   * Pure: {@code templateYaml} with node id, xDS endpoint port, admin port and the SDS directory
   * ({@value #TEMPLATE_SDS_DIR} in every path of the xDS cluster's TLS) replaced.
   */
  public static String render(String templateYaml, String nodeId, int xdsPort, int adminPort, String sdsDir) {
    if (nodeId == null || nodeId.isBlank()) {
      throw new IllegalArgumentException("nodeId must not be blank");
    }
    try {
      ObjectNode root = (ObjectNode) YAML.readTree(templateYaml);
      ((ObjectNode) required(root, "node")).put("id", nodeId);
      socketAddress(required(required(root, "admin"), "address")).put("port_value", adminPort);
      JsonNode xdsCluster = null;
      for (JsonNode cluster : required(required(root, "static_resources"), "clusters")) {
        if (XDS_CLUSTER.equals(cluster.path("name").asText())) {
          xdsCluster = cluster;
        }
      }
      if (xdsCluster == null) {
        throw new IllegalArgumentException("bootstrap has no static cluster named " + XDS_CLUSTER);
      }
      JsonNode lbEndpoints = required(required(xdsCluster, "load_assignment"), "endpoints").path(0).path("lb_endpoints");
      if (lbEndpoints.size() != 1) {
        throw new IllegalArgumentException(XDS_CLUSTER + " must have exactly one endpoint, has " + lbEndpoints.size());
      }
      socketAddress(required(required(lbEndpoints.get(0), "endpoint"), "address")).put("port_value", xdsPort);
      JsonNode tls = xdsCluster.get("transport_socket");
      if (tls != null) {
        replacePaths(tls, TEMPLATE_SDS_DIR, sdsDir);
      }
      return YAML.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalArgumentException("bootstrap is not valid YAML: " + e.getMessage(), e);
    }
  }

  /**
   * Pure: {@code bootstrapYaml} with {@code dynamic_resources.ads_config.api_type} set to
   * {@code apiType} (state-of-the-world or delta xDS); nothing else changes.
   */
  public static String withAdsApiType(String bootstrapYaml, AdsApiType apiType) {
    try {
      ObjectNode root = (ObjectNode) YAML.readTree(bootstrapYaml);
      ((ObjectNode) required(required(root, "dynamic_resources"), "ads_config")).put("api_type", apiType.name());
      return YAML.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalArgumentException("bootstrap is not valid YAML: " + e.getMessage(), e);
    }
  }

  /** Every text field under {@code node} that starts with {@code from} starts with {@code to} instead. */
  private static void replacePaths(JsonNode node, String from, String to) {
    if (node instanceof ObjectNode object) {
      var fields = object.fields();
      List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
      fields.forEachRemaining(entries::add);
      for (var entry : entries) {
        JsonNode value = entry.getValue();
        if (value.isTextual() && value.asText().startsWith(from)) {
          object.put(entry.getKey(), to + value.asText().substring(from.length()));
        } else {
          replacePaths(value, from, to);
        }
      }
    } else if (node != null && node.isArray()) {
      node.forEach(child -> replacePaths(child, from, to));
    }
  }

  private static ObjectNode socketAddress(JsonNode address) {
    return (ObjectNode) required(address, "socket_address");
  }

  private static JsonNode required(JsonNode node, String field) {
    JsonNode child = node.get(field);
    if (child == null || child.isNull()) {
      throw new IllegalArgumentException("bootstrap is missing field " + field);
    }
    return child;
  }
}
