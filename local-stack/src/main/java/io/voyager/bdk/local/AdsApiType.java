package io.voyager.bdk.local;

/**
 * How Envoy asks the xds-server for its configuration, as its bootstrap's
 * {@code dynamic_resources.ads_config.api_type} says. The xds-server serves both on its one ADS
 * port.
 */
public enum AdsApiType {
  /** State-of-the-world: every response of a type carries all its resources. */
  GRPC,
  /** Delta (incremental) xDS: responses carry only what changed and what was removed. */
  DELTA_GRPC
}
