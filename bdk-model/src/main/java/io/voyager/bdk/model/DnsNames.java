package io.voyager.bdk.model;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Kubernetes' DNS-1123 name rules in one place: a label (most object names, namespaces, Service
 * names: lowercase alphanumerics and '-', starting and ending alphanumeric, at most
 * {@value #MAX_LABEL} characters) and a subdomain (labels joined by '.', at most
 * {@value #MAX_SUBDOMAIN}). The CRD schemas use {@link #LABEL_PATTERN}, which carries the length
 * limit itself, so the schema and {@link #labelProblem} agree on every value. Each
 * {@code …Problem} method returns why a value is not such a name (for the caller to prefix with
 * its field name), or empty when it is one.
 */
public final class DnsNames {
  private DnsNames() {}

  public static final int MAX_LABEL = 63;
  public static final int MAX_SUBDOMAIN = 253;
  /** A DNS-1123 label with its length limit: the CRD schemas' pattern for such names. */
  public static final String LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  public static boolean isLabel(String value) {
    return labelProblem(value).isEmpty();
  }

  /** Why {@code value} is not a DNS-1123 label, or empty when it is one. */
  public static Optional<String> labelProblem(String value) {
    if (value == null || value.isEmpty()) {
      return Optional.of("is required");
    }
    if (value.length() > MAX_LABEL) {
      return Optional.of("must be at most " + MAX_LABEL + " characters (DNS-1123 label)");
    }
    if (!LABEL.matcher(value).matches()) {
      return Optional.of(
          "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit; got "
              + quoted(value));
    }
    return Optional.empty();
  }

  public static boolean isSubdomain(String value) {
    return subdomainProblem(value).isEmpty();
  }

  /** Why {@code value} is not a DNS-1123 subdomain (e.g. a Secret or ConfigMap name), or empty when it is one. */
  public static Optional<String> subdomainProblem(String value) {
    if (value == null || value.isEmpty()) {
      return Optional.of("is required");
    }
    if (value.length() > MAX_SUBDOMAIN) {
      return Optional.of("must be at most " + MAX_SUBDOMAIN + " characters (DNS-1123 subdomain)");
    }
    if (!SUBDOMAIN.matcher(value).matches()) {
      return Optional.of(
          "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit; got "
              + quoted(value));
    }
    return Optional.empty();
  }

  private static String quoted(String s) {
    return "'" + (s.length() > 64 ? s.substring(0, 64) + "…" : s) + "'";
  }
}
