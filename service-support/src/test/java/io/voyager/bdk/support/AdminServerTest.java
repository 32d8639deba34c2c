package io.voyager.bdk.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class AdminServerTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(AdminServer admin, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void readinessFollowsTheSupplierAndHealthDoesNot() throws Exception {
    AtomicBoolean ready = new AtomicBoolean(false);
    try (AdminServer admin =
        AdminServer.start("127.0.0.1", 0, Metrics.newRegistry("test"), ready::get)) {
      assertThat(get(admin, "/healthz").statusCode()).isEqualTo(200);
      assertThat(get(admin, "/readyz").statusCode()).isEqualTo(503);
      ready.set(true);
      assertThat(get(admin, "/readyz").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void metricsArePrometheusTextTaggedWithTheService() throws Exception {
    PrometheusMeterRegistry registry = Metrics.newRegistry("library-service");
    registry.counter("bdk_test_events").increment();
    try (AdminServer admin = AdminServer.start("127.0.0.1", 0, registry, () -> true)) {
      HttpResponse<String> response = get(admin, "/metrics");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body())
          .contains("bdk_test_events_total{service=\"library-service\"} 1.0")
          .contains("jvm_memory_used_bytes");
    }
  }

  @Test
  void extraHandlersAreServed() throws Exception {
    try (AdminServer admin =
        AdminServer.start("127.0.0.1", 0, Metrics.newRegistry("test"), () -> true)
            .handle("/debug/hello", ex -> AdminServer.respond(ex, 200, "application/json", "{}"))) {
      HttpResponse<String> response = get(admin, "/debug/hello");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type")).contains("application/json");
    }
  }
}
