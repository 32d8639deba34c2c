package io.voyager.bdk.controller;

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
 */
public record ControllerSettings(
    ImageResolver images,
    String tailscaleImage,
    String tailscaleMode,
    String gatewayNamespace,
    Map<String, String> gatewayPodLabels,
    String defaultLogLevel) {

  public static final String TAILSCALE_USERSPACE = "userspace";
  public static final String TAILSCALE_KERNEL = "kernel";

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
  }

  /** Defaults for tests and the local stack. */
  public static ControllerSettings defaults() {
    return new ControllerSettings(
        ImageResolver.defaults(),
        "tailscale/tailscale:stable",
        TAILSCALE_USERSPACE,
        "bdk",
        Map.of("app.kubernetes.io/name", "envoy"),
        "info");
  }
}
