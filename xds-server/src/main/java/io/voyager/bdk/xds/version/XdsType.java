package io.voyager.bdk.xds.version;

import io.envoyproxy.controlplane.cache.Resources;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The xDS resource types this server serves: java-control-plane's five ({@link Resources.ResourceType})
 * and the scoped route configurations (SRDS) of the scoped route layout, which java-control-plane
 * 1.0.49 does not know — only our delta server ({@code DeltaAds}) serves them.
 */
public enum XdsType {
  CLUSTER(Resources.ResourceType.CLUSTER),
  ENDPOINT(Resources.ResourceType.ENDPOINT),
  LISTENER(Resources.ResourceType.LISTENER),
  ROUTE(Resources.ResourceType.ROUTE),
  SECRET(Resources.ResourceType.SECRET),
  SCOPED_ROUTE(null);

  public static final String SCOPED_ROUTE_TYPE_URL = "type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration";

  private static final Map<String, XdsType> BY_URL =
      Stream.of(values()).collect(Collectors.toUnmodifiableMap(XdsType::typeUrl, Function.identity()));

  private final Resources.ResourceType controlPlaneType;

  XdsType(Resources.ResourceType controlPlaneType) {
    this.controlPlaneType = controlPlaneType;
  }

  /** java-control-plane's type; null for {@link #SCOPED_ROUTE}. */
  public Resources.ResourceType controlPlaneType() {
    return controlPlaneType;
  }

  /** The v3 type URL. */
  public String typeUrl() {
    if (controlPlaneType == null) {
      return SCOPED_ROUTE_TYPE_URL;
    }
    return Resources.TYPE_URLS_TO_RESOURCE_TYPE.entrySet().stream()
        .filter(e -> e.getValue() == controlPlaneType && e.getKey().contains(".v3."))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElseThrow();
  }

  /** The type of a v3 type URL; null if not served. */
  public static XdsType ofTypeUrl(String typeUrl) {
    return BY_URL.get(typeUrl);
  }
}
