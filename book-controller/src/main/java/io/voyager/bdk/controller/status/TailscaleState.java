package io.voyager.bdk.controller.status;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.voyager.bdk.controller.desired.TailscaleFactory;
import io.voyager.bdk.model.TailscaleRules;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Whether an instance's Tailscale sidecar is on its tailnet, as it says itself: containerboot
 * writes the device it joined as ({@code device_fqdn}, e.g. {@code book.acme-corp.ts.net.}) into its
 * state Secret, and answers its health check (its readiness) only with a tailnet address. Joined the
 * tailnet the spec names (or any, when it names none) → ready; joined another → a failure
 * ({@code WrongTailnet}: the auth key belongs to another tailnet); not joined (yet) → not ready,
 * saying how many pods' sidecars are ready. Only the device's name is read from that Secret — its
 * keys are tailscaled's and never leave it. Pure.
 */
public record TailscaleState(boolean ready, String reason, String message, Optional<RuntimeFailures.Failure> failure) {

  static final String DEVICE_FQDN = "device_fqdn";

  /**
   * @param tailnet {@code networking.tailscale.tailnet}, if the spec names one
   * @param stateSecret the sidecar's state Secret, as cached
   * @param pods the workload's pods
   */
  public static TailscaleState of(String tailnet, Optional<Secret> stateSecret, List<Pod> pods) {
    Optional<String> device = stateSecret.flatMap(s -> value(s, DEVICE_FQDN));
    if (device.isPresent()) {
      String fqdn = device.get();
      String joined = TailscaleRules.tailnetOf(fqdn);
      if (tailnet != null && !tailnet.isEmpty() && !TailscaleRules.inTailnet(fqdn, tailnet)) {
        String message = "container " + TailscaleFactory.CONTAINER + ": joined tailnet " + joined + " as " + strip(fqdn)
            + ", but networking.tailscale.tailnet is " + TailscaleRules.tailnetDomain(tailnet)
            + ": its auth key belongs to another tailnet";
        return new TailscaleState(false, "WrongTailnet", message,
            Optional.of(new RuntimeFailures.Failure("WrongTailnet", message, null, true, 1)));
      }
      return new TailscaleState(true, "Joined", "joined tailnet " + joined + " as " + strip(fqdn), Optional.empty());
    }
    long running = pods.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).count();
    long sidecarsReady = pods.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(TailscaleState::sidecarReady).count();
    return new TailscaleState(false, "NotJoined", "the Tailscale sidecar has not joined a tailnet (no device in its state Secret"
        + (stateSecret.isPresent() ? " " + stateSecret.get().getMetadata().getName() : "") + "; container "
        + TailscaleFactory.CONTAINER + " ready in " + sidecarsReady + "/" + running + " pods): check its auth key and logs",
        Optional.empty());
  }

  private static boolean sidecarReady(Pod pod) {
    return pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null
        && pod.getStatus().getContainerStatuses().stream()
            .anyMatch(c -> TailscaleFactory.CONTAINER.equals(c.getName()) && Boolean.TRUE.equals(c.getReady()));
  }

  private static Optional<String> value(Secret s, String key) {
    if (s.getStringData() != null && s.getStringData().get(key) != null) {
      return Optional.of(s.getStringData().get(key)).filter(v -> !v.isBlank());
    }
    if (s.getData() == null || s.getData().get(key) == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8)).filter(v -> !v.isBlank());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static String strip(String fqdn) {
    return fqdn.endsWith(".") ? fqdn.substring(0, fqdn.length() - 1) : fqdn;
  }
}
