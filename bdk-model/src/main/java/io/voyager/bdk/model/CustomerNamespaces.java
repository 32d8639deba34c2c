package io.voyager.bdk.model;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rule for namespaces that may hold customer books: {@code customer-<name>}, where the whole is
 * a valid DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters, starting and
 * ending alphanumeric). System namespaces ({@code kube-system}, {@code default}, {@code bdk}, …)
 * therefore never qualify.
 */
public final class CustomerNamespaces {
  private CustomerNamespaces() {}

  public static final String PREFIX = "customer-";
  private static final Pattern RULE = Pattern.compile("customer-[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  public static boolean isCustomerNamespace(String namespace) {
    return problem(namespace).isEmpty();
  }

  /** Why {@code namespace} is not a customer namespace, or empty when it is one. */
  public static Optional<String> problem(String namespace) {
    if (namespace == null || namespace.isEmpty()) {
      return Optional.of("is required");
    }
    if (namespace.length() > 63) {
      return Optional.of("must be at most 63 characters");
    }
    if (!RULE.matcher(namespace).matches()) {
      return Optional.of(
          "must be a customer namespace: 'customer-' followed by lowercase letters, digits and '-'");
    }
    return Optional.empty();
  }
}
