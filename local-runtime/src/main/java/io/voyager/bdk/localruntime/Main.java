package io.voyager.bdk.localruntime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.support.AdminOptions;
import io.voyager.bdk.support.AdminServer;
import io.voyager.bdk.support.KubeconfigOption;
import io.voyager.bdk.support.Metrics;
import io.voyager.bdk.support.ServiceMain;
import java.time.Duration;
import java.util.HashMap;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs the local runtime: for the customer books in a Kubernetes API with no nodes (the local
 * stack's mock server), starts sample book backends, publishes their EndpointSlices and writes
 * Deployment status. Admin HTTP: {@code /healthz}, {@code /readyz}, {@code /metrics},
 * {@code /debug/backends}, and {@code POST /debug/backends/stop|start?namespace=…&deployment=…}
 * (a book's process down and back, which scaling cannot show: the controller restores replicas).
 */
@Command(
    name = "local-runtime",
    mixinStandardHelpOptions = true,
    description = "Stands in for kubelet and the endpoint-slice controller where no cluster runs pods.")
public final class Main implements Callable<LocalRuntimeService> {
  @Mixin KubeconfigOption kube = new KubeconfigOption();

  @Mixin AdminOptions admin = new AdminOptions("127.0.0.1", 18031);

  private static final ObjectMapper JSON =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  @Option(names = "--debounce-ms", description = "Quiet time before a namespace is reconciled. Default: ${DEFAULT-VALUE}.")
  long debounceMs = LocalRuntime.Settings.defaults().debounce().toMillis();

  @Option(names = "--max-backends", description = "Most backends run at once. Default: ${DEFAULT-VALUE}.")
  int maxBackends = LocalRuntime.Settings.defaults().maxBackends();

  @Option(names = "--history", description = "Webhooks each backend remembers for /debug/received. Default: ${DEFAULT-VALUE}.")
  int history = LocalRuntime.Settings.defaults().history();

  public static void main(String[] args) {
    ServiceMain.main(new Main(), args);
  }

  /** Starts the runtime and returns once its watches are synced and its admin port is bound. */
  public static LocalRuntimeService start(String... args) {
    return ServiceMain.start(new Main(), args);
  }

  @Override
  public LocalRuntimeService call() {
    Main options = this;
    if (options.debounceMs < 1) {
      throw new IllegalArgumentException("--debounce-ms must be at least 1, got " + options.debounceMs);
    }
    LocalRuntime.Settings settings =
        new LocalRuntime.Settings(
            Duration.ofMillis(options.debounceMs),
            LocalRuntime.Settings.defaults().maxBackoff(),
            options.maxBackends,
            options.history);
    KubernetesClient client = options.kube.client();
    LocalRuntime runtime = null;
    try {
      runtime = LocalRuntime.start(client, settings);
      LocalRuntime started = runtime;
      PrometheusMeterRegistry registry = Metrics.newRegistry("local-runtime");
      Gauge.builder("bdk.local_runtime.backends", started, r -> r.backendCount())
          .description("sample book backends running")
          .register(registry);
      AdminServer admin =
          options.admin.start(registry, () -> true)
              .handle(
                  "/debug/backends",
                  exchange ->
                      AdminServer.respond(
                          exchange, 200, "application/json",
                          JSON.writeValueAsString(Map.of("backends", started.backends()))))
              .handle("/debug/backends/stop", exchange -> holdOrRelease(exchange, started, true))
              .handle("/debug/backends/start", exchange -> holdOrRelease(exchange, started, false));
      return new LocalRuntimeService(client, started, admin, registry);
    } catch (RuntimeException e) {
      if (runtime != null) {
        runtime.close();
      }
      client.close();
      throw e;
    }
  }

  /** {@code POST /debug/backends/stop|start?namespace=…&deployment=…}: 400 naming a missing parameter. */
  private static void holdOrRelease(com.sun.net.httpserver.HttpExchange exchange, LocalRuntime runtime, boolean stop)
      throws java.io.IOException {
    if (!"POST".equals(exchange.getRequestMethod())) {
      AdminServer.respond(exchange, 405, "text/plain", "use POST\n");
      return;
    }
    Map<String, String> query = new HashMap<>();
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          query.put(
              java.net.URLDecoder.decode(pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8),
              java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
        }
      }
    }
    for (String name : new String[] {"namespace", "deployment"}) {
      String value = query.get(name);
      if (value == null || value.isBlank()) {
        AdminServer.respond(exchange, 400, "text/plain", "query parameter " + name + " is required\n");
        return;
      }
    }
    if (stop) {
      runtime.stopBackend(query.get("namespace"), query.get("deployment"));
    } else {
      runtime.startBackend(query.get("namespace"), query.get("deployment"));
    }
    AdminServer.respond(exchange, 202, "application/json",
        JSON.writeValueAsString(new TreeMap<>(Map.of("namespace", query.get("namespace"),
            "deployment", query.get("deployment"), "backend", stop ? "held_down" : "released"))) + "\n");
  }
}
