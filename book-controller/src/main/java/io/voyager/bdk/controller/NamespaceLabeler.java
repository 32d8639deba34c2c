package io.voyager.bdk.controller;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.model.BdkLabels;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps the labels the controller owns on a namespace it does not own: a JSON merge patch of just
 * those keys (the mock server has no server-side apply), sent only when the cached namespace
 * differs — so a hand-edited or removed Pod Security label is put back, other writers' labels stay,
 * and a steady namespace costs nothing. Removal patches the owned keys to null. Writes are counted
 * like every other ({@value ResourceApplier#WRITES}, kind {@code Namespace}; {@code drift} when the
 * namespace already carried this Organization's label) and go into the informer cache at once.
 */
final class NamespaceLabeler {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(NamespaceLabeler.class);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final InformerEventSource<Namespace, ?> namespaces;
  private final MeterRegistry registry;

  NamespaceLabeler(KubernetesClient client, InformerEventSource<Namespace, ?> namespaces, MeterRegistry registry) {
    this.client = client;
    this.namespaces = namespaces;
    this.registry = registry;
  }

  /** Makes {@code namespace} carry {@code wanted} (others' labels untouched); true when it wrote. */
  boolean ensure(String namespace, Map<String, String> wanted) {
    Map<String, String> live = labels(namespace);
    Map<String, String> patch = new LinkedHashMap<>();
    wanted.forEach((key, value) -> {
      if (!value.equals(live.get(key))) {
        patch.put(key, value);
      }
    });
    if (patch.isEmpty()) {
      return false;
    }
    boolean ours = Objects.equals(live.get(BdkLabels.ORGANIZATION), wanted.get(BdkLabels.ORGANIZATION));
    write(namespace, patch, ours ? "drift" : "changed");
    return true;
  }

  /** Takes the {@code owned} keys off {@code namespace}; true when it wrote. */
  boolean release(String namespace, Set<String> owned) {
    Map<String, String> live = labels(namespace);
    Map<String, String> patch = new LinkedHashMap<>();
    for (String key : owned) {
      if (live.containsKey(key)) {
        patch.put(key, null);
      }
    }
    if (patch.isEmpty()) {
      return false;
    }
    write(namespace, patch, "changed");
    return true;
  }

  private void write(String namespace, Map<String, String> labels, String reason) {
    // A plain ObjectNode: a null must reach the API server as null (that removes the label).
    ObjectNode body = JSON.createObjectNode();
    ObjectNode patchLabels = body.putObject("metadata").putObject("labels");
    labels.forEach((key, value) -> {
      if (value == null) {
        patchLabels.putNull(key);
      } else {
        patchLabels.put(key, value);
      }
    });
    String json = body.toString();
    Optional<Namespace> before = namespaces.get(new ResourceID(namespace));
    Namespace patched = client.namespaces().withName(namespace).patch(PatchContext.of(PatchType.JSON_MERGE), json);
    if (patched != null) {
      namespaces.handleRecentResourceUpdate(new ResourceID(namespace), patched, before.orElse(patched));
    }
    registry.counter(ResourceApplier.WRITES, "kind", "Namespace", "reason", reason).increment();
    log.info("event=namespace_labels_written namespace={} keys={} reason={}", namespace, labels.keySet(), reason);
  }

  private Map<String, String> labels(String namespace) {
    return namespaces.get(new ResourceID(namespace))
        .map(n -> n.getMetadata().getLabels())
        .map(l -> (Map<String, String>) l)
        .orElse(Map.of());
  }
}
