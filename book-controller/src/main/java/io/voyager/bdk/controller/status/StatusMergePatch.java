package io.voyager.bdk.controller.status;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.List;
import java.util.Optional;

/**
 * Writes a primary resource's whole status as one JSON merge patch of its status subresource,
 * the status fields it leaves out as null. Why not JOSDK's {@code patchStatus}: without
 * server-side apply it sends a JSON Patch diffed from the cached object, without a resourceVersion
 * check, so from a stale cache a list that grew (an instance's conditions, an Organization's
 * namespaces) gets the new entry added twice; a merge patch replaces each list whole. The written
 * object goes into JOSDK's primary cache at once, so the next reconcile starts from it and the write
 * does not reconcile again.
 */
public final class StatusMergePatch {
  private StatusMergePatch() {}

  /**
   * Patches {@code resource}'s status to {@code status}; {@code fields} are the status's JSON field
   * names (those {@code status} leaves out are written as null). Empty when the resource is gone.
   */
  public static <R extends HasMetadata> Optional<R> write(
      KubernetesClient client, Class<R> type, R resource, Object status, List<String> fields, Context<R> context) {
    ObjectNode body = client.getKubernetesSerialization().convertValue(status, ObjectNode.class);
    fields.forEach(f -> {
      if (!body.has(f)) {
        body.putNull(f);
      }
    });
    ObjectNode patch = body.objectNode();
    patch.set("status", body);
    String namespace = resource.getMetadata().getNamespace();
    String name = resource.getMetadata().getName();
    R patched;
    try {
      patched = client.resources(type).inNamespace(namespace).withName(name)
          .subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
    if (patched != null) {
      context.eventSourceRetriever().getControllerEventSource()
          .handleRecentResourceUpdate(new ResourceID(name, namespace), patched, resource);
    }
    return Optional.ofNullable(patched);
  }
}
