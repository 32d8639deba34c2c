package io.voyager.bdk.model;

/**
 * Names of what exists in a customer namespace for a BookInstanceDefinition, derived from the
 * instance's metadata.name (a DNS-1123 label of at most 63 characters). The library service, the
 * controller, the xds-server and ext-authz all use these, so each side finds what the other made.
 */
public final class InstanceNames {
  private InstanceNames() {}

  /** The Secret holding the instance's credential values, one key per credential name. */
  public static String credentialsSecret(String instanceName) {
    return instanceName + "-credentials";
  }

  /** The ExternalBookDefinition the controller makes for the instance: the same name. */
  public static String externalBookDefinition(String instanceName) {
    return instanceName;
  }
}
