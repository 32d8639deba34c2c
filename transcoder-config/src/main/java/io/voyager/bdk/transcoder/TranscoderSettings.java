package io.voyager.bdk.transcoder;

import java.util.List;

/**
 * What varies between deployments of the Book Library transcoder: the gRPC services it exposes and
 * the body size limits (bytes) it buffers while transcoding.
 *
 * @param services fully-qualified gRPC service names, e.g. {@code bdk.library.v1.BookLibrary}
 * @param maxRequestBodyBytes largest JSON request body transcoded; larger gets 413
 * @param maxResponseBodyBytes largest gRPC response transcoded back to JSON
 */
public record TranscoderSettings(List<String> services, int maxRequestBodyBytes, int maxResponseBodyBytes) {

  public static final String BOOK_LIBRARY_SERVICE = "bdk.library.v1.BookLibrary";
  public static final int DEFAULT_MAX_REQUEST_BODY_BYTES = 1024 * 1024;
  public static final int DEFAULT_MAX_RESPONSE_BODY_BYTES = 4 * 1024 * 1024;

  public TranscoderSettings {
    if (services == null || services.isEmpty()) {
      throw new IllegalArgumentException("services: at least one gRPC service is required");
    }
    if (maxRequestBodyBytes <= 0) {
      throw new IllegalArgumentException("maxRequestBodyBytes: must be positive, got " + maxRequestBodyBytes);
    }
    if (maxResponseBodyBytes <= 0) {
      throw new IllegalArgumentException("maxResponseBodyBytes: must be positive, got " + maxResponseBodyBytes);
    }
    services = List.copyOf(services);
  }

  /** The Book Library service with the default limits (1 MiB requests, 4 MiB responses). */
  public static TranscoderSettings bookLibraryDefaults() {
    return new TranscoderSettings(
        List.of(BOOK_LIBRARY_SERVICE), DEFAULT_MAX_REQUEST_BODY_BYTES, DEFAULT_MAX_RESPONSE_BODY_BYTES);
  }
}
