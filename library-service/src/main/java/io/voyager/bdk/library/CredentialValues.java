package io.voyager.bdk.library;

import io.voyager.bdk.model.InstanceCredentials;
import io.voyager.bdk.model.StandardWebhookSecrets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Generates the values of {@code generated} credentials: {@value InstanceCredentials#GENERATED_BYTES}
 * bytes of a {@link SecureRandom}, base64url without padding (43 characters) — or, for a credential a
 * Standard Webhooks binding signs with, {@code whsec_} and standard base64, the form that scheme's
 * senders and ext-authz expect. A value is returned once by the call that made it and never logged.
 */
final class CredentialValues {
  private final SecureRandom random;

  CredentialValues() {
    this(new SecureRandom());
  }

  CredentialValues(SecureRandom random) {
    this.random = random;
  }

  String generate(boolean standardWebhooks) {
    byte[] bytes = new byte[InstanceCredentials.GENERATED_BYTES];
    random.nextBytes(bytes);
    return standardWebhooks
        ? StandardWebhookSecrets.PREFIX + Base64.getEncoder().encodeToString(bytes)
        : Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
