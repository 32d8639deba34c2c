package io.voyager.bdk.extauthz.scheme;

import java.util.ArrayList;
import java.util.List;

/**
 * An authentic webhook.
 *
 * @param deliveryId the provider's delivery id when it sends one (null otherwise)
 * @param replayKeys what identifies this delivery for replay protection; it is a replay when ANY of
 *     them was accepted within the window. Never a value the sender can change without breaking the
 *     signature alone: a scheme that signs its id keys on the id ({@code id:…}); every other scheme
 *     keys on the verified signature ({@code sig:…}, which covers the signed timestamp where there is
 *     one) and, when the provider sends an (unsigned) delivery id, on that id too.
 */
public record Verified(String deliveryId, List<String> replayKeys) {
  public Verified {
    if (replayKeys.isEmpty()) {
      throw new IllegalArgumentException("a verified webhook needs a replay key");
    }
    replayKeys = List.copyOf(replayKeys);
  }

  /** Keyed on the verified signature only. */
  public static Verified bySignature(String deliveryId, byte[] mac) {
    return new Verified(deliveryId, List.of(signatureKey(mac)));
  }

  /** Keyed on a signed id. */
  public static Verified bySignedId(String id) {
    return new Verified(id, List.of("id:" + id));
  }

  /**
   * Keyed on the verified signature and, when present, the provider's unsigned delivery id: a
   * captured delivery replayed with a changed or removed id is still the same signature, and a
   * provider's redelivery of the same id is still the same delivery.
   */
  public static Verified bySignatureAndDeliveryId(String deliveryId, byte[] mac) {
    List<String> keys = new ArrayList<>(2);
    keys.add(signatureKey(mac));
    if (deliveryId != null) {
      keys.add("id:" + deliveryId);
    }
    return new Verified(deliveryId, keys);
  }

  private static String signatureKey(byte[] mac) {
    return "sig:" + Hmacs.hex(mac);
  }
}
