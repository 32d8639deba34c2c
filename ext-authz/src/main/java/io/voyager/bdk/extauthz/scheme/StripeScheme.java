package io.voyager.bdk.extauthz.scheme;

import java.util.ArrayList;
import java.util.List;

/**
 * Stripe: {@code Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]} where each {@code v1} is
 * HMAC-SHA256(secret, t + "." + body); other schemes ({@code v0}) are ignored. During a Stripe
 * secret roll several {@code v1} are sent: any one matching any active secret verifies. Stripe
 * sends no delivery header; replay protection keys on the verified signature (it covers t).
 */
public final class StripeScheme implements WebhookScheme {
  public static final String SIGNATURE = "Stripe-Signature";

  @Override
  public String name() {
    return "stripe";
  }

  @Override
  public List<Header> sign(SigningInput in) {
    String t = Long.toString(in.timestamp().getEpochSecond());
    byte[] mac = Hmacs.mac(Hmacs.SHA256, Hmacs.utf8(in.secret()), Hmacs.utf8(t + "."), in.body());
    return List.of(new Header(SIGNATURE, "t=" + t + ",v1=" + Hmacs.hex(mac)));
  }

  @Override
  public Verified verify(WebhookRequest request, List<String> secrets, Freshness freshness) {
    String value = request.headers().single(SIGNATURE).filter(s -> !s.isEmpty())
        .orElseThrow(() -> new WebhookDenied(DenyReason.MISSING_SIGNATURE, "header " + SIGNATURE + " is missing"));
    String t = null;
    List<byte[]> v1 = new ArrayList<>();
    for (String item : value.split(",")) {
      String part = item.trim();
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new WebhookDenied(DenyReason.MALFORMED_SIGNATURE, "header " + SIGNATURE + " has an element without key=value");
      }
      String key = part.substring(0, eq);
      String val = part.substring(eq + 1);
      if (key.equals("t")) {
        if (t != null) {
          throw new WebhookDenied(DenyReason.DUPLICATE_HEADER, "header " + SIGNATURE + " holds more than one t= (sent more than once?)");
        }
        t = val;
      } else if (key.equals("v1")) {
        v1.add(Hmacs.fromHex(val, SIGNATURE));
      }
    }
    if (t == null) {
      throw new WebhookDenied(DenyReason.MALFORMED_SIGNATURE, "header " + SIGNATURE + " has no t= timestamp");
    }
    if (v1.isEmpty()) {
      throw new WebhookDenied(DenyReason.MALFORMED_SIGNATURE, "header " + SIGNATURE + " has no v1= signature");
    }
    freshness.requireEpochSeconds(SIGNATURE + " t", t);
    byte[] mac = Hmacs.requireMatch(Hmacs.SHA256, Hmacs.utf8Keys(secrets), v1, SIGNATURE, Hmacs.utf8(t + "."), request.body());
    return Verified.bySignature(null, mac);
  }
}
