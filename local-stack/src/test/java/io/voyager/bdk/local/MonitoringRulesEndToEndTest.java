package io.voyager.bdk.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.databind.MappingIterator;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.GroupVersionKind;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.extauthz.ExtAuthzServer;
import io.voyager.bdk.extauthz.replay.BoundedReplayStore;
import io.voyager.bdk.local.GatewayClient.Answer;
import io.voyager.bdk.local.WebhookBooks.Integration;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.WebhookRoutes;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * k8s/monitoring against what the components really expose. The local stack runs with a real
 * Envoy; a little traffic (REST calls, an instance the controller reconciles, an unsigned webhook,
 * a book Envoy refuses) makes the lazily registered meters exist; then every service's /metrics
 * and Envoy's /stats/prometheus are scraped. Every metric an alert's {@code expr} selects must be
 * among the scraped samples (with the label names its matchers use), so a misspelt or renamed
 * metric fails here instead of giving an alert that can never fire. The alerts must say what is
 * wrong (summary, description) and wait ({@code for}); the PodMonitors must select the pods, ports
 * and paths k8s/deploy really has.
 */
class MonitoringRulesEndToEndTest {
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Path MONITORING = ProjectRoot.get().resolve("k8s/monitoring");
  private static final Path DEPLOY = ProjectRoot.get().resolve("k8s/deploy");
  private static final String NAMESPACE = LocalStack.SEED_CUSTOMER_NAMESPACES.get(0);
  /** Series Prometheus itself makes for every scrape target: never on a /metrics page. */
  private static final Set<String> MADE_BY_PROMETHEUS = Set.of("up");
  /** The xds-server's fault seam: one book's endpoints get a port Envoy refuses (a NACK). */
  private static final EndpointRefusals refusals = new EndpointRefusals();

  @TempDir static Path runDir;
  static LocalStack stack;
  static GatewayClient gateway;
  static GatewayClient api;  // library calls, with a platform-admin token
  /** Scrape path → the samples of every component scraped there (metric name → label names seen). */
  static Map<String, Map<String, Set<String>>> scraped;

