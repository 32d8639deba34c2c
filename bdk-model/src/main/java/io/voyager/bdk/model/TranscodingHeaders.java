package io.voyager.bdk.model;

/**
 * Headers between the library service and Envoy's grpc_json_transcoder. gRPC has no "201
 * Created": the service sends {@link #HTTP_STATUS} in its initial metadata and the xds-server's
 * listener config turns it into the REST response's {@code :status} and removes it.
 */
public final class TranscodingHeaders {
  private TranscodingHeaders() {}

  public static final String HTTP_STATUS = "x-bdk-http-status";
}
