package io.voyager.bdk.extauthz.scheme;

import java.util.List;

/**
 * One provider's signature scheme, both sides: {@link #sign} produces the headers a sender adds
 * (bdkctl and tests use it) and {@link #verify} checks them (ext-authz uses it).
 */
public interface WebhookScheme {
  /** The context_extensions {@code scheme} value, e.g. {@code github}. */
  String name();

  /** The header lines a sender adds for this body, in the order it would send them. */
  List<Header> sign(SigningInput input);

  /**
   * Verifies a request against every active secret (rotation: any one verifies).
   *
   * @throws WebhookDenied when a header is missing, malformed, duplicated, the timestamp is out of
   *     tolerance or no secret produces the presented signature
   */
  Verified verify(WebhookRequest request, List<String> secrets, Freshness freshness);
}
