package io.voyager.bdk.xds.server;

/**
 * Learns what Envoys did with responses, per resource type: a NACK (the version refused and
 * Envoy's error) or an ACK. Called on gRPC threads: implementations must return quickly.
 */
public interface XdsAckListener {
  void onNack(String node, String typeUrl, String rejectedVersion, String error);

  void onAck(String node, String typeUrl, String version);

  XdsAckListener NONE = new XdsAckListener() {
    @Override
    public void onNack(String node, String typeUrl, String rejectedVersion, String error) {}

    @Override
    public void onAck(String node, String typeUrl, String version) {}
  };
}
