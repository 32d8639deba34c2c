package io.voyager.bdk.localruntime;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.voyager.bdk.support.AdminServer;

/** What {@link Main#start} returns: the runtime with its admin server and client; close stops all. */
public final class LocalRuntimeService implements AutoCloseable {
  private final KubernetesClient client;
  private final LocalRuntime runtime;
  private final AdminServer admin;
  private final PrometheusMeterRegistry registry;

  LocalRuntimeService(
      KubernetesClient client, LocalRuntime runtime, AdminServer admin, PrometheusMeterRegistry registry) {
    this.client = client;
    this.runtime = runtime;
    this.admin = admin;
    this.registry = registry;
  }

  public LocalRuntime runtime() {
    return runtime;
  }

  public int adminPort() {
    return admin.port();
  }

  @Override
  public void close() {
    admin.close();
    runtime.close();
    registry.close();
    client.close();
  }
}
