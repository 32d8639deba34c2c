package io.voyager.bdk.xds.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the gateway's config is computed from: settings, the ExternalBookDefinitions, the
 * EndpointSlices of Services by Service, the books held out of the gateway (book key
 * {@code namespace/name} → why; see the xds-server's quarantine), and the JWKS read from the
 * Kubernetes object the JWT settings name (ignored when they name a JWKS URI, which Envoy fetches
 * itself), and the certificate of the HTTPS listener read from its {@code kubernetes.io/tls}
 * Secret. A held-out book contributes no route, cluster or endpoints, exactly like a book the
 * translator refuses. Immutable.
 */
public record GatewayInput(
    GatewaySettings settings,
    List<BookSource> books,
    Map<ServiceKey, List<EndpointSliceView>> slices,
    Map<String, String> heldOut,
    JwksDocument jwks,
    EdgeCertificate edgeCertificate) {
  public GatewayInput {
    books = List.copyOf(books);
    slices = Map.copyOf(slices);
    heldOut = Map.copyOf(heldOut);
    Objects.requireNonNull(jwks, "jwks");
    Objects.requireNonNull(edgeCertificate, "edgeCertificate");
  }

  /** No edge certificate read (no HTTPS listener until one is). */
  public GatewayInput(
      GatewaySettings settings, List<BookSource> books, Map<ServiceKey, List<EndpointSliceView>> slices,
      Map<String, String> heldOut, JwksDocument jwks) {
    this(settings, books, slices, heldOut, jwks, EdgeCertificate.NOT_READ);
  }

  /** No JWKS read yet (library requests are refused unless the settings name a JWKS URI). */
  public GatewayInput(
      GatewaySettings settings, List<BookSource> books, Map<ServiceKey, List<EndpointSliceView>> slices,
      Map<String, String> heldOut) {
    this(settings, books, slices, heldOut, JwksDocument.NOT_READ);
  }

  /** No book held out, no JWKS read yet. */
  public GatewayInput(GatewaySettings settings, List<BookSource> books, Map<ServiceKey, List<EndpointSliceView>> slices) {
    this(settings, books, slices, Map.of());
  }

  /** This input with {@code jwks}. */
  public GatewayInput withJwks(JwksDocument jwks) {
    return new GatewayInput(settings, books, slices, heldOut, jwks, edgeCertificate);
  }

  /** This input with {@code certificate} for the HTTPS listener. */
  public GatewayInput withEdgeCertificate(EdgeCertificate certificate) {
    return new GatewayInput(settings, books, slices, heldOut, jwks, certificate);
  }

  public List<EndpointSliceView> slicesOf(ServiceKey service) {
    return slices.getOrDefault(service, List.of());
  }

  /** Why {@code book} is held out, or null when it is not. */
  public String heldOutReason(BookSource book) {
    return heldOut.isEmpty() ? null : heldOut.get(book.key());
  }
}