  @BeforeAll
  static void startStackDriveTrafficAndScrape() throws Exception {
    stack = TestStacks.ephemeral(runDir, "e2e-monitoring")
        .without(Component.LOCAL_RUNTIME)
        .starter(Component.XDS, refusals.xdsStarter())
        // Every book's cluster sent at once: the refused book's endpoints reach Envoy (and are
        // NACKed) without a signed webhook making it fetch the cluster (the subject here is which
        // metrics exist; XdsNackEndToEndTest covers the NACK under on-demand clusters).
        .serviceArgs(Component.XDS, "--book-clusters", "eager")
        .start();
    gateway = GatewayClient.anonymous(stack);
    api = GatewayClient.of(stack);
    driveTraffic();
    scraped = scrapeAll();
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void everyMetricAnAlertSelectsIsExposedWithTheLabelsItMatchesOn() throws IOException {
    Map<String, Set<String>> exposed = new TreeMap<>();
    scraped.values().forEach(samples -> samples.forEach((name, labels) ->
        exposed.computeIfAbsent(name, n -> new TreeSet<>()).addAll(labels)));
    controllerFailureMeters().forEach((name, labels) -> exposed.computeIfAbsent(name, n -> new TreeSet<>()).addAll(labels));
    extAuthzMemoryReplayMeters().forEach((name, labels) -> exposed.computeIfAbsent(name, n -> new TreeSet<>()).addAll(labels));

    List<String> problems = new ArrayList<>();
    List<JsonNode> alerts = alerts();
    assertThat(alerts).as("alerts in prometheusrule.yaml").hasSizeGreaterThanOrEqualTo(8);
    for (JsonNode alert : alerts) {
      String name = alert.path("alert").asText();
      Map<String, Set<String>> selected = PromQlSelectors.of(alert.path("expr").asText());
      if (selected.isEmpty()) {
        problems.add(name + ": its expr selects no metric");
      }
      selected.forEach((metric, labels) -> {
        if (MADE_BY_PROMETHEUS.contains(metric)) {
          return;
        }
        if (!exposed.containsKey(metric)) {
          problems.add(name + ": no component exposes " + metric);
          return;
        }
        for (String label : labels) {
          if (!exposed.get(metric).contains(label)) {
            problems.add(name + ": " + metric + " has no label " + label + " (has " + exposed.get(metric) + ")");
          }
        }
      });
    }
    assertThat(problems).as("exposed: " + exposed.keySet().stream()
        .filter(n -> n.startsWith("bdk_") || n.startsWith("operator_sdk_") || n.startsWith("grpc_server_")
            || n.startsWith("envoy_control_plane") || n.startsWith("envoy_http_ext_authz") || n.startsWith("envoy_cluster_membership"))
        .toList()).isEmpty();
  }

  @Test
  void everyAlertSaysWhatIsWrongAndWaitsBeforeFiring() throws IOException {
    for (JsonNode alert : alerts()) {
      String name = alert.path("alert").asText();
      assertThat(name).matches("Bdk[A-Za-z]+");
      assertThat(alert.path("annotations").path("summary").asText()).as(name + " summary").isNotBlank();
      assertThat(alert.path("annotations").path("description").asText()).as(name + " description").isNotBlank();
      assertThat(alert.path("for").asText()).as(name + " for").matches("[1-9][0-9]*[mh]");
      assertThat(alert.path("labels").path("severity").asText()).as(name + " severity").isIn("critical", "warning", "info");
    }
  }

  @Test
  void everyPodMonitorScrapesThePortAndPathItsDeployedPodsServeMetricsOn() throws IOException {
    Map<String, Deployment> deployments = new LinkedHashMap<>();
    for (HasMetadata object : loadDeployObjects()) {
      if (object instanceof Deployment deployment) {
        deployments.put(deployment.getMetadata().getName(), deployment);
      }
    }
    List<JsonNode> monitors = documents(MONITORING.resolve("podmonitors.yaml"));
    assertThat(monitors).extracting(m -> m.path("metadata").path("name").asText())
        .as("one PodMonitor per deployed component")
        .containsExactlyInAnyOrderElementsOf(deployments.keySet());
    for (JsonNode monitor : monitors) {
      String name = monitor.path("metadata").path("name").asText();
      assertThat(monitor.path("kind").asText()).isEqualTo("PodMonitor");
      Map<String, String> selector = YAML.convertValue(monitor.path("spec").path("selector").path("matchLabels"),
          YAML.getTypeFactory().constructMapType(Map.class, String.class, String.class));
      List<Deployment> selected = deployments.values().stream()
          .filter(d -> d.getSpec().getTemplate().getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
          .toList();
      assertThat(selected).as(name + " selects the pods of exactly one Deployment, by " + selector)
          .extracting(d -> d.getMetadata().getName()).containsExactly(name);
      Deployment deployment = selected.get(0);
      Map<String, String> annotations = deployment.getSpec().getTemplate().getMetadata().getAnnotations();
      for (JsonNode endpoint : monitor.path("spec").path("podMetricsEndpoints")) {
        String port = endpoint.path("port").asText();
        Integer containerPort = deployment.getSpec().getTemplate().getSpec().getContainers().stream()
            .map(Container::getPorts).flatMap(List::stream)
            .filter(p -> port.equals(p.getName())).map(ContainerPort::getContainerPort).findFirst().orElse(null);
        assertThat(containerPort).as(name + ": a container port named " + port).isNotNull();
        assertThat(annotations).as(name + ": the port and path its pod template advertises")
            .containsEntry("prometheus.io/port", containerPort.toString())
            .containsEntry("prometheus.io/path", endpoint.path("path").asText());
        assertThat(scraped).as(name + ": the path this test scraped").containsKey(endpoint.path("path").asText());
      }
    }
  }

  @Test
  void theSelectorScannerFindsMetricsAndSkipsFunctionsLabelsKeywordsAndNumbers() {
    assertThat(PromQlSelectors.of(
        "histogram_quantile(0.99, sum by (namespace, le) (rate(a_seconds_bucket{x=\"1\", y=~\"b{c}\"}[5m]))) > 0.5e1"
            + " and on (pod) b_total offset 5m or sum without (z) (c:recorded) / count(d{e!=\"by\"})"))
        .containsOnlyKeys("a_seconds_bucket", "b_total", "c:recorded", "d")
        .containsEntry("a_seconds_bucket", Set.of("x", "y"))
        .containsEntry("b_total", Set.of())
        .containsEntry("d", Set.of("e"));
  }

  // ---- traffic: make the lazily registered meters exist ----

  private static void driveTraffic() throws Exception {
    // REST → library-service gRPC meters; a reconciled instance → controller writes and JOSDK meters.
    Answer book = api.postJson("/api/v1/books", Map.of(
        "name", "monitored-" + suffix(), "version", "1.0.0",
        "runtime", Map.of("language", "python", "version", "3.11"),
        "integrations", List.of(Map.of("name", "zendesk", "type", "webhook"))));
    assertThat(book.status()).as(book.body()).isEqualTo(201);
    Answer instance = api.postJson("/api/v1/books/" + book.json().path("book_id").asText() + "/instances", Map.of(
        "customer_namespace", NAMESPACE,
        "organization_id", LocalOrganizations.organizationOf(NAMESPACE),
        "deployment", Map.of("type", "primary", "replicas", 1),
        "credentials", List.of(Map.of("name", "signing-secret", "value", "s-" + UUID.randomUUID(),
            "type", "webhook_secret", "source", "manual")),
        "webhooks", List.of(Map.of("integration", "zendesk", "scheme", "zendesk", "credential", "signing-secret"))));
    assertThat(instance.status()).as(instance.body()).isEqualTo(201);

    // A webhook whose Secret does not exist → an ext-authz check, denied for a gateway-side reason.
    WebhookBooks books = new WebhookBooks(stack);
    String unsigned = "no-secret-" + suffix();
    books.create(NAMESPACE, unsigned, "orders", StackPorts.freePorts(1).get(0),
        List.of(new Integration("github", "github", unsigned + "-credentials", null, null)));
    String path = WebhookRoutes.publicPath(NAMESPACE, unsigned, "github");
    await("the webhook route is served and checked").atMost(CONVERGE)
        .until(() -> gateway.post(path, "{}").status() != 404);

    // A book whose endpoints Envoy refuses → NACKs and a quarantine.
    String refused = "refused-" + suffix();
    int refusedPort = StackPorts.freePorts(1).get(0);
    refusals.refuse("k8s/" + NAMESPACE + "/" + refused + "/" + refusedPort);
    books.create(NAMESPACE, refused, "orders", refusedPort,
        List.of(new Integration("github", "github", refused + "-credentials", null, null)));

    await("Envoy NACKed, the controller wrote, the library answered").atMost(CONVERGE).untilAsserted(() -> {
      Map<String, Set<String>> metrics = scrapeAll().get("/metrics");
      assertThat(metrics).containsKeys("bdk_xds_nacks_total", "bdk_controller_resource_writes_total",
          "bdk_extauthz_checks_total", "grpc_server_processing_duration_seconds_count");
    });
  }

  /**
   * The meters the book-controller's JOSDK metrics register on the first failed reconcile, which
   * the embedded (mock) API cannot provoke: taken from the same library and registry type the
   * controller uses ({@code MicrometerMetrics.withoutPerResourceMetrics} on a Prometheus registry),
   * told of one failure.
   */
  private static Map<String, Set<String>> controllerFailureMeters() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    BookInstanceDefinition instance = new BookInstanceDefinition();
    instance.getMetadata().setName("failing");
    instance.getMetadata().setNamespace("bdk");
    MicrometerMetrics.withoutPerResourceMetrics(registry).failedReconciliation(instance, new IllegalStateException("boom"),
        Map.of(Constants.RESOURCE_GVK_KEY, GroupVersionKind.gvkFor(BookInstanceDefinition.class),
            Constants.CONTROLLER_NAME, "bookinstancereconciler"));
    return PrometheusText.samples(registry.scrape());
  }

  /**
   * The stack's ext-authz keeps its replay state on NATS (--nats-url); these are the meters of the
   * in-memory replay store an ext-authz without --nats-url exposes (BdkExtAuthzReplayMemoryFull).
   */
  private static Map<String, Set<String>> extAuthzMemoryReplayMeters() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ExtAuthzServer.registerReplayMetrics(registry,
        new BoundedReplayStore(BoundedReplayStore.Budget.standard(),
            com.github.benmanes.caffeine.cache.Ticker.systemTicker()));
    return PrometheusText.samples(registry.scrape());
  }

