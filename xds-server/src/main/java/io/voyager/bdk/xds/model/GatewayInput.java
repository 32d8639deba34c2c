package io.voyager.bdk.xds.model;

import java.util.Collection;
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
 * translator refuses. Immutable: the books and slices are {@link PersistentMap persistent maps}, so
 * the watcher makes the next input by changing the keys that changed, sharing the rest.
 */
public record GatewayInput(
    GatewaySettings settings,
    PersistentMap<String, BookSource> bookMap,
    Map<ServiceKey, List<EndpointSliceView>> slices,
    Map<String, String> heldOut,
    JwksDocument jwks,
    EdgeCertificate edgeCertificate) {
  public GatewayInput {
    Objects.requireNonNull(bookMap, "bookMap");
    slices = PersistentMap.copyOf(slices); // the watcher's own persistent map is taken as it is, not copied
    heldOut = Map.copyOf(heldOut);
    Objects.requireNonNull(jwks, "jwks");
    Objects.requireNonNull(edgeCertificate, "edgeCertificate");
  }

  /** {@code books} keyed by {@link BookSource#key()} (each key at most once). */
  public GatewayInput(
      GatewaySettings settings, List<BookSource> books, Map<ServiceKey, List<EndpointSliceView>> slices,
      Map<String, String> heldOut, JwksDocument jwks, EdgeCertificate edgeCertificate) {
    this(settings, byKey(books), slices, heldOut, jwks, edgeCertificate);
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

  private static PersistentMap<String, BookSource> byKey(List<BookSource> books) {
    PersistentMap.Editor<String, BookSource> editor = PersistentMap.<String, BookSource>empty().edit();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (BookSource book : books) {
      if (!seen.add(book.key())) {
        throw new IllegalArgumentException("books: " + book.key() + " given twice");
      }
      editor.put(book.key(), book);
    }
    return editor.done();
  }

  /** The books, in no particular order (a translation sorts what it outputs). */
  public Collection<BookSource> books() {
    return bookMap.values();
  }

  /** The book {@code namespace/name}, or null when the input has none. */
  public BookSource book(String key) {
    return bookMap.get(key);
  }

  /** This input with {@code jwks}. */
  public GatewayInput withJwks(JwksDocument jwks) {
    return new GatewayInput(settings, bookMap, slices, heldOut, jwks, edgeCertificate);
  }

  /** This input with {@code certificate} for the HTTPS listener. */
  public GatewayInput withEdgeCertificate(EdgeCertificate certificate) {
    return new GatewayInput(settings, bookMap, slices, heldOut, jwks, certificate);
  }

  public List<EndpointSliceView> slicesOf(ServiceKey service) {
    return slices.getOrDefault(service, List.of());
  }

  /** Why {@code book} is held out, or null when it is not. */
  public String heldOutReason(BookSource book) {
    return heldOut.isEmpty() ? null : heldOut.get(book.key());
  }
}
