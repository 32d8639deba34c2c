package io.voyager.bdk.xds.translate;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.voyager.bdk.xds.ir.AuthIr;

/**
 * The cluster Envoy fetches a remote JWKS through: the URI's host and port, resolved by DNS
 * ({@code LOGICAL_DNS}, IPv4 preferred) unless the host is an IP literal ({@code STATIC}); its
 * endpoint is inline (no EDS). For https: TLS with SNI (for a host name) and the server
 * certificate verified against the configured CA bundle and required to name the host (a DNS or
 * IP subject alternative name) — Envoy verifies nothing unless told to, and a JWKS from an
 * unverified server would let anyone on the path mint accepted tokens.
 */
final class JwksClusterBuilder {
  private JwksClusterBuilder() {}

  static final String TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls";

  static Cluster cluster(AuthIr.JwksCluster jwks) {
    Cluster.Builder cluster = Cluster.newBuilder()
        .setName(jwks.name())
        .setType(jwks.ipLiteral() ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.LOGICAL_DNS)
        .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED)
        .setConnectTimeout(Duration.newBuilder().setSeconds(2))
        .setLoadAssignment(ClusterLoadAssignment.newBuilder()
            .setClusterName(jwks.name())
            .addEndpoints(LocalityLbEndpoints.newBuilder()
                .addLbEndpoints(LbEndpoint.newBuilder()
                    .setEndpoint(Endpoint.newBuilder()
                        .setAddress(Address.newBuilder()
                            .setSocketAddress(SocketAddress.newBuilder()
                                .setAddress(jwks.host())
                                .setPortValue(jwks.port())))))));
    if (jwks.tls()) {
      UpstreamTlsContext.Builder tls = UpstreamTlsContext.newBuilder()
          .setCommonTlsContext(CommonTlsContext.newBuilder()
              .setValidationContext(CertificateValidationContext.newBuilder()
                  .setTrustedCa(DataSource.newBuilder().setFilename(jwks.trustedCa()))
                  .addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                      .setSanType(jwks.ipLiteral()
                          ? SubjectAltNameMatcher.SanType.IP_ADDRESS
                          : SubjectAltNameMatcher.SanType.DNS)
                      .setMatcher(StringMatcher.newBuilder().setExact(jwks.host())))));
      if (!jwks.ipLiteral()) {
        tls.setSni(jwks.host());
      }
      cluster.setTransportSocket(TransportSocket.newBuilder()
          .setName(TLS_TRANSPORT_SOCKET)
          .setTypedConfig(Anys.pack(tls.build())));
    }
    return cluster.build();
  }
}
