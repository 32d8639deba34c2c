package io.voyager.bdk.local;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local stack's two demo tenants, as Organizations in {@code bdk}: {@code acme} (namespace
 * {@code customer-acme}) and {@code globex} (namespace {@code customer-globex}), each with quotas
 * roomy enough for the walkthroughs and tests. Created only when missing; an existing one is left
 * as it is.
 */
public final class LocalOrganizations {
  private static final Logger log = LoggerFactory.getLogger(LocalOrganizations.class);

  private LocalOrganizations() {}

  public static final Organization ACME = organization("acme", "Acme Corp", "customer-acme",
      new OrganizationSpec.Quotas(10, 5, 20, "4", "8Gi", 20));
  public static final Organization GLOBEX = organization("globex", "Globex Corporation", "customer-globex",
      new OrganizationSpec.Quotas(10, 3, 15, "2", "4Gi", 20));
  public static final List<Organization> ALL = List.of(ACME, GLOBEX);

  /** The customer namespace of each demo organization. */
  public static List<String> namespaces() {
    return ALL.stream().flatMap(o -> o.getSpec().namespaces().stream()).toList();
  }

  /** The organization id of the demo organization that lists {@code namespace}. */
  public static String organizationOf(String namespace) {
    return ALL.stream().filter(o -> o.getSpec().namespaces().contains(namespace))
        .map(o -> o.getSpec().organizationId()).findFirst()
        .orElseThrow(() -> new IllegalArgumentException(namespace + " belongs to no demo organization"));
  }

  private static Organization organization(String id, String displayName, String namespace, OrganizationSpec.Quotas quotas) {
    Organization organization = new Organization();
    organization.getMetadata().setNamespace(BdkLabels.BDK_NAMESPACE);
    organization.getMetadata().setName(id);
    organization.setSpec(new OrganizationSpec(id, displayName, List.of(namespace), quotas));
    return organization;
  }

  /** Creates each missing one; returns the names of those it created. */
  public static List<String> seed(KubernetesClient client) {
    List<String> created = new ArrayList<>();
    for (Organization organization : ALL) {
      var resource = client.resources(Organization.class).inNamespace(BdkLabels.BDK_NAMESPACE)
          .withName(organization.getMetadata().getName());
      if (resource.get() != null) {
        continue;
      }
      try {
        Organization copy = new Organization();
        copy.getMetadata().setNamespace(organization.getMetadata().getNamespace());
        copy.getMetadata().setName(organization.getMetadata().getName());
        copy.setSpec(organization.getSpec());
        client.resource(copy).create();
        created.add(organization.getMetadata().getName());
        log.info("event=organization_created organization={} namespaces={}", organization.getSpec().organizationId(),
            organization.getSpec().namespaces());
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
      }
    }
    return created;
  }
}