  // ---- scraping ----

  private static Map<String, Map<String, Set<String>>> scrapeAll() throws Exception {
    StackPorts ports = stack.ports();
    Map<String, Set<String>> services = new TreeMap<>();
    for (int adminPort : List.of(ports.xdsAdmin(), ports.libraryAdmin(), ports.extAuthzAdmin(), ports.controllerAdmin(),
        ports.relayAdmin())) {
      PrometheusText.samples(get("http://" + LocalStack.LOCALHOST + ":" + adminPort + "/metrics"))
          .forEach((name, labels) -> services.computeIfAbsent(name, n -> new TreeSet<>()).addAll(labels));
    }
    HttpResponse<String> envoy = stack.envoy().admin().get("/stats/prometheus");
    assertThat(envoy.statusCode()).isEqualTo(200);
    return Map.of("/metrics", services, "/stats/prometheus", PrometheusText.samples(envoy.body()));
  }

  private static String get(String url) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(url).isEqualTo(200);
    return response.body();
  }

  // ---- the manifests ----

  private static List<JsonNode> alerts() throws IOException {
    List<JsonNode> rules = documents(MONITORING.resolve("prometheusrule.yaml"));
    assertThat(rules).extracting(r -> r.path("kind").asText()).containsOnly("PrometheusRule");
    List<JsonNode> alerts = new ArrayList<>();
    rules.forEach(rule -> rule.path("spec").path("groups").forEach(group ->
        group.path("rules").forEach(r -> {
          if (r.has("alert")) {
            alerts.add(r);
          }
        })));
    return alerts;
  }

  private static List<JsonNode> documents(Path file) throws IOException {
    try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      return docs.readAll().stream().filter(d -> !d.isNull() && !d.isMissingNode()).toList();
    }
  }

  /** k8s/deploy's objects as the fabric8 client reads them. */
  private static List<HasMetadata> loadDeployObjects() throws IOException {
    KubernetesClient client = stack.kubernetes();
    List<HasMetadata> all = new ArrayList<>();
    try (var files = Files.list(DEPLOY)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml") && !f.endsWith("kustomization.yaml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          all.addAll(client.load(in).items());
        }
      }
    }
    return all;
  }

  private static String suffix() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  /** The Prometheus text exposition format, as far as this test needs it: sample names and their label names. */
  static final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:\\\\.|[^\"\\\\])*\"");

    private PrometheusText() {}

    static Map<String, Set<String>> samples(String exposition) {
      Map<String, Set<String>> samples = new TreeMap<>();
      for (String line : exposition.split("\n")) {
        Matcher sample = SAMPLE.matcher(line);
        if (line.startsWith("#") || !sample.find()) {
          continue;
        }
        Set<String> labels = samples.computeIfAbsent(sample.group(1), n -> new TreeSet<>());
        if (sample.group(3) != null) {
          Matcher label = LABEL.matcher(sample.group(3));
          while (label.find()) {
            labels.add(label.group(1));
          }
        }
      }
      return samples;
    }
  }

  /**
   * The metrics a PromQL expression selects, each with the label names its matchers use. Small on
   * purpose, enough for alert expressions: string literals are blanked first; range and subquery
   * brackets, {@code offset} durations and the label lists of {@code by/without/on/ignoring/
   * group_left/group_right} are dropped; an identifier followed by {@code (} is a function or
   * aggregation; the binary operators' keywords ({@code and or unless bool}) and numbers are
   * skipped; every other identifier is a metric name, and the {@code {…}} right after it holds its
   * matchers. Not supported (not used in our rules): a selector written only as {@code {__name__=…}}.
   */
  static final class PromQlSelectors {
    private static final Pattern STRING = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'");
    private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*\\]");
    private static final Pattern OFFSET = Pattern.compile("\\boffset\\s+-?[0-9a-z]+");
    private static final Pattern LABEL_LIST =
        Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern TOKEN = Pattern.compile(
        "(?<number>[0-9]+(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
            + "|(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(?<next>\\(|\\{(?<matchers>[^}]*)\\})?");
    private static final Pattern MATCHER_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "inf", "nan");

    private PromQlSelectors() {}

    static Map<String, Set<String>> of(String expr) {
      String s = STRING.matcher(expr).replaceAll("\"\"");
      s = RANGE.matcher(s).replaceAll(" ");
      s = OFFSET.matcher(s).replaceAll(" ");
      s = LABEL_LIST.matcher(s).replaceAll(" ");
      Map<String, Set<String>> selected = new TreeMap<>();
      Matcher token = TOKEN.matcher(s);
      while (token.find()) {
        String name = token.group("name");
        if (name == null || "(".equals(token.group("next")) || KEYWORDS.contains(name.toLowerCase())) {
          continue;
        }
        Set<String> labels = selected.computeIfAbsent(name, n -> new TreeSet<>());
        if (token.group("matchers") != null) {
          Matcher label = MATCHER_LABEL.matcher(token.group("matchers"));
          while (label.find()) {
            labels.add(label.group(1));
          }
        }
      }
      return selected;
    }
  }
}
