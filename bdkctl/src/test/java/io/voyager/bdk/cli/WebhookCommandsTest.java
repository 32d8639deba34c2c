package io.voyager.bdk.cli;

import static io.voyager.bdk.cli.BdkctlRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.voyager.bdk.extauthz.scheme.Freshness;
import io.voyager.bdk.extauthz.scheme.Header;
import io.voyager.bdk.extauthz.scheme.RequestHeaders;
import io.voyager.bdk.extauthz.scheme.Schemes;
import io.voyager.bdk.extauthz.scheme.Verified;
import io.voyager.bdk.extauthz.scheme.WebhookRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** bdkctl's output round-trips through ext-authz's verifiers. */
class WebhookCommandsTest {
  static final String SECRET = "whsec_Y2xpLXRlc3Qtc2VjcmV0LWZvci1iZGtjdGwtMTIzNA==";
  static final byte[] BODY = "{\"event\":\"cli\"}\n".getBytes(StandardCharsets.UTF_8);

  @TempDir
  Path dir;

  Path bodyFile() throws IOException {
    Path file = dir.resolve("body.json");
    Files.write(file, BODY);
    return file;
  }

  static List<Header> parse(String out) {
    List<Header> headers = new ArrayList<>();
    for (String line : out.split("\n")) {
      int colon = line.indexOf(": ");
      assertThat(colon).as("header line '%s'", line).isPositive();
      headers.add(new Header(line.substring(0, colon), line.substring(colon + 2)));
    }
    return headers;
  }

