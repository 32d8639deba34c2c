package io.voyager.bdk.extauthz.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The providers' own published test vectors: verification and signing must reproduce them. */
class PublishedExamplesTest {

  // GitHub docs, "Validating webhook deliveries": testing the webhook payload validation.
  @Test
  void gitHubDocumentedExample() {
    byte[] body = "Hello, World!".getBytes(StandardCharsets.UTF_8);
    String signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    GitHubScheme github = new GitHubScheme();
    WebhookRequest request = new WebhookRequest(RequestHeaders.of(List.of(new Header("X-Hub-Signature-256", signature))), body);

    assertThat(github.verify(request, List.of("It's a Secret to Everybody"), anyTime())).isNotNull();
    assertThat(github.sign(new SigningInput(body, "It's a Secret to Everybody", Instant.EPOCH, null)))
        .containsExactly(new Header("X-Hub-Signature-256", signature));
  }

  // Slack docs, "Verifying requests from Slack": the worked example.
  @Test
  void slackDocumentedExample() {
    String body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        + "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        + "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        + "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    String secret = "8f742231b10e8888abcd99yyyzzz85a5";
    Instant at = Instant.ofEpochSecond(1531420618);
    String signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    SlackScheme slack = new SlackScheme();
    WebhookRequest request = new WebhookRequest(RequestHeaders.of(List.of(
        new Header("X-Slack-Request-Timestamp", "1531420618"), new Header("X-Slack-Signature", signature))),
        body.getBytes(StandardCharsets.UTF_8));

    assertThat(slack.verify(request, List.of(secret), new Freshness(at, Duration.ofMinutes(5)))).isNotNull();
    assertThat(slack.sign(new SigningInput(body.getBytes(StandardCharsets.UTF_8), secret, at, null)))
        .contains(new Header("X-Slack-Signature", signature));
    // The same vector a day later is stale.
    assertThatThrownBy(() -> slack.verify(request, List.of(secret), new Freshness(at.plus(Duration.ofDays(1)), Duration.ofMinutes(5))))
        .isInstanceOfSatisfying(WebhookDenied.class, d -> assertThat(d.reason()).isEqualTo(DenyReason.TIMESTAMP_OUT_OF_TOLERANCE));
  }

  // Standard Webhooks specification / reference libraries' test vector.
  @Test
  void standardWebhooksSpecificationExample() {
    String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    byte[] body = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    Instant at = Instant.ofEpochSecond(1614265330);
    String signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    StandardWebhooksScheme standard = new StandardWebhooksScheme();
    WebhookRequest request = new WebhookRequest(RequestHeaders.of(List.of(
        new Header("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
        new Header("webhook-timestamp", "1614265330"),
        new Header("webhook-signature", "v1,bm90LXRoZS1yaWdodC1zaWduYXR1cmU= " + signature))), body);

    Verified verified = standard.verify(request, List.of(secret), new Freshness(at, Duration.ofMinutes(5)));
    assertThat(verified.deliveryId()).isEqualTo("msg_p5jXN8AQM9LWM0D4loKWxJek");
    assertThat(standard.sign(new SigningInput(body, secret, at, "msg_p5jXN8AQM9LWM0D4loKWxJek")))
        .contains(new Header("webhook-signature", signature));
  }

  private static Freshness anyTime() {
    return new Freshness(Instant.now(), Duration.ofMinutes(5));
  }
}
