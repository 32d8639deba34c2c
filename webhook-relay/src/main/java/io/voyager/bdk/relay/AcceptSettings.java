package io.voyager.bdk.relay;

import java.time.Duration;

/**
 * Limits of the accept side. Body and headers default to what direct delivery allows: the body to
 * the xds-server's {@code --max-request-bytes} (ext_authz's buffer, 1 MiB), the headers to Envoy's
 * defaults (60 KiB, 100 headers).
 */
public record AcceptSettings(long maxBodyBytes, int maxHeaderBytes, int maxHeaders, Duration publishTimeout) {
  public AcceptSettings {
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("--max-body-bytes must be positive, got " + maxBodyBytes);
    }
    if (maxHeaderBytes < 1024) {
      throw new IllegalArgumentException("--max-header-bytes must be at least 1024, got " + maxHeaderBytes);
    }
    if (maxHeaders < 1) {
      throw new IllegalArgumentException("--max-headers must be positive, got " + maxHeaders);
    }
    if (publishTimeout.isNegative() || publishTimeout.isZero()) {
      throw new IllegalArgumentException("--publish-timeout must be positive, got " + publishTimeout);
    }
  }

  public static AcceptSettings defaults() {
    return new AcceptSettings(1024 * 1024, 60 * 1024, 100, Duration.ofSeconds(5));
  }
}