  @ParameterizedTest
  @ValueSource(strings = {"github", "stripe", "slack", "shopify", "zendesk", "standard", "hmac"})
  void signedHeaderLinesVerify(String scheme) throws IOException {
    BdkctlRun run = run("webhook", "sign", "--scheme", scheme, "--secret", SECRET, "--body-file", bodyFile().toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    List<Header> headers = parse(run.out().strip());
    Verified verified = Schemes.byName(scheme, Map.of()).verify(new WebhookRequest(RequestHeaders.of(headers), BODY),
        List.of(SECRET), new Freshness(Instant.now(), Duration.ofMinutes(5)));
    assertThat(verified).isNotNull();
  }

  @Test
  void signPrintsExactlyTheHeaderLinesForAFixedTimestampAndId() throws IOException {
    BdkctlRun run = run("webhook", "sign", "--scheme", "standard", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "--timestamp", "1614265330", "--id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "--body-file", write("{\"test\": 2432232314}"));
    assertThat(run.out()).isEqualTo(String.join(System.lineSeparator(),
        "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp: 1614265330",
        "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") + System.lineSeparator());
  }

  @Test
  void hmacOptionsShapeTheSignature() throws IOException {
    BdkctlRun run = run("webhook", "sign", "--scheme", "hmac", "--secret", "k", "--hmac-algorithm", "sha512", "--hmac-header", "X-Acme",
        "--hmac-prefix", "sha512=", "--hmac-encoding", "base64", "--hmac-payload", "timestamp.body",
        "--hmac-timestamp-header", "X-Acme-Time", "--timestamp", "1700000000", "--body-file", bodyFile().toString());
    List<Header> headers = parse(run.out().strip());
    assertThat(headers).extracting(Header::name).containsExactly("X-Acme-Time", "X-Acme");
    assertThat(headers.get(1).value()).startsWith("sha512=");
    Verified verified = Schemes.byName("hmac", Map.of("hmac_algorithm", "sha512", "hmac_header", "X-Acme", "hmac_prefix", "sha512=",
        "hmac_encoding", "base64", "hmac_payload", "timestamp.body", "hmac_timestamp_header", "X-Acme-Time"))
        .verify(new WebhookRequest(RequestHeaders.of(headers), BODY), List.of("k"),
            new Freshness(Instant.ofEpochSecond(1700000000), Duration.ofMinutes(5)));
    assertThat(verified).isNotNull();
  }

  @Test
  void secretFileIsReadInsteadOfAnArgument() throws IOException {
    Path secret = dir.resolve("secret");
    Files.writeString(secret, "\nfrom-file\n");
    BdkctlRun run = run("webhook", "sign", "--scheme", "github", "--secret-file", secret.toString(), "--id", "d-1", "--body-file", bodyFile().toString());
    List<Header> headers = parse(run.out().strip());
    assertThat(Schemes.byName("github", Map.of()).verify(new WebhookRequest(RequestHeaders.of(headers), BODY), List.of("from-file"),
        new Freshness(Instant.now(), Duration.ofMinutes(5))).deliveryId()).isEqualTo("d-1");
  }

  @Test
  void badInputIsAClearErrorNamingTheOption() throws IOException {
    BdkctlRun unknown = run("webhook", "sign", "--scheme", "gitlab", "--secret", "s", "--body-file", bodyFile().toString());
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("gitlab");

    BdkctlRun noBody = run("webhook", "sign", "--scheme", "github", "--secret", "s", "--body-file", dir.resolve("missing").toString());
    assertThat(noBody.exitCode()).isEqualTo(2);
    assertThat(noBody.err()).contains("--body-file");

    BdkctlRun badTime = run("webhook", "sign", "--scheme", "slack", "--secret", "s", "--timestamp", "noon", "--body-file", bodyFile().toString());
    assertThat(badTime.err()).contains("--timestamp");

    BdkctlRun hmacOnGithub = run("webhook", "sign", "--scheme", "github", "--secret", "s", "--hmac-header", "X", "--body-file", bodyFile().toString());
    assertThat(hmacOnGithub.err()).contains("--hmac-");

    BdkctlRun twoSecrets = run("webhook", "sign", "--scheme", "github", "--body-file", bodyFile().toString());
    assertThat(twoSecrets.err()).contains("--secret");
  }

  @Test
  void sendPostsTheSignedBodyAndPrintsStatusHeadersAndBody() throws Exception {
    AtomicReference<List<Header>> received = new AtomicReference<>();
    AtomicReference<byte[]> receivedBody = new AtomicReference<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/api/v1/webhooks/github/ep", exchange -> {
      List<Header> headers = new ArrayList<>();
      exchange.getRequestHeaders().forEach((k, vs) -> vs.forEach(v -> headers.add(new Header(k, v))));
      received.set(headers);
      receivedBody.set(exchange.getRequestBody().readAllBytes());
      byte[] answer = "{\"code\":401,\"reason\":\"replay\"}".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("x-bdk-webhook-id", "d-7");
      exchange.getResponseHeaders().add("content-type", "application/json");
      exchange.sendResponseHeaders(409, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v1/webhooks/github/ep";
      BdkctlRun run = run("webhook", "send", "--scheme", "github", "--secret", "s3", "--id", "d-7", "--body-file", bodyFile().toString(), "--url", url);

      assertThat(run.exitCode()).isEqualTo(1);
      assertThat(run.out()).startsWith("HTTP 409").contains("x-bdk-webhook-id: d-7").contains("\"reason\":\"replay\"");
      assertThat(receivedBody.get()).isEqualTo(BODY);
      Verified verified = Schemes.byName("github", Map.of()).verify(new WebhookRequest(RequestHeaders.of(received.get()), receivedBody.get()),
          List.of("s3"), new Freshness(Instant.now(), Duration.ofMinutes(5)));
      assertThat(verified.deliveryId()).isEqualTo("d-7");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void sendToNothingListeningExitsTwo() throws IOException {
    BdkctlRun run = run("webhook", "send", "--scheme", "github", "--secret", "s", "--body-file", bodyFile().toString(),
        "--url", "http://127.0.0.1:9/none", "--timeout-seconds", "2");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("cannot POST");
  }

  private String write(String body) throws IOException {
    Path file = dir.resolve("b-" + System.nanoTime());
    Files.writeString(file, body);
    return file.toString();
  }
}
