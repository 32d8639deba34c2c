package io.voyager.bdk.xds.model;

/** A Kubernetes Service port: the unit the gateway makes one cluster for. */
public record ServiceRef(String namespace, String name, PortSelector port) {
  public ServiceRef {
    if (namespace == null || namespace.isBlank()) {
      throw new IllegalArgumentException("service namespace: is required");
    }
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("service name: is required");
    }
    if (port == null) {
      throw new IllegalArgumentException("service port: is required");
    }
  }

  /** Parses {@code namespace/name} (a flag value) with the given port. */
  public static ServiceRef parse(String namespacedName, PortSelector port) {
    String[] parts = namespacedName == null ? new String[0] : namespacedName.split("/", -1);
    if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
      throw new IllegalArgumentException(
          "service: expected namespace/name, got '" + namespacedName + "'");
    }
    return new ServiceRef(parts[0], parts[1], port);
  }

  public ServiceKey key() {
    return new ServiceKey(namespace, name);
  }

  @Override
  public String toString() {
    return namespace + "/" + name + ":" + port;
  }
}
