package io.voyager.bdk.controller.apply;

import io.voyager.bdk.controller.desired.ContentHash;
import io.voyager.bdk.controller.desired.ControllerSettings;
import io.voyager.bdk.controller.desired.TailscaleFactory;
import io.voyager.bdk.controller.desired.Workload;
import io.voyager.bdk.controller.desired.WorkloadFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Brings every object of one {@link Workload} to its desired form — Deployment, Service,
 * NetworkPolicies (ingress and egress), autoscaler and the Tailscale set — and returns their keys, so the caller can
 * delete what is no longer wanted.
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

  /** Keys ({@code Kind/namespace/name}) of the objects applied. */
  public Set<String> apply(Workload w) {
    Set<String> keys = new HashSet<>();
    boolean autoscaled = WorkloadFactory.hasAutoscaler(w);
    Deployment deployment = workloads.deployment(w, configHash(w));
    keys.add(key(applier.apply(deployment, (want, live) -> {
      if (autoscaled) {
        Integer current = live.getSpec() == null ? null : live.getSpec().getReplicas();
        want.getSpec().setReplicas(current != null ? current : WorkloadFactory.minReplicas(w));
      }
      return want;
    }).object()));
    workloads.service(w).ifPresent(s -> keys.add(key(applier.apply(s, WorkloadApplier::keepClusterIp).object())));
    keys.add(key(applier.apply(workloads.networkPolicy(w)).object()));
    keys.add(key(applier.apply(workloads.egressPolicy(w)).object()));
    workloads.autoscaler(w).ifPresent(h -> keys.add(key(applier.apply(h).object())));
    if (w.lead().tailscaleEnabled()) {
      keys.add(key(applier.apply(tailscale.stateSecret(w), WorkloadApplier::keepSecretData).object()));
      keys.add(key(applier.apply(tailscale.serviceAccount(w)).object()));
      keys.add(key(applier.apply(tailscale.role(w)).object()));
      keys.add(key(applier.apply(tailscale.roleBinding(w)).object()));
    }
    return keys;
  }

  /**
   * Digest of what the pods run with: every tenant's spec, its book, image and (salted) credentials. On the pod template, so a change to any of them — a credential rotation
   * included — rolls the pods.
   */
  String configHash(Workload w) {
    List<Map<String, Object>> tenants = w.tenants().stream().map(t -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", t.name());
      m.put("spec", t.spec());
      m.put("book", t.book().getSpec());
      m.put("image", t.image());
      m.put("tailscale_mode", t.tailscaleMode());
      m.put("credentials", credentials.cachedDigest(t));
      return m;
    }).toList();
    return ContentHash.of(tenants);
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
}
