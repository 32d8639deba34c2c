package io.voyager.bdk.controller;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Configuration;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Customer;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Deployment;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Resources;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.WebhookBinding;
import io.voyager.bdk.model.InstanceCredentials;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationSpec;
import io.voyager.bdk.model.RateLimit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Objects from the seeds' YAML, for tests. */
public final class Fixtures {
  private Fixtures() {}

  public static final String BOOK = "customer-support-book";

  /** The quotas of the seed-like Organization acme. */
  public static final OrganizationSpec.Quotas ACME_QUOTAS =
      new OrganizationSpec.Quotas(10, 5, 20, "4", "8Gi", 20);

  public static Organization organization(
      String name, OrganizationSpec.Quotas quotas, String... namespaces) {
    var org = new Organization();
    org.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(BdkLabels.BDK_NAMESPACE).build());
    org.setSpec(new OrganizationSpec(name + "-id", null, List.of(namespaces), quotas));
    return org;
  }

  /** Makes the namespace if it is not there (a real API server never finishes deleting one: use fresh names). */
  public static void namespace(KubernetesClient client, String name) {
    client.resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .fieldManager("bdk-tests").forceConflicts().serverSideApply();
  }

  /** Creates or updates the book in bdk. */
  public static void applyBook(KubernetesClient client, BookDefinition book) {
    client.resource(book).fieldManager("bdk-tests").forceConflicts().serverSideApply();
  }

  public static BookDefinition book(String name) {
    BookDefinition book = new BookDefinition();
    book.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(BdkLabels.BDK_NAMESPACE)
        .addToLabels(BdkLabels.BOOK_ID, "book-1234").build());
    book.setSpec(new BookDefinitionSpec(
        "customer-support", "1.0.0", "Customer support automation book", null,
        List.of("ticket_creation"),
        new BookDefinitionSpec.Runtime("python", "3.11", List.of("requests>=2.28.0")),
        List.of(
            new BookDefinitionSpec.Integration("zendesk", "webhook", Map.of("endpoint", "/webhooks/zendesk")),
            new BookDefinitionSpec.Integration("github", "webhook", Map.of()),
            new BookDefinitionSpec.Integration("slack", "api", Map.of("endpoint", "https://slack.com/api")))));
    return book;
  }

  public static BookInstanceDefinitionSpec spec(String namespace, String type) {
    return new BookInstanceDefinitionSpec(
        new BookInstanceDefinitionSpec.BookRef(BOOK, "1.0.0"),
        new Customer(namespace, "org-uuid-123"),
        new Deployment(type, 2, new Resources("500m", "1Gi", "1", "2Gi"), null),
        null,
        List.of(new BookInstanceDefinitionSpec.Credential("zendesk_signing_key", "secret", "manual")),
        new Configuration("production", "debug", Map.of("max_tickets_per_hour", 100)),
        "long-polling".equals(type) ? List.of() : List.of(
            new WebhookBinding("zendesk", "zendesk", "zendesk_signing_key", 300, new RateLimit(10.0, 20), null)));
  }

  /**
   * {@code spec} with Tailscale on as given, the auth key credential Tailscale requires, and the one
   * replica a Tailscale instance runs.
   */
  public static BookInstanceDefinitionSpec withTailscale(BookInstanceDefinitionSpec spec, BookInstanceDefinitionSpec.Tailscale tailscale) {
    var credentials = new ArrayList<>(spec.credentials() == null ? List.of() : spec.credentials());
    credentials.add(new BookInstanceDefinitionSpec.Credential(InstanceCredentials.TAILSCALE_AUTH_KEY, "secret", "manual"));
    var d = spec.deployment();
    var deployment = d == null ? null : new Deployment(d.type(), d.scaling() == null ? 1 : null, d.resources(),
        d.scaling() == null ? null : new BookInstanceDefinitionSpec.Scaling(1, 1, d.scaling().targetCpuUtilization()));
    var egress = spec.networking() == null ? null : spec.networking().egress();
    return new BookInstanceDefinitionSpec(spec.bookRef(), spec.customer(), deployment,
        new BookInstanceDefinitionSpec.Networking(tailscale, egress), credentials, spec.configuration(), spec.webhooks());
  }

  public static BookInstanceDefinition instance(String name, BookInstanceDefinitionSpec spec) {
    BookInstanceDefinition instance = new BookInstanceDefinition();
    instance.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(BdkLabels.BDK_NAMESPACE)
        .addToLabels(BdkLabels.INSTANCE_ID, "id-" + name).build());
    instance.setSpec(spec);
    return instance;
  }
}
