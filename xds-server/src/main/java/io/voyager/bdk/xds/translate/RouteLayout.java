package io.voyager.bdk.xds.translate;

import java.util.Locale;

/**
 * How the public listeners' routes are laid out in Envoy resources ({@code --route-layout}).
 * <ul>
 *   <li>{@link #SINGLE}: one RouteConfiguration ({@value XdsTranslator#ROUTE_CONFIG_NAME}) holds
 *       every route; any change re-sends all of it (15.7 MB at 10,000 books).
 *   <li>{@link #SCOPED}: scoped routes (SRDS, {@link WebhookScopes}): each webhook path is a scope
 *       with a RouteConfiguration of its own, the library routes and the 404 a scope of theirs; one
 *       book's change re-sends that book's few KB. Needs delta xDS ({@code DELTA_GRPC} in Envoy's
 *       bootstrap): java-control-plane's state-of-the-world server does not serve the
 *       ScopedRouteConfiguration type.
 * </ul>
 */
public enum RouteLayout {
  SINGLE,
  SCOPED;

  /** {@code single} or {@code scoped} (any case); anything else is refused naming the flag. */
  public static RouteLayout parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("--route-layout: '" + value + "' is not one of single, scoped");
    }
  }

  public String flagValue() {
    return name().toLowerCase(Locale.ROOT);
  }
}
