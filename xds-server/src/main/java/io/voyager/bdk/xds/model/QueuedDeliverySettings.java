package io.voyager.bdk.xds.model;

import java.util.Objects;

/**
 * Queued delivery on the gateway (flags of the xds-server): where Envoy sends a {@code queued}
 * binding's webhooks once ext_authz allowed them (the webhook relay's Service, or a fixed endpoint),
 * and the internal listener the relay delivers them back through. The internal listener is not
 * public: in a cluster it is its own port behind its own ClusterIP Service ({@code envoy-internal})
 * that the NetworkPolicies open only to the relay, and with mutual TLS upstream (the default) it
 * requires a client certificate of the internal CA naming {@code relayIdentity}.
 *
 * @param relay the relay's accept port (HTTP/1.1; mutual TLS like our other services)
 * @param relayEndpoint if not null, the relay cluster's only endpoint instead of its Service's slices
 * @param internalAddress address of the internal listener
 * @param internalPort its port
 * @param relayIdentity the URI SAN the relay's client certificate must carry
 */
public record QueuedDeliverySettings(
    ServiceRef relay, FixedEndpoint relayEndpoint, String internalAddress, int internalPort, String relayIdentity) {

  public static final int DEFAULT_INTERNAL_PORT = 8444;

  public QueuedDeliverySettings {
    Objects.requireNonNull(relay, "relay service");
    if (internalAddress == null || internalAddress.isBlank()) {
      throw new IllegalArgumentException("internal-listener-address: is required");
    }
    if (!PortNumbers.isPort(internalPort)) {
      throw new IllegalArgumentException("internal-listener-port: " + internalPort + " " + PortNumbers.NOT_A_PORT);
    }
    if (relayIdentity == null || !relayIdentity.matches("[a-z][a-z0-9+.-]*://\\S+")) {
      throw new IllegalArgumentException("relay-identity: must be a URI (the relay certificate's URI SAN), got '" + relayIdentity + "'");
    }
  }
}
