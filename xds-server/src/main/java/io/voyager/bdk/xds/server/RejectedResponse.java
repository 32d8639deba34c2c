package io.voyager.bdk.xds.server;

import java.util.List;

/**
 * A response Envoy NACKed on one stream for one type: its version and the resource names of the
 * request it answered (empty for wildcard types). Until Envoy ACKs something newer, every request
 * that answers this response (the NACK and any later re-request carrying its nonce) must be held.
 */
public record RejectedResponse(String version, List<String> resourceNames) {
  public RejectedResponse {
    resourceNames = List.copyOf(resourceNames);
  }
}
