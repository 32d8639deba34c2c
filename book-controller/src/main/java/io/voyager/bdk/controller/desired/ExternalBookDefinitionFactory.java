package io.voyager.bdk.controller.desired;

import io.voyager.bdk.model.InstanceNames;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.ExternalBookDefinitionSpec;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.Authentication;
import io.voyager.bdk.model.ExternalBookDefinitionSpec.ExternalIntegration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ExternalBookDefinition of one instance: same name as the instance, in its customer
 * namespace. The xds-server routes webhooks from its webhook integrations to {@code spec.service}
 * (for a shared instance: the shared Service — the route still names this resource, so ext-authz
 * tells the book which tenant a request is for); ext-authz reads each integration's
 * {@code secret_ref}, which points into the instance's credentials Secret.
 */
public final class ExternalBookDefinitionFactory {

  public ExternalBookDefinition externalBook(ValidInstance i, Workload w) {
    return externalBook(i, w, Optional.empty());
  }

  /** @param wakeLease the Lease the book's webhooks wake it through, when it sleeps when idle */
  public ExternalBookDefinition externalBook(ValidInstance i, Workload w, Optional<String> wakeLease) {
    var spec = i.spec();
    List<ExternalIntegration> integrations = new ArrayList<>();
    for (var hook : i.webhooks()) {
      integrations.add(
          new ExternalIntegration(
              hook.integration(),
              "webhook",
              bookIntegrationEndpoint(i, hook.integration()),
              new Authentication(
                  "signature",
                  hook.scheme(),
                  new ExternalBookDefinitionSpec.SecretRef(i.credentialsSecretName(), hook.credential()),
                  hook.toleranceSeconds(),
                  hook.hmac()),
              hook.rateLimit(),
              hook.maxBodyBytes(),
              hook.delivery(),
              hook.ordered()));
    }
    List<BookDefinitionSpec.Integration> bookIntegrations =
        i.book().getSpec().integrations() == null ? List.of() : i.book().getSpec().integrations();
    for (var integration : bookIntegrations) {
      if ("api".equals(integration.type())) {
        integrations.add(
            new ExternalIntegration(integration.name(), "api", endpointOf(integration.config()), null, null));
      }
    }

    ExternalBookDefinitionSpec.Networking networking = null;
    if (spec.networking() != null && spec.networking().tailscale() != null) {
      var ts = spec.networking().tailscale();
      networking = new ExternalBookDefinitionSpec.Networking(
          new ExternalBookDefinitionSpec.Tailscale(ts.enabled(), ts.tailnet(), ts.tags()));
    }
    var d = spec.deployment();
    ExternalBookDefinitionSpec.Resources resources = null;
    ExternalBookDefinitionSpec.Scaling scaling = null;
    if (d != null && d.resources() != null) {
      var r = d.resources();
      resources = new ExternalBookDefinitionSpec.Resources(r.cpu(), r.memory(), r.cpuLimit(), r.memoryLimit());
    }
    if (d != null && d.scaling() != null) {
      var s = d.scaling();
      scaling = new ExternalBookDefinitionSpec.Scaling(s.minReplicas(), s.maxReplicas(), s.targetCpuUtilization());
    }
    ExternalBookDefinitionSpec.ServiceRef service = i.type().receivesTraffic()
        ? new ExternalBookDefinitionSpec.ServiceRef(w.name(), WorkloadFactory.HTTP_PORT)
        : null;

    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(BdkLabels.MANAGED_BY, ManagedLabels.MANAGER);
    labels.put(BdkLabels.INSTANCE_NAME, i.name());
    if (i.instanceId() != null) {
      labels.put(BdkLabels.INSTANCE_ID, i.instanceId());
    }
    i.bookId().ifPresent(id -> labels.put(BdkLabels.BOOK_ID, id));
    labels.put(ManagedLabels.WORKLOAD, w.name());
    labels.put(ManagedLabels.DEPLOYMENT_TYPE, i.type().wireName());

    ExternalBookDefinition ebd = new ExternalBookDefinition();
    ebd.setMetadata(new ObjectMetaBuilder().withName(InstanceNames.externalBookDefinition(i.name())).withNamespace(i.customerNamespace()).withLabels(labels).build());
    ebd.setSpec(
        new ExternalBookDefinitionSpec(
            i.book().getSpec().name(),
            i.book().getSpec().version(),
            integrations,
            networking,
            resources,
            scaling,
            service,
            new ExternalBookDefinitionSpec.InstanceRef(
                i.resource().getMetadata().getNamespace(), i.name(), i.instanceId()),
            wakeLease.map(ExternalBookDefinitionSpec.Wake::new).orElse(null)));
    return ebd;
  }

  private static String bookIntegrationEndpoint(ValidInstance i, String name) {
    var integrations = i.book().getSpec().integrations();
    if (integrations == null) {
      return null;
    }
    return integrations.stream()
        .filter(it -> name.equals(it.name()))
        .findFirst()
        .map(it -> endpointOf(it.config()))
        .orElse(null);
  }

  private static String endpointOf(Map<String, Object> config) {
    Object endpoint = config == null ? null : config.get("endpoint");
    return endpoint instanceof String s ? s : null;
  }
}
