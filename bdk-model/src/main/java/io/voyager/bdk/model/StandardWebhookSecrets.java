package io.voyager.bdk.model;

import java.util.Base64;
import java.util.Optional;

/**
 * Standard Webhooks (standardwebhooks.com) signing secrets: {@code whsec_} followed by the base64
 * of the HMAC key. A credential used with the {@code standard} scheme must hold only such secrets
 * (one per line during a rotation); anything else would be refused on every delivery, so it is
 * refused when the instance is created instead.
 */
public final class StandardWebhookSecrets {
  private StandardWebhookSecrets() {}

  public static final String PREFIX = "whsec_";

  /** Why {@code value} (one secret per line) is not a set of whsec_ secrets, or empty. Never quotes the value. */
  public static Optional<String> problem(String value) {
    if (value == null || value.isBlank()) {
      return Optional.of("must hold a " + PREFIX + "<base64> secret (Standard Webhooks)");
    }
    int line = 0;
    for (String raw : value.split("\r?\n")) {
      String secret = raw.strip();
      line++;
      if (secret.isEmpty()) {
        continue;
      }
      if (!secret.startsWith(PREFIX)) {
        return Optional.of("line " + line + " must start with " + PREFIX + " (Standard Webhooks secrets are " + PREFIX + "<base64>)");
      }
      try {
        if (Base64.getDecoder().decode(secret.substring(PREFIX.length())).length == 0) {
          return Optional.of("line " + line + " has no key after " + PREFIX);
        }
      } catch (IllegalArgumentException e) {
        return Optional.of("line " + line + " is not " + PREFIX + " followed by base64");
      }
    }
    return Optional.empty();
  }
}
