package io.voyager.bdk.xds.translate;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.voyager.bdk.xds.ir.EdgeIr;
import io.voyager.bdk.xds.model.EdgeSettings;
import java.util.ArrayList;
import java.util.List;

/**
 * The public listeners. Both share one connection manager recipe:
 * <ul>
 *   <li>{@code use_remote_address} with {@code xff_num_trusted_hops}: the client is the TCP peer,
 *       or the address that many trusted proxies in front put into X-Forwarded-For;
 *   <li>client-sent {@code x-bdk-*} and {@code x-envoy-*} headers removed before anything else
 *       ({@link HeaderHygiene});
 *   <li>explicit limits: request headers timeout, stream idle timeout, header block size and count,
 *       HTTP/2 concurrent streams, flow-control windows and Envoy's frame-flood protections
 *       (outbound, control, empty, PRIORITY and WINDOW_UPDATE frame limits; premature resets are
 *       bounded in the bootstrap's runtime);
 *   <li>a JSON access log on stdout ({@link AccessLogs}); Envoy's own replies as JSON
 *       ({@link LocalReplies}); no {@code x-envoy-*} response headers from the router.
 * </ul>
 * The plain listener ({@value #PLAIN}) serves every route, or — {@code plain-http: redirect}, as
 * in k8s/deploy — only answers 308 to the same URL on https. The HTTPS listener ({@value #HTTPS};
 * TLS 1.2+, ALPN h2 and http/1.1) takes its certificate by name over SDS through ADS
 * ({@link EdgeSecrets}) and exists only while a usable certificate does: without one it is
 * withheld rather than left warming or failing handshakes, and nothing else changes. Pure.
 */
final class EdgeListeners {
  private EdgeListeners() {}

  static final String PLAIN = "bdk-http";
  static final String HTTPS = "bdk-https";
  static final String REDIRECT_ROUTE_CONFIG = "bdk-redirect-to-https";

  /** The listeners of {@code edge}; {@code filters} and {@code routeConfig} are the serving chain's. */
  static List<Listener> listeners(EdgeIr edge, List<HttpFilter> filters, String routeConfig) {
    return listeners(edge, filters, routeConfig, RouteLayout.SINGLE);
  }

  /**
   * The listeners of {@code edge}; the serving chain's routes are RouteConfiguration
   * {@code routeConfig} ({@link RouteLayout#SINGLE}) or the scopes of {@link WebhookScopes}.
   */
  static List<Listener> listeners(EdgeIr edge, List<HttpFilter> filters, String routeConfig, RouteLayout layout) {
    return listeners(edge, filters, routeConfig, layout, null);
  }

  /**
   * As above; with {@code extAuthzCluster} not null, the serving chains also stream failed
   * webhook deliveries to ext-authz ({@link AccessLogs#replayRelease}).
   */
  static List<Listener> listeners(EdgeIr edge, List<HttpFilter> filters, String routeConfig, RouteLayout layout,
      String extAuthzCluster) {
    List<Listener> listeners = new ArrayList<>();
    HttpConnectionManager plain = edge.plainHttp() == EdgeSettings.PlainHttp.REDIRECT
        ? redirecting(edge)
        : serving(edge, "bdk_http", filters, routeConfig, layout, extAuthzCluster);
    listeners.add(listener(PLAIN, edge.listenerAddress(), edge.plainPort(), plain, null));
    if (edge.tls() instanceof EdgeIr.Serving serving) {
      listeners.add(listener(HTTPS, edge.listenerAddress(), edge.httpsPort(),
          serving(edge, "bdk_https", filters, routeConfig, layout, extAuthzCluster), downstreamTls(serving.secretName())));
    }
    return listeners;
  }

