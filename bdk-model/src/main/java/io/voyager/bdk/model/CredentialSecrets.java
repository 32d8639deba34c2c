package io.voyager.bdk.model;

import java.util.Optional;

/**
 * Which Secrets may hold webhook signing secrets: only an instance's credentials Secret
 * ({@link InstanceNames#credentialsSecret}, {@code <instance>-credentials}, where the instance name
 * is a DNS-1123 label) in a customer namespace ({@link CustomerNamespaces}). ext-authz refuses, and
 * never reads, a route that names any other Secret (so a forged route cannot turn an arbitrary
 * Secret into an HMAC oracle); the xds-server refuses to route an ExternalBookDefinition that names
 * one, with the reason in its status.
 */
public final class CredentialSecrets {
  private CredentialSecrets() {}

  public static final String SUFFIX = "-credentials";
  /** Whether {@code name} is named like an instance's credentials Secret: a DNS-1123 label followed by {@value #SUFFIX}. */
  public static boolean isCredentialsSecretName(String name) {
    return name != null && name.endsWith(SUFFIX) && DnsNames.isLabel(name.substring(0, name.length() - SUFFIX.length()));
  }

  /** Why {@code namespace/name} may not hold webhook secrets, or empty when it may. */
  public static Optional<String> problem(String namespace, String name) {
    Optional<String> ns = CustomerNamespaces.problem(namespace);
    if (ns.isPresent()) {
      return Optional.of("secret namespace '" + namespace + "' " + ns.get());
    }
    if (!isCredentialsSecretName(name)) {
      return Optional.of("secret name '" + name + "' must name an instance's credentials Secret: <instance>" + SUFFIX
          + " (the instance a DNS label)");
    }
    return Optional.empty();
  }
}
