package io.voyager.bdk.xds.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.transcoder.TranscoderSettings;
import io.voyager.bdk.xds.model.BookSource;
import io.voyager.bdk.xds.model.EdgeCertificate;
import io.voyager.bdk.xds.model.EdgeSettings;
import io.voyager.bdk.xds.model.EndpointSliceView;
import io.voyager.bdk.xds.model.FixedEndpoint;
import io.voyager.bdk.xds.model.GatewayInput;
import io.voyager.bdk.xds.model.GatewaySettings;
import io.voyager.bdk.xds.model.JwksDocument;
import io.voyager.bdk.xds.model.PortSelector;
import io.voyager.bdk.xds.model.ServiceKey;
import io.voyager.bdk.xds.model.ServiceRef;
import io.voyager.bdk.xds.watch.KubeViews;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One golden case of the translator: {@code translator/in/<case>.yaml}, read into the
 * {@link GatewayInput} the watcher would build from the same Kubernetes objects. The first YAML
 * document says how the gateway is set up; every further document is a Kubernetes object
 * (ExternalBookDefinition, EndpointSlice), as {@code kubectl apply} would take it. The format is
 * in {@code translator/README.md}.
 */
record TranslatorCase(String name, String description, GatewayInput input, RouteLayout routeLayout) {
  static final Path DIR = Path.of("src", "test", "resources", "translator");

  /** The same public keys in every case (no private half anywhere): see translator/README.md. */
  static final JwksDocument KEYS = JwksDocument.parse("ConfigMap bdk/bdk-jwks key jwks.json", read(DIR.resolve("jwks.json")));

  /** Placeholder PEM: the translator passes it through untouched, so no real key is needed. */
  static final EdgeCertificate.Usable EDGE_CERTIFICATE = new EdgeCertificate.Usable(
      "-----BEGIN CERTIFICATE-----\nR09MREVOIFRFU1QgT05MWTogbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
      "-----BEGIN PRIVATE KEY-----\nR09MREVOIFRFU1QgT05MWTogbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
      Instant.parse("2100-01-01T00:00:00Z"), "CN=gateway.example");

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final KubernetesSerialization KUBE = new KubernetesSerialization();
  private static final Set<String> SETTINGS_KEYS = Set.of("listener-port", "https-listener-port", "max-request-bytes",
      "edge-tls-secret", "plain-http", "upstream-tls", "envoy-sds-dir", "xff-num-trusted-hops", "library-endpoint",
      "ext-authz-endpoint", "jwks-uri", "jwks-cache-duration", "jwks-ca-file", "webhook-client-rate",
      "webhook-client-burst", "webhook-client-max-addresses", "route-layout");
  private static final Set<String> CASE_KEYS = Set.of("description", "settings", "jwks", "edge-certificate", "held-out");

  static TranslatorCase load(Path file) {
    String fileName = file.getFileName().toString();
    String name = fileName.substring(0, fileName.length() - ".yaml".length());
    List<JsonNode> documents = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(file.toFile())) {
      Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
      it.forEachRemaining(documents::add);
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
    if (documents.isEmpty() || documents.get(0).has("kind")) {
      throw new IllegalArgumentException(file + ": the first document must be the case's setup (description, settings, …)");
    }
    JsonNode setup = documents.get(0);
    setup.fieldNames().forEachRemaining(k -> {
      if (!CASE_KEYS.contains(k)) {
        throw new IllegalArgumentException(file + ": unknown key '" + k + "' (one of " + CASE_KEYS + ")");
      }
    });
    GatewaySettings settings = settings(file, setup.path("settings"));
    List<BookSource> books = new ArrayList<>();
    Map<ServiceKey, List<EndpointSliceView>> slices = new HashMap<>();
    for (JsonNode object : documents.subList(1, documents.size())) {
      String kind = object.path("kind").asText();
      String yaml = object.toString();
      switch (kind) {
        case "ExternalBookDefinition" -> books.add(KubeViews.book(KUBE.unmarshal(yaml, ExternalBookDefinition.class)));
        case "EndpointSlice" -> {
          EndpointSliceView view = KubeViews.slice(KUBE.unmarshal(yaml, EndpointSlice.class));
          if (view != null) {
            slices.computeIfAbsent(view.service(), k -> new ArrayList<>()).add(view);
          }
        }
        default -> throw new IllegalArgumentException(file + ": unsupported kind '" + kind + "'");
      }
    }
    Map<String, String> heldOut = new LinkedHashMap<>();
    setup.path("held-out").fields().forEachRemaining(e -> heldOut.put(e.getKey(), e.getValue().asText()));
    JwksDocument jwks = switch (setup.path("jwks").asText("keys")) {
      case "keys" -> KEYS;
      case "unavailable" -> JwksDocument.parse("ConfigMap bdk/bdk-jwks key jwks.json", "{\"keys\":[]}");
      case "not-read" -> JwksDocument.NOT_READ;
      default -> throw new IllegalArgumentException(file + ": jwks: keys, unavailable or not-read");
    };
    EdgeCertificate certificate = switch (setup.path("edge-certificate").asText("usable")) {
      case "usable" -> EDGE_CERTIFICATE;
      case "unusable" -> new EdgeCertificate.Unavailable("Secret bdk/bdk-edge-tls: tls.crt is missing or empty");
      case "withheld" -> new EdgeCertificate.Unavailable("Secret bdk/bdk-edge-tls: the certificate expired at 2025-01-01T00:00:00Z",
          EDGE_CERTIFICATE);
      default -> throw new IllegalArgumentException(file + ": edge-certificate: usable, unusable or withheld");
    };
    RouteLayout layout = RouteLayout.parse(setup.path("settings").path("route-layout").asText("single"));
    return new TranslatorCase(name, setup.path("description").asText(""),
        new GatewayInput(settings, books, slices, heldOut, jwks, certificate), layout);
  }

