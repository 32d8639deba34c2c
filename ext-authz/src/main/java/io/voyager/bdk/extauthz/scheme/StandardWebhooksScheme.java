package io.voyager.bdk.extauthz.scheme;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Standard Webhooks (standardwebhooks.com): {@code webhook-id}, {@code webhook-timestamp} (Unix
 * seconds) and {@code webhook-signature: v1,<base64> [v1,<base64>…]} (space-separated), each
 * HMAC-SHA256(key, id + "." + timestamp + "." + body). Secrets are {@code whsec_<base64 key>}
 * (a bare base64 key is accepted too). The id is signed, so replay protection keys on it.
 */
public final class StandardWebhooksScheme implements WebhookScheme {
  public static final String ID = "webhook-id";
  public static final String TIMESTAMP = "webhook-timestamp";
  public static final String SIGNATURE = "webhook-signature";
  private static final String SECRET_PREFIX = "whsec_";
  private static final java.util.function.Function<String, byte[]> WHSEC_KEY = StandardWebhooksScheme::key;

  @Override
  public String name() {
    return "standard";
  }

  @Override
  public List<Header> sign(SigningInput in) {
    if (in.id() == null || in.id().isBlank()) {
      throw new IllegalArgumentException("the standard scheme signs a webhook id: give one");
    }
    String ts = Long.toString(in.timestamp().getEpochSecond());
    byte[] key = key(in.secret());
    if (key == null) {
      throw new IllegalArgumentException("a standard-webhooks secret is whsec_ followed by base64");
    }
    byte[] mac = Hmacs.mac(Hmacs.SHA256, key, Hmacs.utf8(in.id() + "." + ts + "."), in.body());
    return List.of(new Header(ID, in.id()), new Header(TIMESTAMP, ts), new Header(SIGNATURE, "v1," + Hmacs.base64(mac)));
  }

  @Override
  public Verified verify(WebhookRequest request, List<String> secrets, Freshness freshness) {
    String value = request.headers().single(SIGNATURE).filter(s -> !s.isEmpty())
        .orElseThrow(() -> new WebhookDenied(DenyReason.MISSING_SIGNATURE, "header " + SIGNATURE + " is missing"));
    String id = request.headers().requireToken(ID, DenyReason.MISSING_HEADER);
    String ts = request.headers().requireToken(TIMESTAMP, DenyReason.MISSING_HEADER);
    List<byte[]> presented = new ArrayList<>();
    for (String entry : value.trim().split(" +")) {
      int comma = entry.indexOf(',');
      if (comma <= 0) {
        throw new WebhookDenied(DenyReason.MALFORMED_SIGNATURE, "header " + SIGNATURE + " entries must be <version>,<base64>");
      }
      if (entry.substring(0, comma).equals("v1")) {
        presented.add(Hmacs.fromBase64(entry.substring(comma + 1), SIGNATURE));
      }
    }
    if (presented.isEmpty()) {
      throw new WebhookDenied(DenyReason.MALFORMED_SIGNATURE, "header " + SIGNATURE + " has no v1 signature");
    }
    freshness.requireEpochSeconds(TIMESTAMP, ts);
    List<byte[]> keys = Hmacs.derivedKeys(secrets, WHSEC_KEY);
    if (keys.isEmpty()) {
      throw new WebhookDenied(DenyReason.SECRET_UNAVAILABLE, "no active secret is a valid whsec_<base64> key");
    }
    Hmacs.requireMatch(Hmacs.SHA256, keys, presented, SIGNATURE, Hmacs.utf8(id + "." + ts + "."), request.body());
    return Verified.bySignedId(id);
  }

  /** The HMAC key of a {@code whsec_} secret, or null when it is not valid base64. */
  static byte[] key(String secret) {
    String b64 = secret.startsWith(SECRET_PREFIX) ? secret.substring(SECRET_PREFIX.length()) : secret;
    try {
      byte[] key = Base64.getDecoder().decode(b64);
      return key.length == 0 ? null : key;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
