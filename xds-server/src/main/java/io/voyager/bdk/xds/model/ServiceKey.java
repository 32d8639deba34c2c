package io.voyager.bdk.xds.model;

/** A Service by namespace and name; EndpointSlices point at it by the kubernetes.io/service-name label. */
public record ServiceKey(String namespace, String name) implements Comparable<ServiceKey> {
  @Override
  public int compareTo(ServiceKey o) {
    int c = namespace.compareTo(o.namespace);
    return c != 0 ? c : name.compareTo(o.name);
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
