package io.voyager.bdk.xds.ir;

/**
 * Mutual TLS from Envoy to one of our services: SNI and the expected DNS name
 * {@code serverName} ({@code <service>.<namespace>.svc}), Envoy's client certificate and the
 * internal CA from filesystem SDS files on Envoy's disk.
 */
public record UpstreamTlsIr(String serverName, String clientSdsPath, String caSdsPath) {}
