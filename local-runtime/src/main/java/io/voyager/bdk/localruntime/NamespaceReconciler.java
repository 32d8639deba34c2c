package io.voyager.bdk.localruntime;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.Indexer;
import io.voyager.bdk.samplebook.SampleBook;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one customer namespace to its {@link NamespacePlan}: backends started and stopped,
 * EndpointSlices published and removed, Deployment statuses written — each only when it differs
 * from what the API already holds (read from the informers' caches), so a run with nothing to do
 * writes nothing. A failed write does not stop the others; the run then fails as a whole so the
 * queue retries it.
 */
final class NamespaceReconciler implements Consumer<String> {
  private static final Logger log = LoggerFactory.getLogger(NamespaceReconciler.class);

  private final KubernetesClient client;
  private final Indexer<Deployment> deployments;
  private final Indexer<Service> services;
  private final Indexer<EndpointSlice> slices;
  private final Backends backends;
  private final Clock clock;
  private final RecentWrites recentWrites;
  private static final String DELETED = "deleted";

  NamespaceReconciler(
      KubernetesClient client,
      Indexer<Deployment> deployments,
      Indexer<Service> services,
      Indexer<EndpointSlice> slices,
      Backends backends,
      RecentWrites recentWrites,
      Clock clock) {
    this.recentWrites = recentWrites;
    this.client = client;
    this.deployments = deployments;
    this.services = services;
    this.slices = slices;
    this.backends = backends;
    this.clock = clock;
  }

  @Override
  public void accept(String namespace) {
    NamespacePlan plan =
        NamespacePlan.of(
            namespace,
            deployments.byIndex(Cache.NAMESPACE_INDEX, namespace),
            services.byIndex(Cache.NAMESPACE_INDEX, namespace));
    backends.retainOnly(namespace, plan.backends());
    Map<String, Integer> ports = new HashMap<>();
    for (String deployment : plan.backends()) {
      backends.ensure(namespace, deployment).map(SampleBook::port).ifPresent(port -> ports.put(deployment, port));
    }
    List<String> failed = new ArrayList<>();
    publishSlices(plan, ports, failed);
    writeStatuses(plan, ports, failed);
    if (!failed.isEmpty()) {
      throw new IllegalStateException("writes failed in " + namespace + ": " + String.join(", ", failed));
    }
  }

  private void publishSlices(NamespacePlan plan, Map<String, Integer> ports, List<String> failed) {
    String namespace = plan.namespace();
    Map<String, EndpointSlice> existing = new HashMap<>();
    slices.byIndex(Cache.NAMESPACE_INDEX, namespace).forEach(s -> existing.put(s.getMetadata().getName(), s));
    Set<String> wanted = new HashSet<>();
    for (NamespacePlan.SliceTarget target : plan.slices()) {
      Integer port = ports.get(target.deployment());
      if (port == null) {
        continue;
      }
      EndpointSlice desired = EndpointSlices.forBackend(target.service(), target.deployment(), port);
      String name = desired.getMetadata().getName();
      wanted.add(name);
      EndpointSlice current = existing.get(name);
      String key = RecentWrites.sliceKey(namespace, name);
      String cachedVersion = current == null ? null : current.getMetadata().getResourceVersion();
      if ((current != null && EndpointSlices.same(current, desired))
          || recentWrites.inFlight(key, cachedVersion, EndpointSlices.fingerprint(desired))) {
        continue;
      }
      try {
        client.discovery().v1().endpointSlices().inNamespace(namespace).resource(desired)
            .createOr(NonDeletingOperation::update);
        recentWrites.remember(key, cachedVersion, EndpointSlices.fingerprint(desired));
        log.info(
            "event=endpointslice_published namespace={} service={} slice={} deployment={} port={}",
            namespace, target.service().getMetadata().getName(), name, target.deployment(), port);
      } catch (KubernetesClientException e) {
        log.warn("event=endpointslice_write_failed namespace={} slice={} code={}", namespace, name, e.getCode());
        failed.add("endpointslice " + name);
      }
    }
    existing.keySet().stream().filter(name -> !wanted.contains(name)).sorted().forEach(name -> {
      String key = RecentWrites.sliceKey(namespace, name);
      String cachedVersion = existing.get(name).getMetadata().getResourceVersion();
      if (recentWrites.inFlight(key, cachedVersion, DELETED)) {
        return;
      }
      try {
        client.discovery().v1().endpointSlices().inNamespace(namespace).withName(name).delete();
        recentWrites.remember(key, cachedVersion, DELETED);
        log.info("event=endpointslice_removed namespace={} slice={}", namespace, name);
      } catch (KubernetesClientException e) {
        log.warn("event=endpointslice_delete_failed namespace={} slice={} code={}", namespace, name, e.getCode());
        failed.add("endpointslice " + name);
      }
    });
  }

  private void writeStatuses(NamespacePlan plan, Map<String, Integer> ports, List<String> failed) {
    String namespace = plan.namespace();
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    for (Deployment deployment : plan.deployments()) {
      String name = deployment.getMetadata().getName();
      boolean running = !plan.backends().contains(name) || ports.containsKey(name);
      DeploymentStatus desired = DeploymentStatuses.desired(deployment, running, now);
      String key = RecentWrites.statusKey(namespace, name);
      String cachedVersion = deployment.getMetadata().getResourceVersion();
      if (DeploymentStatuses.same(deployment.getStatus(), desired)
          || recentWrites.inFlight(key, cachedVersion, DeploymentStatuses.fingerprint(desired))) {
        continue;
      }
      try {
        client.apps().deployments().inNamespace(namespace).withName(name)
            .editStatus(d -> new DeploymentBuilder(d).withStatus(desired).build());
        recentWrites.remember(key, cachedVersion, DeploymentStatuses.fingerprint(desired));
        log.info(
            "event=deployment_status_written namespace={} deployment={} replicas={} ready={} observed_generation={}",
            namespace, name, desired.getReplicas(), desired.getReadyReplicas(), desired.getObservedGeneration());
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          continue; // deleted meanwhile: its delete event runs this namespace again
        }
        log.warn("event=deployment_status_write_failed namespace={} deployment={} code={}", namespace, name, e.getCode());
        failed.add("deployment status " + name);
      }
    }
  }
}
