package io.voyager.bdk.xds.translate;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.voyager.bdk.xds.ir.InternalListenerIr;
import io.voyager.bdk.xds.model.EdgeSettings;
import java.util.List;
import java.util.Map;

/**
 * The internal delivery listener ({@value #NAME}): where the webhook relay POSTs each queued
 * webhook back, to be routed to its book by {@link InternalDeliveryRoutes} exactly as a direct
 * delivery is routed. It is never one of the public listeners:
 * <ul>
 *   <li>its own port, which in a cluster only the relay's pods may reach (a ClusterIP Service of its
 *       own and the NetworkPolicies), never the public load balancer;</li>
 *   <li>mutual TLS: Envoy presents its internal certificate and REQUIRES a client certificate of the
 *       internal CA whose URI SAN is the relay's identity — any other certificate, or none, fails
 *       the handshake (with {@code --upstream-tls off}, local tools only, it is plaintext);</li>
 *   <li>the relay's {@code x-bdk-*} headers (the webhook id above all) are kept — unlike the public
 *       listeners, which remove every client-sent {@code x-bdk-*} — while {@code x-envoy-*} is
 *       still removed before routing, and the route overwrites the instance, integration and
 *       routed-to headers from its own configuration.</li>
 * </ul>
 * Pure.
 */
final class InternalListeners {
  private InternalListeners() {}

  static final String NAME = "bdk-internal";
  static final String ROUTE_CONFIG = "bdk-internal-routes";

  /**
   * {@code onDemandClusters}: the on_demand filter that fetches a book's cluster by name when a
   * delivery first needs it (null: clusters are all eager).
   */
  static Listener listener(InternalListenerIr internal, HttpFilter onDemandClusters) {
    HttpConnectionManager.Builder hcmBuilder = HttpConnectionManager.newBuilder()
        .setStatPrefix("bdk_internal")
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setUseRemoteAddress(BoolValue.of(true))
        .addEarlyHeaderMutationExtensions(stripEnvoyHeaders())
        .setNormalizePath(BoolValue.of(true))
        .setMergeSlashes(true)
        .setRequestHeadersTimeout(Duration.newBuilder().setSeconds(10))
        .setStreamIdleTimeout(Duration.newBuilder().setSeconds(60))
        .setMaxRequestHeadersKb(UInt32Value.of(60))
        .setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder()
            .setIdleTimeout(Duration.newBuilder().setSeconds(300))
            .setMaxHeadersCount(UInt32Value.of(100)))
        .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
        .setRds(Rds.newBuilder().setRouteConfigName(ROUTE_CONFIG).setConfigSource(EdgeListeners.ads()));
    if (onDemandClusters != null) {
      hcmBuilder.addHttpFilters(onDemandClusters);
    }
    HttpConnectionManager hcm = hcmBuilder
        .addHttpFilters(HttpFilter.newBuilder()
            .setName(XdsTranslator.ROUTER_FILTER)
            .setTypedConfig(Anys.pack(Router.newBuilder().setSuppressEnvoyHeaders(true).build())))
        .setLocalReplyConfig(LocalReplies.config())
        .addAccessLog(AccessLogs.stdoutJson())
        .build();
    FilterChain.Builder chain = FilterChain.newBuilder()
        .addFilters(Filter.newBuilder()
            .setName("envoy.filters.network.http_connection_manager")
            .setTypedConfig(Anys.pack(hcm)));
    if (internal.tls() != null) {
      chain.setTransportSocket(relayOnlyTls(internal));
    }
    return Listener.newBuilder()
        .setName(NAME)
        .setAddress(Address.newBuilder().setSocketAddress(
            SocketAddress.newBuilder().setAddress(internal.address()).setPortValue(internal.port())))
        .addFilterChains(chain)
        .build();
  }

  /**
   * TLS 1.2+; Envoy's internal certificate (the same file-SDS secret its upstream clusters
   * present); a client certificate is required, must chain to the internal CA and must carry the
   * relay's URI SAN.
   */
  static TransportSocket relayOnlyTls(InternalListenerIr internal) {
    DownstreamTlsContext context = DownstreamTlsContext.newBuilder()
        .setRequireClientCertificate(BoolValue.of(true))
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsParams(TlsParameters.newBuilder().setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2))
            .addAlpnProtocols("http/1.1")
            .addTlsCertificateSdsSecretConfigs(
                UpstreamTlsSockets.fileSds(EdgeSettings.MutualTlsUpstreams.CLIENT_SECRET, internal.tls().clientSdsPath()))
            .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(CertificateValidationContext.newBuilder()
                    .addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                        .setSanType(SubjectAltNameMatcher.SanType.URI)
                        .setMatcher(StringMatcher.newBuilder().setExact(internal.relayIdentity()))))
                .setValidationContextSdsSecretConfig(
                    UpstreamTlsSockets.fileSds(EdgeSettings.MutualTlsUpstreams.CA_SECRET, internal.tls().caSdsPath()))))
        .build();
    return TransportSocket.newBuilder().setName("envoy.transport_sockets.tls").setTypedConfig(Anys.pack(context)).build();
  }

  /** Removes every {@code x-envoy-*} request header before routing; {@code x-bdk-*} stays (the relay's). */
  private static TypedExtensionConfig stripEnvoyHeaders() {
    com.google.protobuf.Value keyMatcher = TypedStructs.struct(Map.of("prefix", TypedStructs.string("x-envoy-")));
    com.google.protobuf.Value mutation = TypedStructs.struct(Map.of("remove_on_match",
        TypedStructs.struct(Map.of("key_matcher", keyMatcher))));
    return TypedExtensionConfig.newBuilder()
        .setName(HeaderHygiene.EXTENSION)
        .setTypedConfig(TypedStructs.pack(
            "envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation",
            TypedStructs.structOf(Map.of("mutations", TypedStructs.list(List.of(mutation))))))
        .build();
  }
}
