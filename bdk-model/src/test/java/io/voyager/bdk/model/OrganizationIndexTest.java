package io.voyager.bdk.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class OrganizationIndexTest {

  static Organization org(String name, String id, String created, String... namespaces) {
    Organization o = new Organization();
    o.getMetadata().setName(name);
    o.getMetadata().setNamespace(BdkLabels.BDK_NAMESPACE);
    o.getMetadata().setCreationTimestamp(created);
    o.setSpec(new OrganizationSpec(id, null, List.of(namespaces), null));
    return o;
  }

  @Test
  void indexesByIdAndNamespace() {
    OrganizationIndex index = OrganizationIndex.of(List.of(
        org("acme", "acme", "2024-01-01T00:00:00Z", "customer-acme", "customer-acme-eu"),
        org("globex", "globex-corp", "2024-01-02T00:00:00Z", "customer-globex")));
    assertThat(index.byOrganizationId("acme")).map(o -> o.getMetadata().getName()).contains("acme");
    assertThat(index.byOrganizationId("globex-corp")).isPresent();
    assertThat(index.byOrganizationId("globex")).as("by organization_id, not by name").isEmpty();
    assertThat(index.organizationIdOf("customer-acme-eu")).contains("acme");
    assertThat(index.organizationIdOf("customer-globex")).contains("globex-corp");
    assertThat(index.ownerOf("customer-initech")).isEmpty();
    assertThat(index.namespacesOf("acme")).containsExactly("customer-acme", "customer-acme-eu");
    assertThat(index.namespacesOf("nobody")).isEmpty();
  }

  @Test
  void theOlderOrganizationKeepsANamespaceBothList_whateverTheOrder() {
    List<Organization> orgs = new ArrayList<>(List.of(
        org("acme", "acme", "2024-01-01T00:00:00Z", "customer-shared", "customer-acme"),
        org("globex", "globex", "2024-03-01T00:00:00Z", "customer-shared", "customer-globex"),
        org("aaa-same-second", "aaa", "2024-03-01T00:00:00Z", "customer-tie"),
        org("zzz-same-second", "zzz", "2024-03-01T00:00:00Z", "customer-tie")));
    for (int i = 0; i < 4; i++) {
      Collections.rotate(orgs, 1);
      OrganizationIndex index = OrganizationIndex.of(orgs);
      assertThat(index.organizationIdOf("customer-shared")).contains("acme");
      assertThat(index.organizationIdOf("customer-tie")).as("same second: by name").contains("aaa");
      assertThat(index.namespacesOf("globex")).containsExactly("customer-globex");
      assertThat(index.namespacesOf("zzz")).isEmpty();
    }
  }

  @Test
  void aDuplicateOrganizationIdGrantsNothing_beingDeletedOrWithoutIdCountsForNothing() {
    Organization deleting = org("old-acme", "acme", "2023-01-01T00:00:00Z", "customer-old");
    deleting.getMetadata().setDeletionTimestamp("2024-05-01T00:00:00Z");
    OrganizationIndex index = OrganizationIndex.of(List.of(
        deleting,
        org("acme", "acme", "2024-01-01T00:00:00Z", "customer-acme"),
        org("acme-copy", "acme", "2024-02-01T00:00:00Z", "customer-copy"),
        org("no-id", "", "2024-01-01T00:00:00Z", "customer-noid"),
        org("system", "sys", "2024-01-01T00:00:00Z", "kube-system", "bdk", "default")));
    assertThat(index.byOrganizationId("acme")).map(o -> o.getMetadata().getName()).contains("acme");
    assertThat(index.ownerOf("customer-copy")).isEmpty();
    assertThat(index.ownerOf("customer-old")).isEmpty();
    assertThat(index.ownerOf("customer-noid")).isEmpty();
    assertThat(index.ownerOf("kube-system")).isEmpty();
    assertThat(index.ownerOf("bdk")).isEmpty();
    assertThat(index.organizations()).containsOnlyKeys("acme", "sys");
  }
}
