package io.voyager.bdk.controller.desired;

import io.voyager.bdk.controller.Main;
import io.voyager.bdk.model.EgressRules;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the operator configures about the books the controller runs: images, Tailscale and where
 * the gateway lives. Immutable; built from flags by {@link Main}.
 *
 * @param images runtime → image resolution, with the registry override
 * @param tailscaleImage image of the Tailscale sidecar (the registry override applies to it too)
 * @param tailscaleMode default sidecar mode, {@code userspace} or {@code kernel}; an instance's
 *     {@code networking.tailscale.mode} overrides it
 * @param gatewayNamespace namespace whose pods may reach books (the NetworkPolicy's source)
 * @param gatewayPodLabels labels of the gateway pods within it; empty = every pod there
 * @param defaultLogLevel LOG_LEVEL when the instance does not set one
 * @param dnsNamespace namespace of the cluster DNS pods, the one destination every book pod may
 *     reach (port 53, UDP and TCP)
 * @param dnsPodLabels labels of the cluster DNS pods within it; empty = every pod there
 * @param apiServerEgress where Tailscale sidecars reach the Kubernetes API for their state Secret,
 *     beyond TCP 443 (which they may reach at any address anyway)
 * @param tailscaleKernelAllowed whether a sidecar may run in kernel mode (root with NET_ADMIN); off
 *     unless the operator enables it, and then an instance asking for it is Failed naming the flag
 * @param sleepAfter how long a webhook-triggered book may go without a webhook before it is scaled
 *     to zero; {@link Duration#ZERO} keeps such books running
 * @param runManagerEndpoint the Run Manager's URL, given to long-polling and webhook-triggered
 *     books as {@code RUN_MANAGER_ENDPOINT}; null when the operator set none
 */
public record ControllerSettings(
    ImageResolver images,
    String tailscaleImage,
    String tailscaleMode,
    String gatewayNamespace,
    Map<String, String> gatewayPodLabels,
    String defaultLogLevel,
    String dnsNamespace,
    Map<String, String> dnsPodLabels,
    List<ApiServerEndpoint> apiServerEgress,
    boolean tailscaleKernelAllowed,
    Duration sleepAfter,
    String runManagerEndpoint) {

  public static final String TAILSCALE_USERSPACE = "userspace";
  public static final String TAILSCALE_KERNEL = "kernel";
  /** How long a webhook-triggered book stays up without webhooks, unless the operator says otherwise. */
  public static final Duration DEFAULT_SLEEP_AFTER = Duration.ofMinutes(15);

  /** Kernel mode not allowed, webhook-triggered books sleep after {@link #DEFAULT_SLEEP_AFTER}, no Run Manager. */
  public ControllerSettings(ImageResolver images, String tailscaleImage, String tailscaleMode, String gatewayNamespace,
      Map<String, String> gatewayPodLabels, String defaultLogLevel, String dnsNamespace, Map<String, String> dnsPodLabels,
      List<ApiServerEndpoint> apiServerEgress) {
    this(images, tailscaleImage, tailscaleMode, gatewayNamespace, gatewayPodLabels, defaultLogLevel, dnsNamespace,
        dnsPodLabels, apiServerEgress, false, DEFAULT_SLEEP_AFTER, null);
  }

  public ControllerSettings {
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(tailscaleImage, "tailscaleImage");
    if (!TAILSCALE_USERSPACE.equals(tailscaleMode) && !TAILSCALE_KERNEL.equals(tailscaleMode)) {
      throw new IllegalArgumentException(
          "--tailscale-mode must be 'userspace' or 'kernel'; got '" + tailscaleMode + "'");
    }
    Objects.requireNonNull(gatewayNamespace, "gatewayNamespace");
    gatewayPodLabels = Map.copyOf(gatewayPodLabels);
    Objects.requireNonNull(defaultLogLevel, "defaultLogLevel");
    Objects.requireNonNull(dnsNamespace, "dnsNamespace");
    dnsPodLabels = Map.copyOf(dnsPodLabels);
    apiServerEgress = List.copyOf(apiServerEgress);
    if (TAILSCALE_KERNEL.equals(tailscaleMode) && !tailscaleKernelAllowed) {
      throw new IllegalArgumentException(
          "--tailscale-mode kernel runs sidecars as root with NET_ADMIN: allow it with --tailscale-allow-kernel-mode");
    }
    Objects.requireNonNull(sleepAfter, "sleepAfter");
    if (sleepAfter.isNegative()) {
      throw new IllegalArgumentException("--sleep-after must not be negative; got " + sleepAfter);
    }
  }

  /** These settings with kernel-mode sidecars allowed or not. */
  public ControllerSettings withTailscaleKernelAllowed(boolean allowed) {
    return new ControllerSettings(images, tailscaleImage, tailscaleMode, gatewayNamespace, gatewayPodLabels, defaultLogLevel,
        dnsNamespace, dnsPodLabels, apiServerEgress, allowed, sleepAfter, runManagerEndpoint);
  }

  /** These settings with another idle period for webhook-triggered books (zero: they never sleep). */
  public ControllerSettings withSleepAfter(Duration after) {
    return new ControllerSettings(images, tailscaleImage, tailscaleMode, gatewayNamespace, gatewayPodLabels, defaultLogLevel,
        dnsNamespace, dnsPodLabels, apiServerEgress, tailscaleKernelAllowed, after, runManagerEndpoint);
  }

  /** These settings with the Run Manager's URL for long-polling and webhook-triggered books. */
  public ControllerSettings withRunManagerEndpoint(String endpoint) {
    return new ControllerSettings(images, tailscaleImage, tailscaleMode, gatewayNamespace, gatewayPodLabels, defaultLogLevel,
        dnsNamespace, dnsPodLabels, apiServerEgress, tailscaleKernelAllowed, sleepAfter, endpoint);
  }

  /** Whether webhook-triggered books are scaled to zero when idle. */
  public boolean sleepEnabled() {
    return !sleepAfter.isZero();
  }

  /** The Kubernetes API server's network and port, as Tailscale sidecars reach it (after any Service translation). */
  public record ApiServerEndpoint(String cidr, int port) {
    /** Parses {@code CIDR:PORT} ({@code 172.18.0.2/32:6443}, {@code 2001:db8::1/128:6443}); the error names the flag. */
    public static ApiServerEndpoint parse(String flag, String value) {
      int colon = value.lastIndexOf(':');
      String cidr = colon < 0 ? value : value.substring(0, colon);
      String port = colon < 0 ? "" : value.substring(colon + 1);
      var problem = EgressRules.cidrProblem(cidr);
      if (colon < 0 || problem.isPresent() || !port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
        throw new IllegalArgumentException(flag + " must be CIDR:PORT, e.g. 172.18.0.2/32:6443, with a port from 1 to 65535"
            + problem.map(p -> " (the CIDR " + p + ")").orElse("") + "; got '" + value + "'");
      }
      return new ApiServerEndpoint(cidr, Integer.parseInt(port));
    }
  }

  /** Defaults for tests and the local stack. */
  public static ControllerSettings defaults() {
    return new ControllerSettings(
        ImageResolver.defaults(),
        "tailscale/tailscale:stable",
        TAILSCALE_USERSPACE,
        "bdk",
        Map.of("app.kubernetes.io/name", "envoy"),
        "info",
        "kube-system",
        Map.of("k8s-app", "kube-dns"),
        List.of());
  }
}
