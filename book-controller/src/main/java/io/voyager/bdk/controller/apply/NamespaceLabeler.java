package io.voyager.bdk.controller.apply;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
 * and a steady namespace costs nothing. Removal is a JSON Patch removing just those keys. Writes are counted
 * like every other ({@value ResourceApplier#WRITES}, kind {@code Namespace}; {@code drift} when the
 * namespace already carried this Organization's label) and go into the informer cache at once.
 */
public final class NamespaceLabeler {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(NamespaceLabeler.class);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final InformerEventSource<Namespace, ?> namespaces;
  private final MeterRegistry registry;

  public NamespaceLabeler(KubernetesClient client, InformerEventSource<Namespace, ?> namespaces, MeterRegistry registry) {
    this.client = client;
    this.namespaces = namespaces;
    this.registry = registry;
  }

  /** Makes {@code namespace} carry {@code wanted} (others' labels untouched); true when it wrote. */
  public boolean ensure(String namespace, Map<String, String> wanted) {
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

  /**
   * Takes the {@code owned} keys off {@code namespace}; true when it wrote. A JSON Patch of
   * {@code remove} operations for the keys the cached namespace has (the mock server keeps a merge
   * patch's null as a value instead of removing the key); a key already gone meanwhile fails the
   * patch, and the retry starts from the fresh cache.
   */
  public boolean release(String namespace, Set<String> owned) {
    Map<String, String> live = labels(namespace);
    ArrayNode patch = JSON.createArrayNode();
    for (String key : owned.stream().sorted().toList()) {
      if (live.containsKey(key)) {
        patch.addObject().put("op", "remove").put("path", "/metadata/labels/" + key.replace("~", "~0").replace("/", "~1"));
      }
    }
    if (patch.isEmpty()) {
      return false;
    }
    write(namespace, PatchType.JSON, patch.toString(), "changed");
    log.info("event=namespace_labels_removed namespace={} keys={}", namespace, patch.size());
    return true;
  }

  private void write(String namespace, Map<String, String> labels, String reason) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode patchLabels = body.putObject("metadata").putObject("labels");
    labels.forEach(patchLabels::put);
    write(namespace, PatchType.JSON_MERGE, body.toString(), reason);
    log.info("event=namespace_labels_written namespace={} keys={} reason={}", namespace, labels.keySet(), reason);
  }

  private void write(String namespace, PatchType type, String json, String reason) {
    Optional<Namespace> before = namespaces.get(new ResourceID(namespace));
    Namespace patched = client.namespaces().withName(namespace).patch(PatchContext.of(type), json);
    if (patched != null) {
      namespaces.handleRecentResourceUpdate(new ResourceID(namespace), patched, before.orElse(patched));
    }
    registry.counter(ResourceApplier.WRITES, "kind", "Namespace", "reason", reason).increment();
  }

  /** The cached namespace's labels (a key with a null value counts as absent). */
  private Map<String, String> labels(String namespace) {
    Map<String, String> labels = new LinkedHashMap<>();
    namespaces.get(new ResourceID(namespace))
        .map(n -> n.getMetadata().getLabels())
        .ifPresent(l -> l.forEach((k, v) -> {
          if (v != null) {
            labels.put(k, v);
          }
        }));
    return labels;
  }
}
