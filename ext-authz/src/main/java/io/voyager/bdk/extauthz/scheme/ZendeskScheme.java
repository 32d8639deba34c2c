package io.voyager.bdk.extauthz.scheme;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Zendesk: {@code X-Zendesk-Webhook-Signature: <base64 HMAC-SHA256(secret, timestamp + body)>}
 * with {@code X-Zendesk-Webhook-Signature-Timestamp} (ISO-8601, e.g. {@code 2024-05-01T10:00:00Z};
 * Unix seconds are accepted too) concatenated to the body without a separator.
 *
 * <p>The delivery id is {@code X-Zendesk-Webhook-Invocation-Id}: Zendesk's
 * {@code X-Zendesk-Webhook-Id} names the webhook itself, the same on every delivery, so keying
 * replays on it would refuse every event after the first. Replay protection keys on the verified
 * signature (it covers the timestamp).
 */
public final class ZendeskScheme implements WebhookScheme {
  public static final String SIGNATURE = "X-Zendesk-Webhook-Signature";
  public static final String TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp";
  public static final String INVOCATION = "X-Zendesk-Webhook-Invocation-Id";

  @Override
  public String name() {
    return "zendesk";
  }

  @Override
  public List<Header> sign(SigningInput in) {
    String ts = in.timestamp().toString();
    byte[] mac = Hmacs.mac(Hmacs.SHA256, Hmacs.utf8(in.secret()), Hmacs.utf8(ts), in.body());
    List<Header> headers = new ArrayList<>();
    if (in.id() != null) {
      headers.add(new Header(INVOCATION, in.id()));
    }
    headers.add(new Header(TIMESTAMP, ts));
    headers.add(new Header(SIGNATURE, Hmacs.base64(mac)));
    return headers;
  }

  @Override
  public Verified verify(WebhookRequest request, List<String> secrets, Freshness freshness) {
    String value = request.headers().requireToken(SIGNATURE, DenyReason.MISSING_SIGNATURE);
    String ts = request.headers().requireToken(TIMESTAMP, DenyReason.MISSING_HEADER);
    byte[] presented = Hmacs.fromBase64(value, SIGNATURE);
    freshness.requireWithin(TIMESTAMP, epochSeconds(ts));
    byte[] mac = Hmacs.requireMatch(Hmacs.SHA256, Hmacs.utf8Keys(secrets), List.of(presented), SIGNATURE,
        Hmacs.utf8(ts), request.body());
    String invocation = request.headers().singleToken(INVOCATION).filter(s -> !s.isEmpty()).orElse(null);
    return Verified.bySignature(invocation, mac);
  }

  private static long epochSeconds(String ts) {
    if (!ts.isEmpty() && ts.chars().allMatch(Character::isDigit)) {
      try {
        return Long.parseLong(ts);
      } catch (NumberFormatException e) {
        // falls through to the malformed denial
      }
    } else {
      try {
        return Instant.parse(ts).getEpochSecond();
      } catch (DateTimeParseException e) {
        // falls through to the malformed denial
      }
    }
    throw new WebhookDenied(DenyReason.MALFORMED_HEADER, "header " + TIMESTAMP + " is not an ISO-8601 instant or Unix timestamp");
  }
}
