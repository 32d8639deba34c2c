package io.voyager.bdk.model;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a key of a Secret's {@code data} may be — Kubernetes' own rule (letters, digits, '-', '_'
 * and '.', at most {@value #MAX_LENGTH} characters) — in one place for everything that names one:
 * an instance's credential names (the keys of its credentials Secret; the library's request
 * validation) and an ExternalBookDefinition's {@code secret_ref.key} (the xds-server's translation).
 * A key Kubernetes would refuse is refused up front with the field's name, not by the API server
 * later. Pure.
 */
public final class SecretKeys {
  private SecretKeys() {}

  public static final int MAX_LENGTH = 253;
  /** The rule as a pattern (for a CRD schema; a test keeps it equal to {@link #problem}). */
  public static final String PATTERN = "^[-._a-zA-Z0-9]{1,253}$";
  private static final Pattern KEY = Pattern.compile(PATTERN);

  /** Why {@code key} cannot be a Secret key, or empty. Quotes at most 64 characters of it. */
  public static Optional<String> problem(String key) {
    if (key == null || key.isEmpty()) {
      return Optional.of("is required");
    }
    if (!KEY.matcher(key).matches()) {
      return Optional.of("must be 1 to " + MAX_LENGTH + " letters, digits, '-', '_' or '.' (a Secret key); got '"
          + (key.length() > 64 ? key.substring(0, 64) + "…" : key) + "'");
    }
    return Optional.empty();
  }
}
