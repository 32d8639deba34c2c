package io.voyager.bdk.controller.apply;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.TailscaleFactory;
import io.voyager.bdk.controller.desired.ValidInstance;
import io.voyager.bdk.controller.desired.Workload;
import io.voyager.bdk.controller.desired.WorkloadFactory;
import io.voyager.bdk.controller.desired.WorkloadRuntime;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Brings every object of one {@link Workload} to its desired form — Deployment, Service,
 * NetworkPolicies (ingress and egress), autoscaler, the wake Lease of a book that sleeps when idle,
 * and the Tailscale set — and returns their keys, so the caller can delete what is no longer
 * wanted.
 */
public final class WorkloadApplier {
  private final WorkloadFactory workloads;
  private final TailscaleFactory tailscale;
  private final ResourceApplier applier;
  private final CredentialsSecrets credentials;

  public WorkloadApplier(ControllerSettings settings, ResourceApplier applier, CredentialsSecrets credentials) {
    this.workloads = new WorkloadFactory(settings);
    this.tailscale = new TailscaleFactory(settings);
    this.applier = applier;
    this.credentials = credentials;
  }

  /**
   * The Deployment the workload's spec asks for, its pod template's revision covering the values of
   * the credentials each tenant's book mounts (as the credentials Secrets are cached).
   */
  public Deployment wanted(Workload w) {
    Map<String, String> mounted = new TreeMap<>();
    for (ValidInstance t : w.tenants()) {
      String digest = credentials.cachedDigest(t);
      if (!digest.isEmpty()) {
        mounted.put(t.name(), digest);
      }
    }
    return workloads.deployment(w, mounted);
  }

  /**
   * Applies the workload: {@code wanted} (from {@link #wanted}) shaped by {@code runtime} (the
   * revision it runs, whether it sleeps) and everything beside it. Keys ({@code Kind/namespace/name})
   * of the objects applied.
   */
  public Set<String> apply(Workload w, Deployment wanted, WorkloadRuntime runtime) {
    Set<String> keys = new HashSet<>();
    boolean autoscaled = WorkloadFactory.hasAutoscaler(w);
    boolean asleep = runtime.sleep().asleep();
    Deployment deployment = workloads.shaped(wanted, runtime);
    keys.add(key(applier.apply(deployment, (want, live) -> {
      if (autoscaled && !asleep) {
        // The autoscaler owns the count; a workload just woken (0 replicas) starts at the minimum.
        Integer current = live.getSpec() == null ? null : live.getSpec().getReplicas();
        want.getSpec().setReplicas(current != null && current > 0 ? current : WorkloadFactory.minReplicas(w));
      }
      LiveQuantities.inContainers(want, live);
      return want;
    }).object()));
    workloads.service(w).ifPresent(s -> keys.add(key(applier.apply(s, WorkloadApplier::keepClusterIp).object())));
    keys.add(key(applier.apply(workloads.networkPolicy(w)).object()));
    keys.add(key(applier.apply(workloads.egressPolicy(w)).object()));
    workloads.autoscaler(w).ifPresent(h -> keys.add(key(applier.apply(h).object())));
    workloads.wakeLease(w, runtime.serving())
        .ifPresent(l -> keys.add(key(applier.apply(l, WorkloadApplier::keepOthersAnnotations).object())));
    if (w.lead().tailscaleEnabled()) {
      keys.add(key(applier.apply(tailscale.stateSecret(w), WorkloadApplier::keepSecretData).object()));
      keys.add(key(applier.apply(tailscale.serviceAccount(w)).object()));
      keys.add(key(applier.apply(tailscale.role(w)).object()));
      keys.add(key(applier.apply(tailscale.roleBinding(w)).object()));
    }
    return keys;
  }

  public static String key(HasMetadata r) {
    return r.getKind() + "/" + r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
  }

  private static Service keepClusterIp(Service want, Service live) {
    if (live.getSpec() != null && live.getSpec().getClusterIP() != null) {
      want.getSpec().setClusterIP(live.getSpec().getClusterIP());
      want.getSpec().setClusterIPs(live.getSpec().getClusterIPs());
    }
    return want;
  }

  /** The Tailscale state Secret's data is written by tailscaled; never overwrite it. */
  private static Secret keepSecretData(Secret want, Secret live) {
    want.setData(live.getData());
    return want;
  }

  /**
   * The wake Lease's annotations other than the controller's (ext-authz's and the relay's
   * {@code last-webhook}) stay as they are: a write of {@code ready} must not erase the activity
   * record.
   */
  private static Lease keepOthersAnnotations(Lease want, Lease live) {
    Map<String, String> annotations = new TreeMap<>();
    if (live.getMetadata().getAnnotations() != null) {
      annotations.putAll(live.getMetadata().getAnnotations());
    }
    if (want.getMetadata().getAnnotations() != null) {
      annotations.putAll(want.getMetadata().getAnnotations());
    }
    want.getMetadata().setAnnotations(annotations);
    want.setSpec(live.getSpec());
    return want;
  }
}
