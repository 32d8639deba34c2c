package io.voyager.bdk.xds.ir;

/**
 * The gateway's internal delivery listener: where the webhook relay POSTs each queued webhook back,
 * to be routed to the book exactly as direct delivery is. With {@code tls} (mutual TLS upstream,
 * the default) it requires a client certificate of the internal CA whose URI SAN is
 * {@code relayIdentity}, and presents Envoy's own internal certificate; without, it is plaintext
 * (local tools with --upstream-tls off only).
 */
public record InternalListenerIr(String address, int port, String relayIdentity, UpstreamTlsIr tls) {}
