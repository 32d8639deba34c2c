package io.voyager.bdk.xds.translate;

import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.PathConfigSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.core.v3.WatchedDirectory;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.voyager.bdk.xds.ir.UpstreamTlsIr;
import io.voyager.bdk.xds.model.EdgeSettings;

/**
 * The transport socket of a cluster of one of our services (ext-authz, the library over HTTP/2;
 * the webhook relay over HTTP/1.1): TLS 1.2+, ALPN of the cluster's protocol, SNI and a server
 * certificate that must chain to the internal CA AND carry the
 * service's DNS name; Envoy presents its own client certificate. Certificate, key and CA come from
 * filesystem SDS files on Envoy's disk ({@link EdgeSettings.MutualTlsUpstreams}), which Envoy
 * re-reads when they change. Pure.
 */
final class UpstreamTlsSockets {
  private UpstreamTlsSockets() {}

  static TransportSocket socket(UpstreamTlsIr tls) {
    return socket(tls, true);
  }

  static TransportSocket socket(UpstreamTlsIr tls, boolean http2) {
    UpstreamTlsContext context = UpstreamTlsContext.newBuilder()
        .setSni(tls.serverName())
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsParams(TlsParameters.newBuilder().setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2))
            .addAlpnProtocols(http2 ? "h2" : "http/1.1")
            .addTlsCertificateSdsSecretConfigs(fileSds(EdgeSettings.MutualTlsUpstreams.CLIENT_SECRET, tls.clientSdsPath()))
            .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(CertificateValidationContext.newBuilder()
                    .addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                        .setSanType(SubjectAltNameMatcher.SanType.DNS)
                        .setMatcher(StringMatcher.newBuilder().setExact(tls.serverName()))))
                .setValidationContextSdsSecretConfig(fileSds(EdgeSettings.MutualTlsUpstreams.CA_SECRET, tls.caSdsPath()))))
        .build();
    return TransportSocket.newBuilder().setName("envoy.transport_sockets.tls").setTypedConfig(Anys.pack(context)).build();
  }

  /** An SDS secret read from a file on Envoy's disk, reloaded when its directory changes. */
  static SdsSecretConfig fileSds(String name, String path) {
    String dir = path.substring(0, Math.max(1, path.lastIndexOf('/')));
    return SdsSecretConfig.newBuilder()
        .setName(name)
        .setSdsConfig(ConfigSource.newBuilder()
            .setResourceApiVersion(ApiVersion.V3)
            .setPathConfigSource(PathConfigSource.newBuilder()
                .setPath(path)
                .setWatchedDirectory(WatchedDirectory.newBuilder().setPath(dir))))
        .build();
  }
}
