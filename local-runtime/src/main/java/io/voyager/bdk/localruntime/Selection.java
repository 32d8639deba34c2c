package io.voyager.bdk.localruntime;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.Map;

/** Which Deployments a Service selects and how many replicas a Deployment asks for. Pure. */
final class Selection {
  private Selection() {}

  /**
   * True when the Service has a non-empty selector and every selector label is on the
   * Deployment's pod template — Kubernetes' rule for which pods back a Service.
   */
  static boolean selects(Service service, Deployment deployment) {
    Map<String, String> selector = service.getSpec() == null ? null : service.getSpec().getSelector();
    if (selector == null || selector.isEmpty()) {
      return false;
    }
    var template = deployment.getSpec() == null ? null : deployment.getSpec().getTemplate();
    Map<String, String> podLabels =
        template == null || template.getMetadata() == null ? null : template.getMetadata().getLabels();
    if (podLabels == null) {
      return false;
    }
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(podLabels.get(e.getKey())));
  }

  /** {@code spec.replicas}, which Kubernetes defaults to 1 when unset. */
  static int replicas(Deployment deployment) {
    Integer replicas = deployment.getSpec() == null ? null : deployment.getSpec().getReplicas();
    return replicas == null ? 1 : replicas;
  }
}
