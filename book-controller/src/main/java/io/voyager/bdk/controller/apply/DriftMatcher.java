package io.voyager.bdk.controller.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.zjsonpatch.DiffFlags;
import io.fabric8.zjsonpatch.JsonDiff;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Whether an object in the cluster still is what the controller wants, on the fields the controller
 * owns — so a hand edit is undone at the next reconcile and a steady object costs no write.
 *
 * <p>Two checks, both must pass:
 * <ul>
 *   <li>The rule of JOSDK's {@code GenericKubernetesResourceMatcher} (no value equality, no
 *       label/annotation equality): in a JSON diff from desired to actual, any value the controller
 *       set that was changed or removed is drift; anything only <em>added</em> is not — that is how
 *       server-populated defaults ({@code strategy}, {@code dnsPolicy}, probe timeouts…), other
 *       writers' labels and annotations (e.g. {@code kubectl rollout restart}) and a Service's
 *       cluster IP pass. Status, kind, apiVersion and server-managed metadata are ignored. JOSDK
 *       5.2.3's own matcher diffs with copy/move normalisation, so a server default that happens to
 *       equal another value of the object (a Deployment's {@code revisionHistoryLimit: 10} and a
 *       probe's {@code periodSeconds: 10}) shows up as a "copy", not an "add", and never matches —
 *       a write on every reconcile. Here the diff is made without that normalisation.</li>
 *   <li>Exact equality of the subtrees where an addition is itself the harm: an extra ingress rule
 *       or selector label on a NetworkPolicy, another container, volume, env var or privilege in the
 *       pod template, another selector label on a Service, another rule or subject in a Role or
 *       RoleBinding, another limit on a ResourceQuota or LimitRange (it changes what the
 *       Organization set). The API server adds no defaults inside these (the factories set every
 *       field it would default), so equal means equal; empty lists, maps and nulls count as
 *       absent.</li>
 * </ul>
 * Fields others own (a Deployment's replicas under an autoscaler, a Service's cluster IPs,
 * tailscaled's state) are copied from the live object into the desired one before matching, by the
 * caller ({@link ResourceApplier}'s {@code keepFromLive}). Pure: no I/O, values are never logged.
 */
public final class DriftMatcher {
  private DriftMatcher() {}

  /** JSON pointers compared exactly, by kind; {@code *} stands for every element of an array (sizes must match too). */
  private static final Map<Class<?>, List<String>> EXACT =
      Map.of(
          NetworkPolicy.class, List.of("/spec"),
          ResourceQuota.class, List.of("/spec"),
          LimitRange.class, List.of("/spec"),
          Service.class, List.of("/spec/selector", "/spec/ports"),
          Deployment.class, List.of(
              "/spec/selector",
              "/spec/template/metadata/labels",
              "/spec/template/spec/containers/*/name",
              "/spec/template/spec/containers/*/env",
              "/spec/template/spec/containers/*/volumeMounts",
              "/spec/template/spec/containers/*/securityContext",
              "/spec/template/spec/initContainers",
              "/spec/template/spec/volumes",
              "/spec/template/spec/securityContext",
              "/spec/template/spec/serviceAccountName",
              "/spec/template/spec/automountServiceAccountToken",
              "/spec/template/spec/hostNetwork",
              "/spec/template/spec/hostPID",
              "/spec/template/spec/hostIPC"),
          Role.class, List.of("/rules"),
          RoleBinding.class, List.of("/subjects", "/roleRef"));

  /** Not compared at all: the server's and other writers' (status has its own writers). */
  private static final List<String> IGNORED = List.of("/status", "/kind", "/apiVersion");
  /** The only metadata compared (additions allowed); the rest (uid, resourceVersion, managedFields…) is the server's. */
  private static final List<String> COMPARED_METADATA = List.of("/metadata/labels", "/metadata/annotations");

  /** True when {@code actual} needs no write to be {@code desired} on the fields the controller owns. */
  static <R extends HasMetadata> boolean matches(R desired, R actual, KubernetesSerialization serialization) {
    JsonNode want = serialization.convertValue(desired, JsonNode.class);
    JsonNode have = serialization.convertValue(actual, JsonNode.class);
    if (!onlyAdditions(want, have)) {
      return false;
    }
    return EXACT.getOrDefault(desired.getClass(), List.of()).stream()
        .allMatch(pointer -> sameAt(want, have, pointer.substring(1).split("/"), 0));
  }

  /** Whether {@code have} differs from {@code want} only by what was added, outside the ignored paths. */
  static boolean onlyAdditions(JsonNode want, JsonNode have) {
    for (JsonNode op : JsonDiff.asJson(want, have, DiffFlags.dontNormalizeOpIntoMoveAndCopy())) {
      String path = op.path("path").asText();
      if (under(path, IGNORED) || (under(path, List.of("/metadata")) && !under(path, COMPARED_METADATA))) {
        continue;
      }
      if (!"add".equals(op.path("op").asText())) {
        return false;
      }
    }
    return true;
  }

  private static boolean under(String path, List<String> prefixes) {
    return prefixes.stream().anyMatch(p -> path.equals(p) || path.startsWith(p + "/"));
  }

  /** Whether the subtrees at {@code path[from..]} are equal, {@code *} walking both arrays in step. */
  static boolean sameAt(JsonNode want, JsonNode have, String[] path, int from) {
    if (from == path.length) {
      return present(want).equals(present(have));
    }
    String step = path[from];
    if ("*".equals(step)) {
      JsonNode wants = normalized(want);
      JsonNode haves = normalized(have);
      if (wants.size() != haves.size()) {
        return false;
      }
      for (int i = 0; i < wants.size(); i++) {
        if (!sameAt(wants.path(i), haves.path(i), path, from + 1)) {
          return false;
        }
      }
      return true;
    }
    return sameAt(want.path(step), have.path(step), path, from + 1);
  }

  /** A copy without nulls, empty arrays and empty objects (absent and empty mean the same to the API server). */
  static JsonNode normalized(JsonNode node) {
    if (node.isObject()) {
      ObjectNode copy = ((ObjectNode) node).objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        var field = it.next();
        JsonNode value = normalized(field.getValue());
        if (!isAbsent(value)) {
          copy.set(field.getKey(), value);
        }
      }
      return copy;
    }
    if (node.isArray()) {
      ArrayNode copy = ((ArrayNode) node).arrayNode();
      node.forEach(element -> copy.add(normalized(element)));
      return copy;
    }
    return node;
  }

  /** The normalized node, or the missing node when it is absent or empty. */
  private static JsonNode present(JsonNode node) {
    JsonNode n = normalized(node);
    return isAbsent(n) ? MissingNode.getInstance() : n;
  }

  private static boolean isAbsent(JsonNode n) {
    return n.isNull() || n.isMissingNode() || ((n.isObject() || n.isArray()) && n.isEmpty());
  }
}
