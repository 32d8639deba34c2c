package io.voyager.bdk.library;

import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookPodDefaults;
import java.math.BigDecimal;

/**
 * What one instance counts against its Organization's quotas. Pure.
 *
 * <ul>
 *   <li>replicas: the autoscaler's maximum when it has one ({@code scaling.max_replicas}), else
 *       {@code replicas} (1 when not set) — the most pods it may run;
 *   <li>CPU and memory requests: what one pod requests ({@link BookPodDefaults#perReplica}: the
 *       book container as set, else the LimitRange defaults the controller gives, plus the Tailscale
 *       sidecar at the defaults) times those replicas;
 *   <li>webhook integrations: its webhook bindings.
 * </ul>
 *
 * @param cpu cores
 * @param memory bytes
 */
record InstanceCharge(int instances, int replicas, BigDecimal cpu, BigDecimal memory, int webhooks) {

  static final InstanceCharge NONE = new InstanceCharge(0, 0, BigDecimal.ZERO, BigDecimal.ZERO, 0);

  static InstanceCharge of(BookInstanceDefinitionSpec spec) {
    BookInstanceDefinitionSpec.Deployment d = spec.deployment();
    int replicas = replicas(d);
    boolean tailscale = spec.networking() != null && spec.networking().tailscale() != null
        && Boolean.TRUE.equals(spec.networking().tailscale().enabled());
    BookPodDefaults.Requests perPod = BookPodDefaults.perReplica(d == null ? null : d.resources(), tailscale);
    BookPodDefaults.Requests all = perPod.times(replicas);
    return new InstanceCharge(1, replicas, all.cpu(), all.memory(), spec.webhooks() == null ? 0 : spec.webhooks().size());
  }

  /** The most pods the instance may run: the autoscaler's maximum, else its replicas (1 by default). */
  static int replicas(BookInstanceDefinitionSpec.Deployment d) {
    if (d != null && d.scaling() != null && d.scaling().maxReplicas() != null) {
      return d.scaling().maxReplicas();
    }
    return d == null || d.replicas() == null ? 1 : d.replicas();
  }

  InstanceCharge plus(InstanceCharge other) {
    return new InstanceCharge(instances + other.instances, replicas + other.replicas,
        cpu.add(other.cpu), memory.add(other.memory), webhooks + other.webhooks);
  }
}
