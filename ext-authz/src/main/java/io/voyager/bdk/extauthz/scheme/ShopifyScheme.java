package io.voyager.bdk.extauthz.scheme;

import java.util.ArrayList;
import java.util.List;

/**
 * Shopify: {@code X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(secret, body)>}; delivery id
 * {@code X-Shopify-Webhook-Id} (not signed). No signed timestamp. Replay protection keys on the
 * verified signature and, when present, on the delivery id.
 */
public final class ShopifyScheme implements WebhookScheme {
  public static final String SIGNATURE = "X-Shopify-Hmac-Sha256";
  public static final String DELIVERY = "X-Shopify-Webhook-Id";

  @Override
  public String name() {
    return "shopify";
  }

  @Override
  public List<Header> sign(SigningInput in) {
    List<Header> headers = new ArrayList<>();
    if (in.id() != null) {
      headers.add(new Header(DELIVERY, in.id()));
    }
    headers.add(new Header(SIGNATURE, Hmacs.base64(Hmacs.mac(Hmacs.SHA256, Hmacs.utf8(in.secret()), in.body()))));
    return headers;
  }

  @Override
  public Verified verify(WebhookRequest request, List<String> secrets, Freshness freshness) {
    String value = request.headers().requireToken(SIGNATURE, DenyReason.MISSING_SIGNATURE);
    byte[] presented = Hmacs.fromBase64(value, SIGNATURE);
    byte[] mac = Hmacs.requireMatch(Hmacs.SHA256, Hmacs.utf8Keys(secrets), List.of(presented), SIGNATURE, Hmacs.NO_PREFIX, request.body());
    String delivery = request.headers().singleToken(DELIVERY).filter(s -> !s.isEmpty()).orElse(null);
    return Verified.bySignatureAndDeliveryId(delivery, mac);
  }
}
