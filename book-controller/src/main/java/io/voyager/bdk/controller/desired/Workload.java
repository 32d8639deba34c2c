package io.voyager.bdk.controller.desired;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.voyager.bdk.model.DeploymentType;
import io.voyager.bdk.model.BdkLabels;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One Deployment the controller runs and the instances it serves: exactly one for primary,
 * secondary, long-polling and webhook-triggered; one or more for shared. Settings that a shared
 * workload cannot take from every tenant at once (image, resources, scaling, Tailscale) come from
 * its first tenant by name, so every replica of the controller derives the same workload.
 */
public record Workload(String namespace, String name, DeploymentType type, List<ValidInstance> tenants) {

  public Workload {
    if (tenants.isEmpty()) {
      throw new IllegalArgumentException("a workload serves at least one instance");
    }
    tenants = tenants.stream().sorted(Comparator.comparing(ValidInstance::name)).toList();
  }

  public static Workload of(ValidInstance instance) {
    return new Workload(instance.customerNamespace(), instance.workloadName(), instance.type(), List.of(instance));
  }

  public boolean shared() {
    return type == DeploymentType.SHARED;
  }

  /** The tenant whose settings the workload takes. */
  public ValidInstance lead() {
    return tenants.get(0);
  }

  public Map<String, String> selector() {
    return Map.of(ManagedLabels.WORKLOAD, name);
  }

  /** Labels on every resource of this workload: the selector plus the way back to its instance(s). */
  public Map<String, String> labels() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(BdkLabels.MANAGED_BY, ManagedLabels.MANAGER);
    labels.put(ManagedLabels.COMPONENT, "book");
    labels.put(ManagedLabels.WORKLOAD, name);
    labels.put(ManagedLabels.DEPLOYMENT_TYPE, type.wireName());
    lead().bookId().ifPresent(id -> labels.put(BdkLabels.BOOK_ID, id));
    if (shared()) {
      labels.put(ManagedLabels.SHARED_GROUP, name);
    } else {
      labels.put(BdkLabels.INSTANCE_NAME, lead().name());
      String id = lead().instanceId();
      if (id != null) {
        labels.put(BdkLabels.INSTANCE_ID, id);
      }
    }
    return labels;
  }

  /** Metadata of an object named {@code name} made for this workload: its namespace, labels and annotations. */
  public ObjectMeta metadata(String name) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(namespace())
        .withLabels(labels())
        .withAnnotations(annotations())
        .build();
  }

  /** A shared workload's resources list their tenants; others need no annotation. */
  public Map<String, String> annotations() {
    return shared() ? Map.of(ManagedLabels.TENANTS, tenantNames()) : Map.of();
  }

  public String tenantNames() {
    return tenants.stream().map(ValidInstance::name).collect(Collectors.joining(","));
  }
}
