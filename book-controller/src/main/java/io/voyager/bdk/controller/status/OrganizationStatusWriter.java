package io.voyager.bdk.controller.status;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationStatus;
import java.util.List;

/**
 * Writes an Organization's whole status as one JSON merge patch of the status subresource, absent
 * fields as null. Why not JOSDK's {@code patchStatus}: without server-side apply it sends a JSON
 * Patch diffed from the cached object, without a resourceVersion check, so from a stale cache a
 * list that grew (the managed namespaces) gets the new entry added twice; a merge patch replaces
 * each list whole. The written object goes into JOSDK's primary cache at once, so the next
 * reconcile starts from it and the write does not reconcile again.
 */
public final class OrganizationStatusWriter {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(OrganizationStatusWriter.class);
  private static final List<String> FIELDS = List.of("conditions", "namespaces", "observedGeneration");

  private final KubernetesClient client;

  public OrganizationStatusWriter(KubernetesClient client) {
    this.client = client;
  }

  /** Writes {@code status} unless {@code org} already shows it; an Organization deleted meanwhile is skipped. */
  public void write(Organization org, OrganizationStatus status, Context<Organization> context) {
    if (!OrganizationStatuses.differs(org.getStatus(), status)) {
      return;
    }
    ObjectNode fields = client.getKubernetesSerialization().convertValue(status, ObjectNode.class);
    FIELDS.forEach(f -> {
      if (!fields.has(f)) {
        fields.putNull(f);
      }
    });
    ObjectNode patch = fields.objectNode();
    patch.set("status", fields);
    String namespace = org.getMetadata().getNamespace();
    String name = org.getMetadata().getName();
    Organization patched;
    try {
      patched = client.resources(Organization.class).inNamespace(namespace).withName(name)
          .subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        log.info("event=organization_status_skipped organization={} reason=not_found", name);
        return;
      }
      throw e;
    }
    if (patched != null) {
      context.eventSourceRetriever().getControllerEventSource()
          .handleRecentResourceUpdate(new ResourceID(name, namespace), patched, org);
    }
  }
}
