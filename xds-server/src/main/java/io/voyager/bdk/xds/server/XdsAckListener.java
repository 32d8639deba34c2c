package io.voyager.bdk.xds.server;

import java.util.List;

/**
 * Learns what Envoys did with responses, per resource type: a NACK (the version refused and
 * Envoy's error) or an ACK. Called on gRPC threads: implementations must return quickly.
 */
public interface XdsAckListener {
  void onNack(String node, String typeUrl, String rejectedVersion, String error);

  void onAck(String node, String typeUrl, String version);

  /**
   * An ACK of the response that carried {@code resourceNames} (empty: every resource of the type,
   * as for wildcard CDS/LDS). A type's version covers all its resources, so Envoy may ACK a
   * version for some names and NACK the same version for more: only these names were taken.
   */
  default void onAck(String node, String typeUrl, String version, List<String> resourceNames) {
    onAck(node, typeUrl, version);
  }

  XdsAckListener NONE = new XdsAckListener() {
    @Override
    public void onNack(String node, String typeUrl, String rejectedVersion, String error) {}

    @Override
    public void onAck(String node, String typeUrl, String version) {}
  };
}
