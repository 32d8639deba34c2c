package io.voyager.bdk.extauthz.scheme;

import java.util.ArrayList;
import java.util.List;

/**
 * GitHub: {@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>}; the delivery id
 * {@code X-GitHub-Delivery} is not signed, so replay protection keys on the verified signature
 * always (a captured delivery with a changed or removed id is still a replay) and on the delivery
 * id too when present. GitHub signs no timestamp: replays are caught only within the replay window.
 */
public final class GitHubScheme implements WebhookScheme {
  public static final String SIGNATURE = "X-Hub-Signature-256";
  public static final String DELIVERY = "X-GitHub-Delivery";
  private static final String PREFIX = "sha256=";

  @Override
  public String name() {
    return "github";
  }

  @Override
  public List<Header> sign(SigningInput in) {
    List<Header> headers = new ArrayList<>();
    if (in.id() != null) {
      headers.add(new Header(DELIVERY, in.id()));
    }
    headers.add(new Header(SIGNATURE, PREFIX + Hmacs.hex(Hmacs.mac(Hmacs.SHA256, Hmacs.utf8(in.secret()), in.body()))));
    return headers;
  }

  @Override
  public Verified verify(WebhookRequest request, List<String> secrets, Freshness freshness) {
    String value = request.headers().requireToken(SIGNATURE, DenyReason.MISSING_SIGNATURE);
    if (!value.startsWith(PREFIX)) {
      throw new WebhookDenied(DenyReason.MALFORMED_SIGNATURE, "header " + SIGNATURE + " must start with " + PREFIX);
    }
    byte[] presented = Hmacs.fromHex(value.substring(PREFIX.length()), SIGNATURE);
    byte[] mac = Hmacs.requireMatch(Hmacs.SHA256, Hmacs.utf8Keys(secrets), List.of(presented), SIGNATURE, Hmacs.NO_PREFIX, request.body());
    String delivery = request.headers().singleToken(DELIVERY).filter(s -> !s.isEmpty()).orElse(null);
    return Verified.bySignatureAndDeliveryId(delivery, mac);
  }
}
