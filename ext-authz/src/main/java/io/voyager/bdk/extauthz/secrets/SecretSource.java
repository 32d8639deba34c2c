package io.voyager.bdk.extauthz.secrets;

import java.util.List;

/** Where the active signing secrets of an endpoint come from. */
public interface SecretSource {
  /**
   * The active secrets (rotation: several, any one verifies), never empty.
   *
   * @throws io.voyager.bdk.extauthz.scheme.WebhookDenied with SECRET_UNAVAILABLE naming the Secret
   *     (never its value) when it is missing, lacks the key or holds no secret
   */
  List<String> secrets(SecretRef ref);

  /**
   * Whether {@link #secrets} for this Secret answers at once, from memory (cached, or a failed read
   * remembered), rather than waiting for a read. A source held in memory is always ready.
   */
  default boolean ready(String namespace, String name) {
    return true;
  }
}
