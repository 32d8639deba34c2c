package io.voyager.bdk.model;

import java.util.Optional;

/**
 * The rule for namespaces that may hold customer books: {@code customer-<name>}, where the whole is
 * a valid DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters, starting and
 * ending alphanumeric). System namespaces ({@code kube-system}, {@code default}, {@code bdk}, …)
 * therefore never qualify.
 */
public final class CustomerNamespaces {
  private CustomerNamespaces() {}

  public static final String PREFIX = "customer-";
  /** The rule as the CRD schemas' pattern: {@value #PREFIX} and a DNS-1123 label's characters, 63 in all. */
  public static final String PATTERN = "^customer-[a-z0-9]([-a-z0-9]{0,52}[a-z0-9])?$";

  public static boolean isCustomerNamespace(String namespace) {
    return problem(namespace).isEmpty();
  }

  /** Why {@code namespace} is not a customer namespace, or empty when it is one. */
  public static Optional<String> problem(String namespace) {
    if (namespace == null || namespace.isEmpty()) {
      return Optional.of("is required");
    }
    if (namespace.length() > DnsNames.MAX_LABEL) {
      return Optional.of("must be at most " + DnsNames.MAX_LABEL + " characters");
    }
    if (!namespace.startsWith(PREFIX) || namespace.length() == PREFIX.length() || !DnsNames.isLabel(namespace)
        || !Character.isLetterOrDigit(namespace.charAt(PREFIX.length()))) {
      return Optional.of(
          "must be a customer namespace: 'customer-' followed by lowercase letters, digits and '-'");
    }
    return Optional.empty();
  }
}
