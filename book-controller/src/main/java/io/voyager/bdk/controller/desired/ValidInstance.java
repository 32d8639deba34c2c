package io.voyager.bdk.controller.desired;

import io.voyager.bdk.model.DeploymentType;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import java.util.List;
import java.util.Optional;

/**
 * A BookInstanceDefinition that passed {@link InstanceValidator}, with what validation resolved:
 * its book, deployment type, image and Tailscale mode. Everything the resource factories need.
 */
public record ValidInstance(
    BookInstanceDefinition resource,
    BookDefinition book,
    DeploymentType type,
    String image,
    String tailscaleMode) {

  public String name() {
    return resource.getMetadata().getName();
  }

  public BookInstanceDefinitionSpec spec() {
    return resource.getSpec();
  }

  public String customerNamespace() {
    return spec().customer().namespace();
  }

  /** The public instance id (label set by the library service), else the object's uid. */
  public String instanceId() {
    var labels = resource.getMetadata().getLabels();
    String id = labels == null ? null : labels.get(BdkLabels.INSTANCE_ID);
    return id != null ? id : resource.getMetadata().getUid();
  }

  public Optional<String> bookId() {
    var labels = book.getMetadata().getLabels();
    return Optional.ofNullable(labels == null ? null : labels.get(BdkLabels.BOOK_ID));
  }

  public String credentialsSecretName() {
    return WorkloadNames.credentialsSecret(name());
  }

  public boolean tailscaleEnabled() {
    var net = spec().networking();
    return net != null && net.tailscale() != null && Boolean.TRUE.equals(net.tailscale().enabled());
  }

  public List<BookInstanceDefinitionSpec.WebhookBinding> webhooks() {
    return spec().webhooks() == null ? List.of() : spec().webhooks();
  }

  /** The Deployment (and Service) serving this instance. */
  public String workloadName() {
    return type == DeploymentType.SHARED
        ? WorkloadNames.shared(book.getMetadata().getName())
        : WorkloadNames.forInstance(name(), type);
  }

  /** Names of the credentials declared {@code source: external}: values written outside the library (e.g. by External Secrets). */
  public List<String> externalCredentials() {
    var declared = spec().credentials() == null ? List.<BookInstanceDefinitionSpec.Credential>of() : spec().credentials();
    return declared.stream()
        .filter(c -> c != null && c.name() != null && EXTERNAL.equals(c.source()))
        .map(BookInstanceDefinitionSpec.Credential::name)
        .distinct()
        .sorted()
        .toList();
  }

  /** A credential's {@code source} whose value the library never writes. */
  public static final String EXTERNAL = "external";
}
