package io.voyager.bdk.cli;

import io.voyager.bdk.extauthz.scheme.Header;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bdkctl webhook send}: signs and POSTs, then prints the status line, the response headers
 * that matter for webhooks and the body. Exit code 0 for a 2xx answer, 1 otherwise, 2 when the
 * request could not be sent.
 */
@Command(name = "send", mixinStandardHelpOptions = true,
    description = "Sign the body and POST it to --url; print status, webhook/rate-limit headers and body.")
final class SendCommand implements Callable<Integer> {
  /** Response headers printed after the status line (the relay's 202 says everything in x-bdk-* headers). */
  static final List<String> HEADERS_OF_INTEREST = List.of(
      "content-type", "x-bdk-webhook-id", "x-bdk-queued", "x-bdk-duplicate", "retry-after", "ratelimit", "ratelimit-policy");

  @Mixin
  SigningOptions signing;

  @Option(names = "--url", required = true, description = "Webhook URL, e.g. http://127.0.0.1:8080/api/v1/webhooks/zendesk/<endpoint_key>.")
  URI url;

  @Option(names = "--content-type", defaultValue = "application/json", description = "Content-Type of the body (default: ${DEFAULT-VALUE}).")
  String contentType;

  @Option(names = "--timeout-seconds", defaultValue = "10", description = "Request timeout (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    HttpRequest.Builder request = HttpRequest.newBuilder(url)
        .timeout(Duration.ofSeconds(timeoutSeconds))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(signing.body()));
    for (Header header : signing.sign()) {
      request.header(header.name(), header.value());
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(timeoutSeconds)).build();
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      spec.commandLine().getErr().println("cannot POST to " + url + ": " + e);
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 2;
    }
    out.println("HTTP " + response.statusCode());
    for (String name : HEADERS_OF_INTEREST) {
      response.headers().allValues(name).forEach(v -> out.println(name + ": " + v));
    }
    out.println();
    out.println(response.body());
    out.flush();
    return response.statusCode() / 100 == 2 ? 0 : 1;
  }
}
