package io.voyager.bdk.extauthz.scheme;

import java.util.List;

/**
 * Slack: {@code X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + ts + ":" + body)>} with
 * {@code X-Slack-Request-Timestamp} (Unix seconds) inside the tolerance. Slack sends no delivery
 * id; replay protection keys on the verified signature (it covers the timestamp).
 */
public final class SlackScheme implements WebhookScheme {
  public static final String SIGNATURE = "X-Slack-Signature";
  public static final String TIMESTAMP = "X-Slack-Request-Timestamp";
  private static final String PREFIX = "v0=";

  @Override
  public String name() {
    return "slack";
  }

  @Override
  public List<Header> sign(SigningInput in) {
    String ts = Long.toString(in.timestamp().getEpochSecond());
    byte[] mac = Hmacs.mac(Hmacs.SHA256, Hmacs.utf8(in.secret()), Hmacs.utf8("v0:" + ts + ":"), in.body());
    return List.of(new Header(TIMESTAMP, ts), new Header(SIGNATURE, PREFIX + Hmacs.hex(mac)));
  }

  @Override
  public Verified verify(WebhookRequest request, List<String> secrets, Freshness freshness) {
    String value = request.headers().requireToken(SIGNATURE, DenyReason.MISSING_SIGNATURE);
    String ts = request.headers().requireToken(TIMESTAMP, DenyReason.MISSING_HEADER);
    if (!value.startsWith(PREFIX)) {
      throw new WebhookDenied(DenyReason.MALFORMED_SIGNATURE, "header " + SIGNATURE + " must start with " + PREFIX);
    }
    byte[] presented = Hmacs.fromHex(value.substring(PREFIX.length()), SIGNATURE);
    freshness.requireEpochSeconds(TIMESTAMP, ts);
    byte[] mac = Hmacs.requireMatch(Hmacs.SHA256, Hmacs.utf8Keys(secrets), List.of(presented), SIGNATURE,
        Hmacs.utf8("v0:" + ts + ":"), request.body());
    return Verified.bySignature(null, mac);
  }
}
