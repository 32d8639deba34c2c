package io.voyager.bdk.localruntime;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What should run in one customer namespace, computed from its Deployments and Services alone:
 * which Deployments get a backend (replicas &gt; 0 and selected by some Service), which Service
 * gets an EndpointSlice for which backend, and which Deployments get a status. Pure.
 *
 * @param namespace the customer namespace
 * @param backends names of Deployments that need a running backend, sorted
 * @param slices one entry per (Service, backend Deployment) pair
 * @param deployments every Deployment in the namespace, whose status the runtime writes
 */
record NamespacePlan(
    String namespace, Set<String> backends, List<SliceTarget> slices, List<Deployment> deployments) {

  /** A Service and one Deployment behind it, which together make one EndpointSlice. */
  record SliceTarget(Service service, String deployment) {}

  static NamespacePlan of(String namespace, List<Deployment> deployments, List<Service> services) {
    List<Deployment> running =
        deployments.stream()
            .filter(d -> Selection.replicas(d) > 0)
            .sorted(Comparator.comparing(d -> d.getMetadata().getName()))
            .toList();
    Set<String> backends = new TreeSet<>();
    List<SliceTarget> slices = new ArrayList<>();
    services.stream()
        .sorted(Comparator.comparing(s -> s.getMetadata().getName()))
        .forEach(
            service ->
                running.stream()
                    .filter(d -> Selection.selects(service, d))
                    .forEach(
                        d -> {
                          backends.add(d.getMetadata().getName());
                          slices.add(new SliceTarget(service, d.getMetadata().getName()));
                        }));
    return new NamespacePlan(namespace, backends, List.copyOf(slices), List.copyOf(deployments));
  }
}
