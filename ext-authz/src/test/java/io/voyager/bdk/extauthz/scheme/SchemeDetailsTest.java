package io.voyager.bdk.extauthz.scheme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Scheme-specific rules beyond the common behaviour. */
class SchemeDetailsTest {
  static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
  static final Freshness FRESH = new Freshness(NOW, Duration.ofSeconds(300));
  static final byte[] BODY = "{}".getBytes(StandardCharsets.UTF_8);

  static WebhookRequest request(Header... headers) {
    return new WebhookRequest(RequestHeaders.of(List.of(headers)), BODY);
  }

  @Test
  void stripeAcceptsAnyOfSeveralV1AndIgnoresV0() {
    StripeScheme stripe = new StripeScheme();
    String good = stripe.sign(new SigningInput(BODY, "sk_new", NOW, null)).get(0).value();
    String v1 = good.substring(good.indexOf("v1="));
    String header = "t=" + NOW.getEpochSecond() + ",v1=" + "ab".repeat(32) + "," + v1 + ",v0=" + "cd".repeat(32);
    assertThat(stripe.verify(request(new Header("Stripe-Signature", header)), List.of("sk_old", "sk_new"), FRESH)).isNotNull();
  }

  @Test
  void stripeWithoutTimestampOrV1IsMalformed() {
    StripeScheme stripe = new StripeScheme();
    assertThatThrownBy(() -> stripe.verify(request(new Header("Stripe-Signature", "v1=" + "ab".repeat(32))), List.of("s"), FRESH))
        .hasMessageContaining("no t=");
    assertThatThrownBy(() -> stripe.verify(request(new Header("Stripe-Signature", "t=" + NOW.getEpochSecond())), List.of("s"), FRESH))
        .hasMessageContaining("no v1=");
    assertThatThrownBy(() -> stripe.verify(request(new Header("Stripe-Signature", "t=yesterday,v1=" + "ab".repeat(32))), List.of("s"), FRESH))
        .isInstanceOfSatisfying(WebhookDenied.class, d -> assertThat(d.reason()).isEqualTo(DenyReason.MALFORMED_HEADER));
  }

  @Test
  void standardWebhooksRequiresIdAndTimestamp() {
    StandardWebhooksScheme standard = new StandardWebhooksScheme();
    String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    List<Header> signed = standard.sign(new SigningInput(BODY, secret, NOW, "msg_1"));
    assertThatThrownBy(() -> standard.verify(request(signed.get(1), signed.get(2)), List.of(secret), FRESH))
        .isInstanceOfSatisfying(WebhookDenied.class, d -> {
          assertThat(d.reason()).isEqualTo(DenyReason.MISSING_HEADER);
          assertThat(d.getMessage()).contains("webhook-id");
        });
    assertThatThrownBy(() -> standard.verify(request(signed.get(0), signed.get(2)), List.of(secret), FRESH))
        .hasMessageContaining("webhook-timestamp");
  }

  @Test
  void standardWebhooksIdIsSigned() {
    StandardWebhooksScheme standard = new StandardWebhooksScheme();
    String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    List<Header> signed = standard.sign(new SigningInput(BODY, secret, NOW, "msg_1"));
    assertThatThrownBy(() -> standard.verify(request(new Header("webhook-id", "msg_2"), signed.get(1), signed.get(2)), List.of(secret), FRESH))
        .isInstanceOfSatisfying(WebhookDenied.class, d -> assertThat(d.reason()).isEqualTo(DenyReason.SIGNATURE_MISMATCH));
  }

