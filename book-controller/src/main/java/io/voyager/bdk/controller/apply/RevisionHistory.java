package io.voyager.bdk.controller.apply;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.voyager.bdk.controller.desired.ManagedLabels;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod templates of a workload's earlier revisions, as the Deployment controller keeps them: in
 * its ReplicaSets (up to the Deployment's {@code revisionHistoryLimit}, 10 by default). Read only
 * to roll back — one labelled list in the workload's namespace — and remembered while the workload
 * stays rolled back, so a steady rolled-back workload costs no API call. Bounded: one entry per
 * workload that is rolled back right now.
 */
public final class RevisionHistory {
  private static final Logger log = LoggerFactory.getLogger(RevisionHistory.class);
  /** The label the Deployment controller adds to a ReplicaSet's pod template (not ours to write). */
  static final String POD_TEMPLATE_HASH = "pod-template-hash";
  private static final String REVISION = "deployment.kubernetes.io/revision";

  private final KubernetesClient client;
  private final Map<String, Remembered> templates = new ConcurrentHashMap<>();

  private record Remembered(String revision, PodTemplateSpec template) {}

  public RevisionHistory(KubernetesClient client) {
    this.client = client;
  }

  /**
   * The pod template of {@code namespace/workload}'s revision {@code revision} (its config hash), as
   * its newest ReplicaSet of that revision holds it; empty when none is left.
   */
  public Optional<PodTemplateSpec> template(String namespace, String workload, String revision) {
    String key = namespace + "/" + workload;
    Remembered remembered = templates.get(key);
    if (remembered != null && remembered.revision().equals(revision)) {
      return Optional.of(copy(remembered.template()));
    }
    Optional<PodTemplateSpec> found = client.apps().replicaSets().inNamespace(namespace)
        .withLabel(ManagedLabels.WORKLOAD, workload).list().getItems().stream()
        .filter(rs -> revision.equals(configHash(rs)))
        .max(Comparator.comparingLong(RevisionHistory::revisionNumber))
        .map(rs -> withoutTemplateHash(rs.getSpec().getTemplate()));
    found.ifPresentOrElse(
        t -> templates.put(key, new Remembered(revision, t)),
        () -> log.warn("event=rollback_revision_missing namespace={} workload={} revision={}", namespace, workload, revision));
    return found.map(RevisionHistory::copy);
  }

  /** Forgets what was remembered for a workload that is no longer rolled back (or gone). */
  public void forget(String namespace, String workload) {
    templates.remove(namespace + "/" + workload);
  }

  private static String configHash(ReplicaSet rs) {
    var template = rs.getSpec() == null ? null : rs.getSpec().getTemplate();
    var annotations = template == null || template.getMetadata() == null ? null : template.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(ManagedLabels.CONFIG_HASH);
  }

  private static long revisionNumber(ReplicaSet rs) {
    var annotations = rs.getMetadata().getAnnotations();
    try {
      return annotations == null ? 0 : Long.parseLong(annotations.getOrDefault(REVISION, "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static PodTemplateSpec withoutTemplateHash(PodTemplateSpec template) {
    PodTemplateSpec t = copy(template);
    if (t.getMetadata() != null && t.getMetadata().getLabels() != null) {
      Map<String, String> labels = new HashMap<>(t.getMetadata().getLabels());
      labels.remove(POD_TEMPLATE_HASH);
      t.getMetadata().setLabels(labels);
    }
    return t;
  }

  private static PodTemplateSpec copy(PodTemplateSpec template) {
    return new io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder(template).build();
  }
}
