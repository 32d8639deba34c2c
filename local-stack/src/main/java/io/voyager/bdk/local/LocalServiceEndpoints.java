package io.voyager.bdk.local;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a process on this machine as a Kubernetes Service with one EndpointSlice, the way
 * Kubernetes would for a pod, so the xds-server finds it exactly as it would in a cluster. The
 * Service has no selector (nothing else manages its endpoints); the slice carries the standard
 * {@code kubernetes.io/service-name} label and names us as its manager.
 */
public final class LocalServiceEndpoints {
  private static final Logger log = LoggerFactory.getLogger(LocalServiceEndpoints.class);

  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
  static final String MANAGER = "local-stack.bdk.voyager.io";

  private final KubernetesClient client;

  public LocalServiceEndpoints(KubernetesClient client) {
    this.client = client;
  }

  /** Creates the namespace unless it exists. */
  public void ensureNamespace(String name) {
    apply(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build());
  }

  /**
   * Creates the namespace only if it does not exist; an existing one is left exactly as it is (a
   * real cluster's namespace keeps its labels). Returns whether it was created.
   */
  public boolean createNamespaceIfMissing(String name) {
    if (client.namespaces().withName(name).get() != null) {
      return false;
    }
    try {
      client.resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return false; // another writer created it in between
      }
      throw e;
    }
    log.info("event=namespace_created namespace={}", name);
    return true;
  }

  /**
   * Creates or updates Service {@code namespace/name} with one port {@code portName} and its
   * EndpointSlice {@code <name>-local} pointing at {@code host:port} (ready). Calling it again
   * with another port moves the Service there — what the end-to-end tests use to change the
   * xds-server's inputs.
   */
  public void publish(String namespace, String name, String portName, String host, int port) {
    publish(namespace, name, portName, host, port, "kubernetes.io/h2c");
  }

  /** As above, with the port's {@code appProtocol} (e.g. {@code http} for an HTTP/1.1 service). */
  public void publish(String namespace, String name, String portName, String host, int port, String appProtocol) {
    publish(namespace, name, portName, List.of(host), port, appProtocol);
  }

  /**
   * As above with several ready endpoints on the same port, one per address (e.g. 127.0.0.1 and
   * 127.0.0.2: two replicas of one service on this machine, as two pods would be).
   */
  public void publish(String namespace, String name, String portName, List<String> hosts, int port, String appProtocol) {
    Service service = new ServiceBuilder()
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .withNewSpec()
          .addNewPort().withName(portName).withPort(port).withProtocol("TCP")
            .withAppProtocol(appProtocol).endPort()
        .endSpec()
        .build();
    EndpointSlice slice = new EndpointSliceBuilder()
        .withNewMetadata()
          .withNamespace(namespace)
          .withName(sliceName(name))
          .withLabels(Map.of(SERVICE_NAME_LABEL, name, MANAGED_BY_LABEL, MANAGER))
        .endMetadata()
        .withAddressType("IPv4")
        .withEndpoints(hosts.stream().map(host -> new io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder()
          .withAddresses(host)
          .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
          .build()).toList())
        .addNewPort().withName(portName).withPort(port).withProtocol("TCP")
          .withAppProtocol(appProtocol).endPort()
        .build();
    apply(service);
    apply(slice);
    log.info("event=endpoints_published service={}/{} port_name={} address={}:{}",
        namespace, name, portName, String.join(",", hosts), port);
  }

  static String sliceName(String serviceName) {
    return serviceName + "-local";
  }

  private void apply(HasMetadata resource) {
    // The mock API server has no server-side apply: create, or update what exists.
    client.resource(resource).createOr(NonDeletingOperation::update);
  }
}
