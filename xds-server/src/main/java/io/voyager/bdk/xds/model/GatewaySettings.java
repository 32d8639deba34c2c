package io.voyager.bdk.xds.model;

import io.voyager.bdk.transcoder.TranscoderSettings;

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
 */
public record GatewaySettings(
    String listenerAddress,
    int listenerPort,
    ServiceRef library,
    ServiceRef extAuthz,
    int maxWebhookBodyBytes,
    TranscoderSettings transcoder,
    FixedEndpoint libraryEndpoint,
    FixedEndpoint extAuthzEndpoint) {

  public static final int DEFAULT_MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

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
  }

  /** Settings whose backends both take their endpoints from their Services' EndpointSlices. */
  public GatewaySettings(
      String listenerAddress,
      int listenerPort,
      ServiceRef library,
      ServiceRef extAuthz,
      int maxWebhookBodyBytes,
      TranscoderSettings transcoder) {
    this(listenerAddress, listenerPort, library, extAuthz, maxWebhookBodyBytes, transcoder, null, null);
  }

  /** These settings with fixed endpoints for the library and ext-authz (null: from EndpointSlices). */
  public GatewaySettings withFixedEndpoints(FixedEndpoint library, FixedEndpoint extAuthz) {
    return new GatewaySettings(listenerAddress, listenerPort, this.library, this.extAuthz,
        maxWebhookBodyBytes, transcoder, library, extAuthz);
  }

  /** The local-stack defaults: 127.0.0.1:8080, bdk/book-library:grpc, bdk/ext-authz:grpc, 1 MiB. */
  public static GatewaySettings defaults() {
    return new GatewaySettings(
        "127.0.0.1",
        8080,
        new ServiceRef("bdk", "book-library", PortSelector.named("grpc")),
        new ServiceRef("bdk", "ext-authz", PortSelector.named("grpc")),
        DEFAULT_MAX_WEBHOOK_BODY_BYTES,
        TranscoderSettings.bookLibraryDefaults());
  }
}
