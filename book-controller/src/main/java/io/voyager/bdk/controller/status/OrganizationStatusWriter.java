package io.voyager.bdk.controller.status;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationStatus;
import java.util.List;

/** Writes an Organization's whole status as one JSON merge patch ({@link StatusMergePatch}). */
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
    if (StatusMergePatch.write(client, Organization.class, org, status, FIELDS, context).isEmpty()) {
      log.info("event=organization_status_skipped organization={} reason=not_found", org.getMetadata().getName());
    }
  }
}