  /** The xds-server's flags (same names, same defaults) that a case may set. */
  private static GatewaySettings settings(Path file, JsonNode flags) {
    flags.fieldNames().forEachRemaining(k -> {
      if (!SETTINGS_KEYS.contains(k)) {
        throw new IllegalArgumentException(file + ": settings: unknown flag '" + k + "' (one of " + SETTINGS_KEYS + ")");
      }
    });
    GatewaySettings defaults = GatewaySettings.defaults();
    EdgeSettings d = EdgeSettings.DEFAULTS;
    String secret = flags.path("edge-tls-secret").asText("bdk/bdk-edge-tls");
    EdgeSettings.UpstreamTls upstream = switch (flags.path("upstream-tls").asText("mtls")) {
      case "mtls" -> new EdgeSettings.MutualTlsUpstreams(flags.path("envoy-sds-dir").asText(EdgeSettings.MutualTlsUpstreams.DEFAULT_DIRECTORY));
      case "off" -> new EdgeSettings.PlaintextUpstreams();
      default -> throw new IllegalArgumentException(file + ": settings: upstream-tls: mtls or off");
    };
    EdgeSettings edge = new EdgeSettings(
        flags.path("https-listener-port").asInt(d.httpsPort()),
        "none".equals(secret) ? null : EdgeSettings.SecretName.parse(secret),
        "redirect".equals(flags.path("plain-http").asText("serve")) ? EdgeSettings.PlainHttp.REDIRECT : EdgeSettings.PlainHttp.SERVE,
        flags.path("xff-num-trusted-hops").asInt(0),
        EdgeSettings.Limits.DEFAULTS,
        new EdgeSettings.ClientLimit(flags.path("webhook-client-rate").asInt(d.webhookClientLimit().requestsPerSecond()),
            flags.path("webhook-client-burst").asInt(d.webhookClientLimit().burst()),
            flags.path("webhook-client-max-addresses").asInt(d.webhookClientLimit().maxAddresses())),
        upstream);
    JwtSettings jwt = defaults.jwt();
    if (flags.has("jwks-uri")) {
      Duration cache = Duration.parse(flags.path("jwks-cache-duration").asText("PT5M"));
      jwt = new JwtSettings(jwt.issuer(), jwt.audiences(), new JwtSettings.RemoteJwks(URI.create(flags.get("jwks-uri").asText()), cache));
    }
    return new GatewaySettings(
        "127.0.0.1",
        flags.path("listener-port").asInt(defaults.listenerPort()),
        new ServiceRef("bdk", "book-library", PortSelector.named("grpc")),
        new ServiceRef("bdk", "ext-authz", PortSelector.named("grpc")),
        flags.path("max-request-bytes").asInt(defaults.maxWebhookBodyBytes()),
        TranscoderSettings.bookLibraryDefaults(),
        flags.has("library-endpoint") ? FixedEndpoint.parse(flags.get("library-endpoint").asText()) : null,
        flags.has("ext-authz-endpoint") ? FixedEndpoint.parse(flags.get("ext-authz-endpoint").asText()) : null,
        jwt,
        flags.path("jwks-ca-file").asText(GatewaySettings.DEFAULT_JWKS_TRUSTED_CA),
        edge);
  }

  /** Every case, by name. */
  static List<TranslatorCase> all() {
    try (var files = Files.list(DIR.resolve("in"))) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().map(TranslatorCase::load).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
