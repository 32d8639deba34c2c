package io.voyager.bdk.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/** Client for one Envoy's admin API: readiness, stats and {@code /config_dump}. */
public final class EnvoyAdmin {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final InetSocketAddress address;
  private final HttpClient http;

  public EnvoyAdmin(InetSocketAddress address) {
    this.address = address;
    this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  }

  public InetSocketAddress address() {
    return address;
  }

  public URI uri(String pathAndQuery) {
    return URI.create("http://" + address.getHostString() + ":" + address.getPort() + pathAndQuery);
  }

  /** True when {@code /ready} answers 200 (server state LIVE: initial xDS fetch done). */
  public boolean isReady() {
    try {
      return get("/ready").statusCode() == 200;
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  /** The value of counter or gauge {@code name}, empty if Envoy has no such stat (yet). */
  public OptionalLong stat(String name) {
    String filter = URLEncoder.encode("^" + Pattern.quote(name) + "$", StandardCharsets.UTF_8);
    JsonNode stats = json("/stats?format=json&filter=" + filter).path("stats");
    for (JsonNode stat : stats) {
      if (name.equals(stat.path("name").asText()) && stat.has("value")) {
        return OptionalLong.of(stat.get("value").asLong());
      }
    }
    return OptionalLong.empty();
  }

  /** {@link #stat}, or 0 when the stat does not exist yet. */
  public long statOrZero(String name) {
    return stat(name).orElse(0L);
  }

  /** {@link #stat}, or -1 when Envoy has no such stat (yet) or its admin API does not answer. */
  public long statOrMinusOne(String name) {
    try {
      return stat(name).orElse(-1L);
    } catch (UncheckedIOException e) {
      return -1;
    }
  }

  /** The whole {@code /config_dump} (with EDS endpoints). */
  public JsonNode configDump() {
    return json("/config_dump?include_eds");
  }

  /** {@code /config_dump?resource=…}, e.g. {@code dynamic_listeners} or {@code dynamic_route_configs}. */
  public JsonNode configDump(String resource) {
    return json("/config_dump?resource=" + URLEncoder.encode(resource, StandardCharsets.UTF_8));
  }

  /**
   * The {@code version_info} of the dynamic route configuration named {@code name} (Envoy serves
   * several: the public routes, the HTTPS redirect, the internal delivery routes, in no fixed
   * order), or "" when it has none of that name.
   */
  public String routeConfigVersion(String name) {
    for (JsonNode c : configDump("dynamic_route_configs").path("configs")) {
      if (name.equals(c.path("route_config").path("name").asText())) {
        return c.path("version_info").asText();
      }
    }
    return "";
  }

  /** The {@code version_info} of the active dynamic listener named {@code name}, or "" when it has none. */
  public String listenerVersion(String name) {
    for (JsonNode c : configDump("dynamic_listeners").path("configs")) {
      if (name.equals(c.path("name").asText())) {
        return c.path("active_state").path("version_info").asText();
      }
    }
    return "";
  }

  /** GET {@code pathAndQuery} as JSON; fails on a non-200 answer. */
  public JsonNode json(String pathAndQuery) {
    HttpResponse<String> response = get(pathAndQuery);
    if (response.statusCode() != 200) {
      throw new IllegalStateException("envoy admin " + pathAndQuery + " answered " + response.statusCode()
          + ": " + response.body());
    }
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("envoy admin " + pathAndQuery + " did not answer JSON", e);
    }
  }

  public HttpResponse<String> get(String pathAndQuery) {
    return send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(TIMEOUT).GET().build());
  }

  public HttpResponse<String> post(String pathAndQuery) {
    return send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(TIMEOUT)
        .POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  private HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException("envoy admin " + request.uri() + " unreachable", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted calling envoy admin", e);
    }
  }
}
