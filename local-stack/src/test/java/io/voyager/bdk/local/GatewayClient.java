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

/**
 * REST calls through Envoy's public listener, as an API user makes them: with a bearer token
 * ({@link #of(LocalStack)}, {@link #withToken}) or without one ({@link #anonymous}, what webhook
 * senders are).
 */
final class GatewayClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private final String baseUrl;
  /** Sent as {@code Authorization: Bearer …}; null: no Authorization header. */
  private final String token;

  GatewayClient(String baseUrl) {
    this(baseUrl, null);
  }

  GatewayClient(String baseUrl, String token) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  /** The stack's gateway, calling as a platform-admin of the stack's own issuer. */
  static GatewayClient of(LocalStack stack) {
    return new GatewayClient(stack.gatewayUrl(), StackTokens.platformAdmin(stack));
  }

  /** The stack's gateway without any token. */
  static GatewayClient anonymous(LocalStack stack) {
    return new GatewayClient(stack.gatewayUrl());
  }

  /** The same gateway with {@code token} (null: none). */
  GatewayClient withToken(String token) {
    return new GatewayClient(baseUrl, token);
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

    /**
     * Status, the gateway's {@code x-bdk-*} response headers and the body's first 300 characters, on
     * one line (for failure messages: which filter or route answered and why).
     */
    String describe() {
      StringBuilder described = new StringBuilder().append(status);
      headers.map().forEach((name, values) -> {
        if (name.toLowerCase(java.util.Locale.ROOT).startsWith("x-bdk-")) {
          described.append(' ').append(name).append('=').append(String.join(",", values));
        }
      });
      String oneLine = body.replace('\n', ' ');
      return described.append(' ').append(oneLine.length() > 300 ? oneLine.substring(0, 300) + "…" : oneLine).toString();
    }

    /** How many of {@code answers} had each status, by status (for failure messages). */
    static java.util.SortedMap<Integer, Long> histogram(java.util.Collection<Answer> answers) {
      return answers.stream().collect(java.util.stream.Collectors.groupingBy(Answer::status, java.util.TreeMap::new,
          java.util.stream.Collectors.counting()));
    }
  }

  Answer get(String path) {
    return get(path, Map.of());
  }

  Answer get(String path, Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).GET();
    headers.forEach(request::header);
    return send(request);
  }

  Answer delete(String path) {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).DELETE());
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

  Answer patchJson(String path, Map<String, ?> body) {
    try {
      return send(HttpRequest.newBuilder(URI.create(baseUrl + path))
          .header("content-type", "application/json")
          .method("PATCH", HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Answer postJson(String path, Map<String, ?> body) {
    try {
      return post(path, JSON.writeValueAsString(body));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A POST that may take up to {@code timeout} to be answered (a webhook held while its book wakes). */
  Answer post(String path, String body, Map<String, String> headers, Duration timeout) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return send(request, timeout);
  }

  private Answer send(HttpRequest.Builder request) {
    return send(request, Duration.ofSeconds(10));
  }

  private Answer send(HttpRequest.Builder request, Duration timeout) {
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    try {
      HttpResponse<String> response = HTTP.send(request.timeout(timeout).build(),
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
