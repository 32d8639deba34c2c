package io.voyager.bdk.xds.translate;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.voyager.bdk.model.WebhookAuthContext;
import io.voyager.bdk.model.WebhookRoutes;
import io.voyager.bdk.xds.ir.GatewayIr;
import io.voyager.bdk.xds.ir.Provenance;
import io.voyager.bdk.xds.ir.WebhookRouteIr;

/**
 * The routes of the internal delivery listener ({@link InternalListeners}): for every
 * {@code queued} webhook binding, {@code POST /bdk-internal/v1/deliveries/{namespace}/{name}/{integration}}
 * with a well-formed {@code x-bdk-webhook-id} goes to the SAME book cluster as the binding's
 * public route would for direct delivery (endpoints by EDS, so the book's NetworkPolicy and
 * endpoint discovery are unchanged), rewritten to the binding's public path, with
 * {@code x-bdk-instance}, {@code x-bdk-integration} and {@code x-bdk-routed-to} set from this
 * route's own configuration (what ext-authz sets for direct delivery), overwriting whatever the
 * caller sent. The webhook id and {@code x-bdk-delivery-attempt} are the relay's.
 *
 * <p>Any other path under the prefix — an endpoint this gateway does not (yet) route as queued, e.g.
 * an Envoy that has not received the route, or a binding switched back to direct — answers
 * {@code 503} with {@code Retry-After: 30}, so the relay keeps the webhook and tries again on its
 * schedule rather than dead-lettering it for a gateway-side gap. Anything else is 404. Pure.
 */
final class InternalDeliveryRoutes {
  private InternalDeliveryRoutes() {}

  static final String NO_QUEUED_ROUTE =
      "{\"code\":14,\"message\":\"this gateway routes no queued delivery for this endpoint at the moment\"}";
  static final String RETRY_AFTER_SECONDS = "30";
  /**
   * The webhook id's alphabet ({@link io.voyager.bdk.model.WebhookDelivery#WEBHOOK_ID}) without its
   * {@code {1,128}} bound: RE2 unrolls a counted repetition, and that one compiles to a program of
   * over 1,000 instructions, which Envoy refuses (its default limit is 100) — NACKing the whole
   * route configuration. The length is the relay's to enforce (it is the only admitted caller and
   * refuses a longer id at accept time).
   */
  static final String WEBHOOK_ID_REGEX = "[A-Za-z0-9._:@+=-]+";

  static RouteConfiguration routeConfiguration(GatewayIr ir) {
    VirtualHost.Builder host = VirtualHost.newBuilder().setName("bdk-internal").addDomains("*");
    for (WebhookRouteIr route : ir.queuedRoutes()) {
      host.addRoutes(deliveryRoute(route));
    }
    host.addRoutes(Route.newBuilder()
        .setName("delivery-unrouted")
        .setMatch(RouteMatch.newBuilder().setPrefix(WebhookRoutes.INTERNAL_DELIVERY_PREFIX))
        .setDirectResponse(DirectResponseAction.newBuilder()
            .setStatus(503)
            .setBody(DataSource.newBuilder().setInlineString(NO_QUEUED_ROUTE)))
        .addResponseHeadersToAdd(overwrite("retry-after", RETRY_AFTER_SECONDS))
        .addResponseHeadersToAdd(overwrite("content-type", "application/json")));
    host.addRoutes(Route.newBuilder()
        .setName("no-route")
        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
        .setDirectResponse(DirectResponseAction.newBuilder()
            .setStatus(404)
            .setBody(DataSource.newBuilder().setInlineString("{\"code\":5,\"message\":\"no route\"}"))));
    return RouteConfiguration.newBuilder()
        .setName(InternalListeners.ROUTE_CONFIG)
        .addVirtualHosts(host)
        .setValidateClusters(com.google.protobuf.BoolValue.of(false))
        .build();
  }

  static Route deliveryRoute(WebhookRouteIr route) {
    Provenance source = route.source();
    Route.Builder built = Route.newBuilder()
        .setName("delivery/" + source.namespace() + "/" + source.name() + "/" + source.integration())
        .setMatch(RouteMatch.newBuilder()
            .setPath(WebhookRoutes.internalDeliveryPath(source.namespace(), source.name(), source.integration()))
            .addHeaders(HeaderMatcher.newBuilder()
                .setName(":method")
                .setStringMatch(StringMatcher.newBuilder().setExact("POST")))
            .addHeaders(HeaderMatcher.newBuilder()
                .setName(WebhookAuthContext.HEADER_WEBHOOK_ID)
                .setStringMatch(StringMatcher.newBuilder().setSafeRegex(
                    RegexMatcher.newBuilder().setRegex(WEBHOOK_ID_REGEX)))))
        .setRoute(RouteAction.newBuilder()
            .setCluster(route.clusterName())
            .setPrefixRewrite(route.path())
            .setTimeout(Duration.newBuilder().setSeconds(30)))
        .setMetadata(XdsTranslator.provenance(source));
    routingHeader(built, WebhookAuthContext.HEADER_INSTANCE, route.authContext().get(WebhookAuthContext.INSTANCE));
    routingHeader(built, WebhookAuthContext.HEADER_INTEGRATION, route.authContext().get(WebhookAuthContext.INTEGRATION));
    routingHeader(built, WebhookAuthContext.HEADER_ROUTED_TO, route.authContext().get(WebhookAuthContext.ROUTED_TO));
    return built.build();
  }

  private static void routingHeader(Route.Builder route, String name, String value) {
    if (value != null) {
      route.addRequestHeadersToAdd(overwrite(name, value));
    }
  }

  static HeaderValueOption overwrite(String name, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }
}
