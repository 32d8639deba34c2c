package io.voyager.bdk.library;

import java.util.Optional;
import java.util.regex.Pattern;

/** Kubernetes name rules (RFC 1123 labels) as pure checks. */
final class Dns {
  private Dns() {}

  static final int MAX_LABEL = 63;
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  static boolean isLabel(String value) {
    return labelProblem(value).isEmpty();
  }

  /** Why {@code value} is not a DNS-1123 label, or empty when it is one. */
  static Optional<String> labelProblem(String value) {
    if (value == null || value.isEmpty()) {
      return Optional.of("is required");
    }
    if (value.length() > MAX_LABEL) {
      return Optional.of("must be at most 63 characters (DNS-1123 label)");
    }
    if (!LABEL.matcher(value).matches()) {
      return Optional.of(
          "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit");
    }
    return Optional.empty();
  }
}
