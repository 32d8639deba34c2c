package io.voyager.bdk.xds.translate;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.voyager.bdk.xds.ir.EdgeIr;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The SDS secrets of the snapshot: the HTTPS listener's certificate and key while it is served
 * (Envoy fetches it by name over the same ADS stream; a renewed Secret is a new version of this
 * resource, applied to new connections without a restart or a listener change). Pure.
 */
final class EdgeSecrets {
  private EdgeSecrets() {}

  static List<Secret> secrets(EdgeIr edge) {
    if (edge.tls() instanceof EdgeIr.Serving serving) {
      return List.of(secret(serving));
    }
    if (edge.tls() instanceof EdgeIr.Withheld withheld && withheld.retained() != null) {
      return List.of(secret(withheld.retained())); // referenced by no listener; see EdgeIr.Withheld
    }
    return List.of();
  }

  private static Secret secret(EdgeIr.Serving serving) {
    return Secret.newBuilder()
        .setName(serving.secretName())
        .setTlsCertificate(TlsCertificate.newBuilder()
            .setCertificateChain(DataSource.newBuilder()
                .setInlineBytes(ByteString.copyFrom(serving.certificateChainPem(), StandardCharsets.UTF_8)))
            .setPrivateKey(DataSource.newBuilder()
                .setInlineBytes(ByteString.copyFrom(serving.privateKeyPem(), StandardCharsets.UTF_8))))
        .build();
  }
}
