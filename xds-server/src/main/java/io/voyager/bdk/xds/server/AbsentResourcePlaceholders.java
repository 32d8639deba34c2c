package io.voyager.bdk.xds.server;

import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.voyager.bdk.xds.version.XdsType;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a delta stream sends for a name Envoy subscribed to and waits for that the snapshot lacks,
 * per resource type: a placeholder resource of that name, or nothing (the name is answered as
 * removed, the protocol's "does not exist").
 *
 * <p>Route configurations get a placeholder: an empty {@link RouteConfiguration} of the subscribed
 * name (no virtual hosts: every request on it gets Envoy's 404, or ext-authz's {@code no_route}
 * where ext_authz runs at the connection manager). Envoy's RDS ignores removals (Envoy 1.40's
 * {@code RdsRouteConfigSubscription} logs "attempting to remove a resource … Ignoring"), so a
 * removal never ends its wait: a request held for an on-demand scope's route configuration would
 * wait until the client gave up, and a listener would warm only at its initial-fetch timeout. Every
 * other type keeps the removal: Envoy ends its wait on it (on-demand clusters report the cluster
 * missing, EDS and SDS warming ends).
 *
 * <p>The placeholder's version is fixed ({@value #PLACEHOLDER_VERSION}, never a content hash), so it
 * is sent once, an Envoy reconnecting with it in its initial versions is not sent it again, and
 * the real resource (a content version) always differs from it and is sent when it appears.
 */
final class AbsentResourcePlaceholders {
  static final String PLACEHOLDER_VERSION = "absent-empty-route-configuration";

  private AbsentResourcePlaceholders() {}

  /** The placeholder builder for {@code type}: name → placeholder, or empty for "answer as removed". */
  static Function<String, Optional<VersionedResource<?>>> forType(XdsType type) {
    if (type == XdsType.ROUTE) {
      return AbsentResourcePlaceholders::emptyRouteConfiguration;
    }
    return name -> Optional.empty();
  }

  /** An empty route configuration named {@code name}: routes nothing, so Envoy answers 404. */
  static Optional<VersionedResource<?>> emptyRouteConfiguration(String name) {
    return Optional.of(VersionedResource.create(RouteConfiguration.newBuilder().setName(name).build(), PLACEHOLDER_VERSION));
  }
}
