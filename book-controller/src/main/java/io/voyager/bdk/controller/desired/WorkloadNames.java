package io.voyager.bdk.controller.desired;

import io.voyager.bdk.model.DeploymentType;
import io.voyager.bdk.model.Digests;
import io.voyager.bdk.model.InstanceNames;

/**
 * Names of what the controller makes in a customer namespace. All are DNS-1123 labels of at most
 * 63 characters (Service names must be); a name that would be longer is cut and made unique with a
 * short digest of the full name.
 */
public final class WorkloadNames {
  private WorkloadNames() {}

  static final int MAX = 63;

  /** primary, long-polling, webhook-triggered: the instance's name; secondary: {@code <instance>-secondary}. */
  public static String forInstance(String instanceName, DeploymentType type) {
    return type == DeploymentType.SECONDARY ? fit(instanceName, "-secondary") : fit(instanceName, "");
  }

  /** The one workload serving every shared instance of a book (by its BookDefinition's name). */
  public static String shared(String bookDefinitionName) {
    return fit(bookDefinitionName, "-shared");
  }

  /** Written by the library service; the controller creates it empty if absent. */
  public static String credentialsSecret(String instanceName) {
    return InstanceNames.credentialsSecret(instanceName);
  }

  public static String tailscaleState(String workload) {
    return fit(workload, "-ts-state");
  }

  /** Name of the ServiceAccount, Role and RoleBinding the Tailscale sidecar runs with. */
  public static String tailscaleIdentity(String workload) {
    return fit(workload, "-tailscale");
  }

  public static String gatewayPolicy(String workload) {
    return fit(workload, "-ingress");
  }

  /** The NetworkPolicy listing where the workload's pods may connect: DNS, its declared egress, Tailscale's needs. */
  public static String egressPolicy(String workload) {
    return fit(workload, "-egress");
  }

  /** The Lease through which a webhook-triggered workload's webhooks wake it (see BookWake). */
  public static String wakeLease(String workload) {
    return fit(workload, "-wake");
  }

  static String fit(String base, String suffix) {
    String name = base + suffix;
    if (name.length() <= MAX) {
      return name;
    }
    String digest = Digests.sha256Hex(name).substring(0, 8);
    String cut = base.substring(0, MAX - suffix.length() - digest.length() - 1).replaceAll("-+$", "");
    return cut + "-" + digest + suffix;
  }
}
