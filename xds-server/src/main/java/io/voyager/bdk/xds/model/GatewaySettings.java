package io.voyager.bdk.xds.model;

import io.voyager.bdk.support.auth.DevIssuer;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.transcoder.TranscoderSettings;
import java.util.Objects;

/**
 * Deployment settings of the gateway (flags of the xds-server).
 *
 * @param listenerAddress address Envoy's HTTP listener binds
 * @param listenerPort its port
 * @param library the Book Library gRPC Service (HTTP/2)
 * @param extAuthz the ext-authz gRPC Service (HTTP/2)
 * @param maxWebhookBodyBytes largest webhook body ext_authz buffers; larger gets 413
 * @param transcoder the transcoder's services and body limits
 * @param libraryEndpoint if not null, the library cluster's only endpoint instead of its Service's
 *     EndpointSlices (the local stack against a real cluster)
 * @param extAuthzEndpoint the same for ext-authz
 * @param jwt the bearer tokens every library request must carry (required: there is no
 *     unauthenticated mode)
 * @param jwksTrustedCa CA bundle, a path on Envoy's filesystem, that verifies an https
 *     {@code --jwks-uri}'s server certificate
 * @param edge the HTTPS listener, plain HTTP's role, edge header and connection rules, the
 *     per-client webhook limit and the TLS of Envoy's own upstreams
 * @param queued the webhook relay and the internal delivery listener; null: queued delivery is off
 *     (a {@code queued} binding's route then answers 503 rather than deliver synchronously)
 */
public record GatewaySettings(
    String listenerAddress,
    int listenerPort,
    ServiceRef library,
    ServiceRef extAuthz,
    int maxWebhookBodyBytes,
    TranscoderSettings transcoder,
    FixedEndpoint libraryEndpoint,
    FixedEndpoint extAuthzEndpoint,
    JwtSettings jwt,
    String jwksTrustedCa,
    EdgeSettings edge,
    QueuedDeliverySettings queued) {

  public static final int DEFAULT_MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;
  /** Debian/Ubuntu's bundle, present in the envoyproxy/envoy image. */
  public static final String DEFAULT_JWKS_TRUSTED_CA = "/etc/ssl/certs/ca-certificates.crt";

  public GatewaySettings {
    if (listenerAddress == null || listenerAddress.isBlank()) {
      throw new IllegalArgumentException("listener-address: is required");
    }
    if (!PortNumbers.isPort(listenerPort)) {
      throw new IllegalArgumentException("listener-port: " + listenerPort + " " + PortNumbers.NOT_A_PORT);
    }
    if (maxWebhookBodyBytes <= 0) {
      throw new IllegalArgumentException("max-request-bytes: must be positive, got " + maxWebhookBodyBytes);
    }
    Objects.requireNonNull(jwt, "jwt: JWT settings are required");
    if (jwksTrustedCa == null || jwksTrustedCa.isBlank()) {
      throw new IllegalArgumentException("jwks-ca-file: must not be empty");
    }
    Objects.requireNonNull(edge, "edge settings");
    if (edge.tlsSecret() != null && edge.httpsPort() == listenerPort) {
      throw new IllegalArgumentException("https-listener-port: " + edge.httpsPort() + " is also --listener-port");
    }
    if (queued != null && (queued.internalPort() == listenerPort
        || (edge.tlsSecret() != null && queued.internalPort() == edge.httpsPort()))
        && queued.internalAddress().equals(listenerAddress)) {
      throw new IllegalArgumentException("internal-listener-port: " + queued.internalPort() + " is also a public listener's port");
    }
  }

  /** Without queued delivery. */
  public GatewaySettings(String listenerAddress, int listenerPort, ServiceRef library, ServiceRef extAuthz,
      int maxWebhookBodyBytes, TranscoderSettings transcoder, FixedEndpoint libraryEndpoint, FixedEndpoint extAuthzEndpoint,
      JwtSettings jwt, String jwksTrustedCa, EdgeSettings edge) {
    this(listenerAddress, listenerPort, library, extAuthz, maxWebhookBodyBytes, transcoder, libraryEndpoint, extAuthzEndpoint,
        jwt, jwksTrustedCa, edge, null);
  }

  /** These settings with queued delivery (null: off). */
  public GatewaySettings withQueuedDelivery(QueuedDeliverySettings queued) {
    return new GatewaySettings(listenerAddress, listenerPort, library, extAuthz,
        maxWebhookBodyBytes, transcoder, libraryEndpoint, extAuthzEndpoint, jwt, jwksTrustedCa, edge, queued);
  }

  /** Settings whose backends both take their endpoints from their Services' EndpointSlices. */
  public GatewaySettings(
      String listenerAddress,
      int listenerPort,
      ServiceRef library,
      ServiceRef extAuthz,
      int maxWebhookBodyBytes,
      TranscoderSettings transcoder,
      JwtSettings jwt) {
    this(listenerAddress, listenerPort, library, extAuthz, maxWebhookBodyBytes, transcoder, null, null, jwt,
        DEFAULT_JWKS_TRUSTED_CA, EdgeSettings.DEFAULTS);
  }

  /** These settings with fixed endpoints for the library and ext-authz (null: from EndpointSlices). */
  public GatewaySettings withFixedEndpoints(FixedEndpoint library, FixedEndpoint extAuthz) {
    return new GatewaySettings(listenerAddress, listenerPort, this.library, this.extAuthz,
        maxWebhookBodyBytes, transcoder, library, extAuthz, jwt, jwksTrustedCa, edge, queued);
  }

  /** These settings with other JWT settings and CA bundle. */
  public GatewaySettings withJwt(JwtSettings jwt, String jwksTrustedCa) {
    return new GatewaySettings(listenerAddress, listenerPort, library, extAuthz,
        maxWebhookBodyBytes, transcoder, libraryEndpoint, extAuthzEndpoint, jwt, jwksTrustedCa, edge, queued);
  }

  /** These settings with other edge settings. */
  public GatewaySettings withEdge(EdgeSettings edge) {
    return new GatewaySettings(listenerAddress, listenerPort, library, extAuthz,
        maxWebhookBodyBytes, transcoder, libraryEndpoint, extAuthzEndpoint, jwt, jwksTrustedCa, edge, queued);
  }

  /**
   * The local-stack defaults: 127.0.0.1:8080, bdk/book-library:grpc, bdk/ext-authz:grpc, 1 MiB,
   * tokens of the local issuer with keys from ConfigMap bdk/bdk-jwks ({@link DevIssuer#localSettings()}).
   */
  public static GatewaySettings defaults() {
    return new GatewaySettings(
        "127.0.0.1",
        8080,
        new ServiceRef("bdk", "book-library", PortSelector.named("grpc")),
        new ServiceRef("bdk", "ext-authz", PortSelector.named("grpc")),
        DEFAULT_MAX_WEBHOOK_BODY_BYTES,
        TranscoderSettings.bookLibraryDefaults(),
        DevIssuer.localSettings());
  }
}