  @Test
  void zendeskAcceptsIsoAndUnixTimestampsAndUsesTheInvocationId() {
    ZendeskScheme zendesk = new ZendeskScheme();
    List<Header> signed = zendesk.sign(new SigningInput(BODY, "zd", NOW, "inv-1"));
    assertThat(signed).contains(new Header("X-Zendesk-Webhook-Signature-Timestamp", "2025-06-01T12:00:00Z"));
    assertThat(zendesk.verify(new WebhookRequest(RequestHeaders.of(signed), BODY), List.of("zd"), FRESH).deliveryId()).isEqualTo("inv-1");

    String unix = Long.toString(NOW.getEpochSecond());
    String sig = Hmacs.base64(Hmacs.mac(Hmacs.SHA256, Hmacs.utf8("zd"), Hmacs.utf8(unix), BODY));
    assertThat(zendesk.verify(request(new Header("X-Zendesk-Webhook-Signature", sig),
        new Header("X-Zendesk-Webhook-Signature-Timestamp", unix)), List.of("zd"), FRESH)).isNotNull();
    assertThatThrownBy(() -> zendesk.verify(request(new Header("X-Zendesk-Webhook-Signature", sig),
        new Header("X-Zendesk-Webhook-Signature-Timestamp", "June 1st")), List.of("zd"), FRESH))
        .hasMessageContaining("X-Zendesk-Webhook-Signature-Timestamp");
  }

  @Test
  void gitHubIsKeyedOnTheSignatureAlwaysAndOnTheDeliveryIdWhenPresent() {
    GitHubScheme github = new GitHubScheme();
    String sig = "sig:" + Hmacs.hex(Hmacs.mac(Hmacs.SHA256, Hmacs.utf8("gh"), BODY));
    List<Header> withId = github.sign(new SigningInput(BODY, "gh", NOW, "d-1"));
    assertThat(github.verify(new WebhookRequest(RequestHeaders.of(withId), BODY), List.of("gh"), FRESH).replayKeys())
        .containsExactly(sig, "id:d-1");
    List<Header> withoutId = github.sign(new SigningInput(BODY, "gh", NOW, null));
    assertThat(github.verify(new WebhookRequest(RequestHeaders.of(withoutId), BODY), List.of("gh"), FRESH).replayKeys())
        .containsExactly(sig);
  }

  @Test
  void genericHmacOptionsAreValidatedNamingTheKey() {
    assertThatThrownBy(() -> GenericHmacScheme.fromKeys(Map.of("hmac_algorithm", "md5"))).hasMessageContaining("hmac_algorithm");
    assertThatThrownBy(() -> GenericHmacScheme.fromKeys(Map.of("hmac_encoding", "base32"))).hasMessageContaining("hmac_encoding");
    assertThatThrownBy(() -> GenericHmacScheme.fromKeys(Map.of("hmac_payload", "all"))).hasMessageContaining("hmac_payload");
    assertThatThrownBy(() -> GenericHmacScheme.fromKeys(Map.of("hmac_payload", "timestamp.body"))).hasMessageContaining("hmac_timestamp_header");
    GenericHmacScheme.Options defaults = GenericHmacScheme.fromKeys(Map.of()).options();
    assertThat(defaults.algorithm()).isEqualTo(Hmacs.SHA256);
    assertThat(defaults.header()).isEqualTo("X-Signature");
    assertThat(defaults.base64()).isFalse();
  }

  @Test
  void genericHmacHexIsCaseInsensitive() {
    GenericHmacScheme hmac = GenericHmacScheme.fromKeys(Map.of("hmac_prefix", "sha256="));
    String value = hmac.sign(new SigningInput(BODY, "k", NOW, null)).get(0).value();
    assertThat(hmac.verify(request(new Header("X-Signature", "sha256=" + value.substring(7).toUpperCase())), List.of("k"), FRESH)).isNotNull();
  }

  @Test
  void schemesByNameRejectUnknownNames() {
    assertThat(Schemes.byName("github", Map.of())).isInstanceOf(GitHubScheme.class);
    assertThatThrownBy(() -> Schemes.byName("gitlab", Map.of())).hasMessageContaining("gitlab").hasMessageContaining("github");
    assertThatThrownBy(() -> Schemes.byName(null, Map.of())).hasMessageContaining("scheme is missing");
  }
}
