package io.voyager.bdk.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** REST calls through Envoy's public listener, as an API user makes them. */
final class GatewayClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  GatewayClient(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** One answer: status, content type, body (parsed as JSON when it is JSON) and response headers. */
  record Answer(int status, String contentType, String body, HttpHeaders headers) {
    Answer(int status, String contentType, String body) {
      this(status, contentType, body, HttpHeaders.of(Map.of(), (name, value) -> true));
    }

    /** The first value of response header {@code name} (case-insensitive). */
    Optional<String> header(String name) {
      return headers.firstValue(name);
    }

    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + status + " " + contentType + "): " + body, e);
      }
    }

    boolean isJson() {
      return contentType.startsWith("application/json");
    }
  }

  Answer get(String path) {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET());
  }

  Answer post(String path, String body) {
    return post(path, body, Map.of());
  }

  Answer post(String path, String body, Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return send(request);
  }

  Answer postJson(String path, Map<String, ?> body) {
    try {
      return post(path, JSON.writeValueAsString(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Answer send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(),
          response.headers().firstValue("content-type").orElse(""), response.body(), response.headers());
    } catch (IOException e) {
      throw new UncheckedIOException("gateway " + request.build().uri() + " unreachable", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