  private static Listener listener(String name, String address, int port, HttpConnectionManager hcm,
      TransportSocket tls) {
    FilterChain.Builder chain = FilterChain.newBuilder()
        .addFilters(Filter.newBuilder()
            .setName("envoy.filters.network.http_connection_manager")
            .setTypedConfig(Anys.pack(hcm)));
    if (tls != null) {
      chain.setTransportSocket(tls);
    }
    return Listener.newBuilder()
        .setName(name)
        .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(address).setPortValue(port)))
        .addFilterChains(chain)
        .build();
  }

  /** TLS 1.2+, ALPN h2 then http/1.1, the certificate from SDS secret {@code secretName} over ADS. */
  static TransportSocket downstreamTls(String secretName) {
    DownstreamTlsContext context = DownstreamTlsContext.newBuilder()
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsParams(TlsParameters.newBuilder().setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2))
            .addAlpnProtocols("h2")
            .addAlpnProtocols("http/1.1")
            .addTlsCertificateSdsSecretConfigs(SdsSecretConfig.newBuilder()
                .setName(secretName)
                .setSdsConfig(ads())))
        .build();
    return TransportSocket.newBuilder().setName("envoy.transport_sockets.tls").setTypedConfig(Anys.pack(context)).build();
  }

  private static HttpConnectionManager.Builder common(EdgeIr edge, String statPrefix) {
    EdgeSettings.Limits limits = edge.limits();
    return HttpConnectionManager.newBuilder()
        .setStatPrefix(statPrefix)
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setUseRemoteAddress(BoolValue.of(true))
        .setXffNumTrustedHops(edge.xffTrustedHops())
        .addEarlyHeaderMutationExtensions(HeaderHygiene.earlyHeaderMutation())
        .setNormalizePath(BoolValue.of(true))
        .setMergeSlashes(true)
        .setRequestHeadersTimeout(duration(limits.requestHeadersTimeout()))
        .setStreamIdleTimeout(duration(limits.streamIdleTimeout()))
        .setMaxRequestHeadersKb(UInt32Value.of(limits.maxRequestHeadersKb()))
        .setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder()
            .setIdleTimeout(Duration.newBuilder().setSeconds(300))
            .setMaxHeadersCount(UInt32Value.of(100)))
        .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
        .setHttp2ProtocolOptions(Http2ProtocolOptions.newBuilder()
            .setMaxConcurrentStreams(UInt32Value.of(limits.maxConcurrentStreams()))
            .setInitialStreamWindowSize(UInt32Value.of(limits.initialStreamWindowBytes()))
            .setInitialConnectionWindowSize(UInt32Value.of(limits.initialConnectionWindowBytes()))
            // Envoy's flood protections, at their documented defaults, spelled out.
            .setMaxOutboundFrames(UInt32Value.of(10000))
            .setMaxOutboundControlFrames(UInt32Value.of(1000))
            .setMaxConsecutiveInboundFramesWithEmptyPayload(UInt32Value.of(1))
            .setMaxInboundPriorityFramesPerStream(UInt32Value.of(100))
            .setMaxInboundWindowUpdateFramesPerDataFrameSent(UInt32Value.of(10)))
        .setLocalReplyConfig(LocalReplies.config())
        .addAccessLog(AccessLogs.stdoutJson());
  }

  private static HttpConnectionManager serving(EdgeIr edge, String statPrefix, List<HttpFilter> filters, String routeConfig,
      RouteLayout layout, String extAuthzCluster) {
    HttpConnectionManager.Builder hcm = common(edge, statPrefix);
    if (extAuthzCluster != null) {
      hcm.addAccessLog(AccessLogs.replayRelease(extAuthzCluster));
    }
    if (layout == RouteLayout.SCOPED) {
      hcm.addEarlyHeaderMutationExtensions(WebhookScopes.keyHeader()).setScopedRoutes(WebhookScopes.scopedRoutes());
    } else {
      hcm.setRds(Rds.newBuilder().setRouteConfigName(routeConfig).setConfigSource(ads()));
    }
    return hcm.addAllHttpFilters(filters).build();
  }

  /** Plain HTTP that only redirects: 308 (method and body kept) to the same host and path on https. */
  private static HttpConnectionManager redirecting(EdgeIr edge) {
    RouteConfiguration redirect = RouteConfiguration.newBuilder()
        .setName(REDIRECT_ROUTE_CONFIG)
        .addVirtualHosts(VirtualHost.newBuilder()
            .setName("redirect-to-https")
            .addDomains("*")
            .addRoutes(Route.newBuilder()
                .setName("redirect-to-https")
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRedirect(RedirectAction.newBuilder()
                    .setHttpsRedirect(true)
                    .setResponseCode(RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT))))
        .build();
    return common(edge, "bdk_http_redirect")
        .setRouteConfig(redirect)
        .addHttpFilters(HttpFilter.newBuilder()
            .setName(XdsTranslator.ROUTER_FILTER)
            .setTypedConfig(Anys.pack(Router.newBuilder().setSuppressEnvoyHeaders(true).build())))
        .build();
  }

  static ConfigSource ads() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  private static Duration duration(java.time.Duration d) {
    return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }
}
